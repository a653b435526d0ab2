/**
 * How strace prints waiting and networking calls: select/pselect6/ppoll,
 * epoll, eventfd/timerfd/signalfd, and the socket calls.
 */
import type { Kernel } from "../kernel.js";
import { AF, bits, flagNames, named, type Table } from "./flags.js";
import { after, inout, out } from "./format.js";
import { fmtPollfds, fmtSigset, fmtSockaddr, fmtTimespec, fmtTimeval, iovec, pollResult, timespec } from "./structs.js";
import { fmtSiginfo } from "./calls-proc.js";
import { def } from "./table.js";
import { buffer, hex, peek, ptr, signalArg, struct, View, type Decoder, type StraceCtx } from "./values.js";

/** The context with argument `j` replaced (a struct decoder reading its length from another position). */
function withArg(c: StraceCtx, j: number, v: bigint): StraceCtx {
  return { k: c.k, res: c.res, limit: c.limit, arg: (i: number) => (i === j ? v : c.arg(i)) };
}

/** An fd_set of `n` descriptors: `[0 3]`. */
function fdSet(k: Kernel, v: bigint, n: number): string {
  if (v === 0n) return "NULL";
  const bytes = Math.ceil(n / 64) * 8;
  const b = peek(k, Number(v), bytes);
  if (!b) return ptr(v);
  const fds: number[] = [];
  for (let j = 0; j < n; j++) if (b[j >> 3] & (1 << (j & 7))) fds.push(j);
  return `[${fds.join(" ")}]`;
}
/** select's sets are shown before the call; the result names the ready ones. */
const fdSetIn: Decoder = (k, v, c) => fdSet(k, v, Number(c.arg(0)));
function selectResult(k: Kernel, c: StraceCtx, timeout: "timeval" | "timespec"): string {
  if (c.res <= 0) return c.res === 0 ? "0 (Timeout)" : String(c.res);
  const n = Number(c.arg(0));
  const parts: string[] = [];
  ["in", "out", "except"].forEach((name, j) => {
    const v = c.arg(1 + j);
    if (v === 0n) return;
    const s = fdSet(k, v, n);
    if (s !== "[]") parts.push(`${name} ${s}`);
  });
  const t = c.arg(4);
  if (t !== 0n) {
    const left = struct(k, t, 16, (s) => (timeout === "timeval" ? `{tv_sec=${s.i64(0)}, tv_usec=${s.i64(8)}}` : timespec(s)));
    parts.push(`left ${left}`);
  }
  return `${c.res} (${parts.join(", ")})`;
}

/** ppoll: as poll, with the time left */
function ppollResult(k: Kernel, c: StraceCtx): string {
  const r = pollResult(k, c);
  const t = c.arg(2);
  if (c.res <= 0 || t === 0n) return r;
  return r.replace(/\)$/, `, left ${struct(k, t, 16, (s) => timespec(s))})`);
}

const EPOLL_EVENTS: Table = [
  ["EPOLLIN", 1],
  ["EPOLLPRI", 2],
  ["EPOLLOUT", 4],
  ["EPOLLERR", 8],
  ["EPOLLHUP", 0x10],
  ["EPOLLRDNORM", 0x40],
  ["EPOLLRDBAND", 0x80],
  ["EPOLLWRNORM", 0x100],
  ["EPOLLWRBAND", 0x200],
  ["EPOLLMSG", 0x400],
  ["EPOLLRDHUP", 0x2000],
  ["EPOLLEXCLUSIVE", 0x10000000],
  ["EPOLLWAKEUP", 0x20000000],
  ["EPOLLONESHOT", 0x40000000],
  ["EPOLLET", 0x80000000],
];
/** struct epoll_event (12 bytes, packed on x86-64) */
function epollEvent(s: View, o: number): string {
  const data = s.u64(o + 4);
  return `{events=${flagNames(EPOLL_EVENTS, BigInt(s.u32(o)))}, data={u32=${Number(data & 0xffffffffn)}, u64=${data}}}`;
}
const epollEventIn: Decoder = (k, v) => struct(k, v, 12, (s) => epollEvent(s, 0));
const epollEventsOut: Decoder = (k, v, c) => {
  const n = Math.max(0, Math.min(c.res, 1024));
  return struct(k, v, 12 * n, (s) => `[${Array.from({ length: n }, (_, j) => epollEvent(s, 12 * j)).join(", ")}]`);
};

const SOCK_TYPE: Table = [
  ["SOCK_STREAM", 1],
  ["SOCK_DGRAM", 2],
  ["SOCK_RAW", 3],
  ["SOCK_RDM", 4],
  ["SOCK_SEQPACKET", 5],
  ["SOCK_PACKET", 10],
];
/** socket's type: the kind, then SOCK_NONBLOCK / SOCK_CLOEXEC (an unknown kind: the whole number, as strace) */
const sockType: Decoder = (_k, v) => {
  const n = Number(v & 0xffffffffn);
  if (!SOCK_TYPE.some(([, x]) => x === (n & 0xf))) return `${hex(n)} /* SOCK_??? */`;
  const kind = named(SOCK_TYPE, (x) => String(x))(_k, BigInt(n & 0xf));
  const extra = bits([
    ["SOCK_CLOEXEC", 0o2000000],
    ["SOCK_NONBLOCK", 0o4000],
  ])(_k, BigInt(n & ~0xf));
  return extra === "0" ? kind : `${kind}|${extra}`;
};
/** the protocol: IPPROTO_* names for the inet families */
const sockProto: Decoder = (_k, v, c) => {
  const fam = Number(c.arg(0) & 0xffffffffn);
  const p = Number(v & 0xffffffffn);
  if (fam !== 2 && fam !== 10) return String(p);
  return named([["IPPROTO_IP", 0], ["IPPROTO_ICMP", 1], ["IPPROTO_TCP", 6], ["IPPROTO_UDP", 17], ["IPPROTO_IPV6", 41], ["IPPROTO_ICMPV6", 58]], (x) => String(x))(_k, v);
};
/** an int written by the kernel: `[16]` */
const intOut: Decoder = (k, v) => struct(k, v, 4, (s) => `[${s.i32(0)}]`);
const intIn = intOut;
/** accept/getsockname: the address the kernel wrote (its length at argument 2, a pointer) */
const sockaddrOut: Decoder = (k, v, c) => {
  if (v === 0n) return "NULL";
  const lenPtr = c.arg(2);
  const lb = lenPtr === 0n ? null : peek(k, Number(lenPtr), 4);
  const len = lb ? new View(lb).u32(0) : 16;
  return fmtSockaddr(k, v, withArg(c, 2, BigInt(len)));
};
const SOL: Table = [
  ["SOL_IP", 0],
  ["SOL_SOCKET", 1],
  ["SOL_TCP", 6],
  ["SOL_UDP", 17],
  ["SOL_IPV6", 41],
];
const SO: Table = [
  ["SO_DEBUG", 1],
  ["SO_REUSEADDR", 2],
  ["SO_TYPE", 3],
  ["SO_ERROR", 4],
  ["SO_DONTROUTE", 5],
  ["SO_BROADCAST", 6],
  ["SO_SNDBUF", 7],
  ["SO_RCVBUF", 8],
  ["SO_KEEPALIVE", 9],
  ["SO_OOBINLINE", 10],
  ["SO_LINGER", 13],
  ["SO_REUSEPORT", 15],
  ["SO_RCVTIMEO", 20],
  ["SO_SNDTIMEO", 21],
  ["SO_ACCEPTCONN", 30],
  ["SO_PROTOCOL", 38],
  ["SO_DOMAIN", 39],
];
const TCP_OPTS: Table = [
  ["TCP_NODELAY", 1],
  ["TCP_MAXSEG", 2],
  ["TCP_CORK", 3],
  ["TCP_KEEPIDLE", 4],
  ["TCP_KEEPINTVL", 5],
  ["TCP_KEEPCNT", 6],
];
/** a socket option's level: unknown ones as a number with strace's SOL_?? comment */
const sockLevel = named(SOL, (x) => `${hex(x)} /* SOL_?? */`);
/** the option's name within its level (SOL_SOCKET's SO_*, SOL_TCP's TCP_*), else the number */
const sockOpt: Decoder = (k, v, c) => {
  const level = Number(c.arg(1) & 0xffffffffn);
  const table = level === 1 ? SO : level === 6 ? TCP_OPTS : null;
  return table ? named(table, (x) => String(x))(k, v) : String(v & 0xffffffffn);
};
/** setsockopt's value: an int when its length is an int's, else the address */
const sockOptIn: Decoder = (k, v, c) => (c.arg(4) === 4n ? intIn(k, v, c) : ptr(v));
const MSG: Table = [
  ["MSG_OOB", 1],
  ["MSG_PEEK", 2],
  ["MSG_DONTROUTE", 4],
  ["MSG_TRUNC", 0x20],
  ["MSG_DONTWAIT", 0x40],
  ["MSG_EOR", 0x80],
  ["MSG_WAITALL", 0x100],
  ["MSG_NOSIGNAL", 0x4000],
  ["MSG_MORE", 0x8000],
  ["MSG_CMSG_CLOEXEC", 0x40000000],
];
const family = named(AF, (x) => `${hex(x)} /* AF_??? */`);

/** A control message's data: descriptors (SCM_RIGHTS), credentials (SCM_CREDENTIALS), else its address. */
function cmsgData(s: View, o: number, len: number, level: number, type: number): string {
  const n = len - 16;
  if (level === 1 && type === 1) return `[${Array.from({ length: Math.max(0, n >> 2) }, (_, j) => s.i32(o + 16 + 4 * j)).join(", ")}]`;
  if (level === 1 && type === 2 && n >= 12) return `{pid=${s.i32(o + 16)}, uid=${s.u32(o + 20)}, gid=${s.u32(o + 24)}}`;
  return "...";
}
const SCM: Table = [
  ["SCM_RIGHTS", 1],
  ["SCM_CREDENTIALS", 2],
];
/** msg_control: `[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}]` */
function cmsgs(k: Kernel, v: bigint, len: number): string {
  const b = peek(k, Number(v), Math.min(len, 4096));
  if (!b) return ptr(v);
  const s = new View(b);
  const items: string[] = [];
  for (let o = 0; o + 16 <= b.length; ) {
    const l = Number(s.u64(o));
    const level = s.i32(o + 8);
    const type = s.i32(o + 12);
    if (l < 16 || o + l > b.length) break;
    const typeName = level === 1 ? named(SCM, (x) => hex(x))(k, BigInt(type)) : hex(type);
    items.push(`{cmsg_len=${l}, cmsg_level=${named(SOL, (x) => String(x))(k, BigInt(level))}, cmsg_type=${typeName}, cmsg_data=${cmsgData(s, o, l, level, type)}}`);
    o += (l + 7) & ~7;
  }
  return `[${items.join(", ")}]`;
}
/** struct msghdr; `received`: after recvmsg (the iovecs show the bytes received, msg_flags what the kernel set). */
const msghdr =
  (received: boolean): Decoder =>
  (k, v, c) =>
    struct(k, v, 56, (s) => {
      const name = s.u64(0);
      const namelen = s.u32(8);
      const iovlen = Number(s.u64(24));
      const control = s.u64(32);
      const controllen = Number(s.u64(40));
      const parts = [
        `msg_name=${name === 0n ? "NULL" : fmtSockaddr(k, name, withArg(c, 2, BigInt(namelen)))}`,
        `msg_namelen=${namelen}`,
        `msg_iov=${iovec(k, s.u64(16), iovlen, c, received)}`,
        `msg_iovlen=${iovlen}`,
      ];
      if (controllen > 0) parts.push(`msg_control=${cmsgs(k, control, controllen)}`);
      parts.push(`msg_controllen=${controllen}`, `msg_flags=${flagNames(MSG, BigInt(s.i32(48) >>> 0))}`);
      return `{${parts.join(", ")}}`;
    });
/** sendto/recvfrom's address (length in argument 5) */
const sockaddr5: Decoder = (k, v, c) => fmtSockaddr(k, v, withArg(c, 2, c.arg(5)));
/** the bytes received: as many as the result says, within the buffer (MSG_TRUNC returns the datagram's whole length) */
const recvBuf: Decoder = (k, v, c) => buffer(k, v, Math.min(Math.max(0, c.res), Number(c.arg(2))), c.limit);
const itimerspec: Decoder = (k, v) => struct(k, v, 32, (s) => `{it_interval=${timespec(s, 0)}, it_value=${timespec(s, 16)}}`);

def("select", ["d", fdSetIn, fdSetIn, fdSetIn, fmtTimeval], (k, c) => selectResult(k, c, "timeval"));
def("pselect6", ["d", fdSetIn, fdSetIn, fdSetIn, fmtTimespec, "ptr"], (k, c) => selectResult(k, c, "timespec"));
def("ppoll", [fmtPollfds, "u", fmtTimespec, fmtSigset, "u"], ppollResult);
def("epoll_create", ["d"]);
def("epoll_create1", [bits([["EPOLL_CLOEXEC", 0o2000000]])]);
def("epoll_ctl", ["fd", named([["EPOLL_CTL_ADD", 1], ["EPOLL_CTL_DEL", 2], ["EPOLL_CTL_MOD", 3]]), "fd", epollEventIn]);
def("epoll_wait", ["fd", out(epollEventsOut), "d", "d"]);
def("epoll_pwait", ["fd", out(epollEventsOut), "d", "d", fmtSigset, "u"]);
def("eventfd2", ["u", bits([["EFD_SEMAPHORE", 1], ["EFD_NONBLOCK", 0o4000], ["EFD_CLOEXEC", 0o2000000]])]);
def("timerfd_create", [named([["CLOCK_REALTIME", 0], ["CLOCK_MONOTONIC", 1], ["CLOCK_BOOTTIME", 7]]), bits([["TFD_NONBLOCK", 0o4000], ["TFD_CLOEXEC", 0o2000000]])]);
def("timerfd_settime", ["fd", bits([["TFD_TIMER_ABSTIME", 1], ["TFD_TIMER_CANCEL_ON_SET", 2]]), itimerspec, out(itimerspec)]);
def("timerfd_gettime", ["fd", out(itimerspec)]);
def("timer_settime", ["d", named([["0", 0], ["TIMER_ABSTIME", 1]]), itimerspec, out(itimerspec)]);
def("timer_gettime", ["d", out(itimerspec)]);
/** A sigset whose size argument (argument 3 here) is not the kernel's 8 bytes is not read: strace shows its address. */
const sizedSigset: Decoder = (k, v, c) => (c.arg(3) === 8n ? fmtSigset(k, v, c) : ptr(v));
def("rt_sigtimedwait", [sizedSigset, out(fmtSiginfo), fmtTimespec, "u"], (_k, c) => `${c.res} (${signalArg(c.res)})`);
def("signalfd4", ["fd", fmtSigset, "u", bits([["SFD_NONBLOCK", 0o4000], ["SFD_CLOEXEC", 0o2000000]])]);
def("memfd_create", ["str", bits([["MFD_CLOEXEC", 1], ["MFD_ALLOW_SEALING", 2], ["MFD_HUGETLB", 4]])]);
def("flock", ["fd", bits([["LOCK_SH", 1], ["LOCK_EX", 2], ["LOCK_NB", 4], ["LOCK_UN", 8]])]);
def("socket", [family, sockType, sockProto]);
def("socketpair", [family, sockType, "d", out((k, v) => struct(k, v, 8, (s) => `[${s.i32(0)}, ${s.i32(4)}]`))]);
def("connect", ["fd", fmtSockaddr, "u"]);
def("bind", ["fd", fmtSockaddr, "u"]);
def("listen", ["fd", "d"]);
def("accept", ["fd", out(sockaddrOut), inout(intOut)]);
def("accept4", ["fd", out(sockaddrOut), inout(intOut), bits([["SOCK_NONBLOCK", 0o4000], ["SOCK_CLOEXEC", 0o2000000]])]);
def("getsockname", ["fd", out(sockaddrOut), inout(intOut)]);
def("getpeername", ["fd", out(sockaddrOut), inout(intOut)]);
def("setsockopt", ["fd", sockLevel, sockOpt, sockOptIn, "u"]);
def("getsockopt", ["fd", sockLevel, sockOpt, out(intOut), after(intOut)]);
def("sendto", ["fd", "buf2", "u", bits(MSG), sockaddr5, "u"]);
def("recvfrom", ["fd", out(recvBuf), "u", bits(MSG), out(sockaddr5), inout(intOut)]);
def("sendmsg", ["fd", msghdr(false), bits(MSG)]);
def("recvmsg", ["fd", out(msghdr(true)), bits(MSG)]);
def("shutdown", ["fd", named([["SHUT_RD", 0], ["SHUT_WR", 1], ["SHUT_RDWR", 2]])]);
