/**
 * Decoders for the structs system calls pass, in strace's abbreviated form
 * (`{st_mode=S_IFREG|0644, st_size=12, ...}`): x86-64 kernel layouts.
 */
import type { Kernel } from "../kernel.js";
import { AF, flagNames, octalMode, S_IFMT, SA, constName } from "./flags.js";
import { buffer, hex, peek, ptr, sigset, struct, View, type Decoder, type StraceCtx } from "./values.js";

const SIG_DFL = 0n;
const SIG_IGN = 1n;

export const timespec = (s: View, o = 0): string => `{tv_sec=${s.i64(o)}, tv_nsec=${s.i64(o + 8)}}`;
export const timeval = (s: View, o = 0): string => `{tv_sec=${s.i64(o)}, tv_usec=${s.i64(o + 8)}}`;

export const fmtTimespec: Decoder = (k, v) => struct(k, v, 16, (s) => timespec(s));
export const fmtTimeval: Decoder = (k, v) => struct(k, v, 16, (s) => timeval(s));
export const fmtItimerval: Decoder = (k, v) => struct(k, v, 32, (s) => `{it_interval=${timeval(s, 0)}, it_value=${timeval(s, 16)}}`);
/** utimensat's pair (or NULL) */
export const fmtTimespec2: Decoder = (k, v) => struct(k, v, 32, (s) => `[${timespecOrNow(s, 0)}, ${timespecOrNow(s, 16)}]`);
function timespecOrNow(s: View, o: number): string {
  const ns = s.i64(o + 8);
  if (ns === 0x3fffffffn) return "UTIME_NOW";
  if (ns === 0x3ffffffen) return "UTIME_OMIT";
  return timespec(s, o);
}

/** st_mode: type and permission bits (`S_IFREG|0644`). */
export function mode(m: number): string {
  const type = constName(S_IFMT, m & 0o170000, () => "");
  // the set-id and sticky bits by name, as strace: `S_IFDIR|S_ISVTX|0777`
  const special = (["S_ISUID", "S_ISGID", "S_ISVTX"] as const).filter((_, j) => m & (0o4000 >> j));
  return [...(type ? [type] : []), ...special, octalMode(m & 0o777)].join("|");
}

function makedev(dev: bigint): string {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return `makedev(${hex(major)}, ${hex(minor)})`;
}

/** struct stat (144 bytes): the mode, and the device for device files, else the size. */
export const fmtStat: Decoder = (k, v) =>
  struct(k, v, 144, (s) => {
    const m = s.u32(24);
    const kind = m & 0o170000;
    const tail = kind === 0o20000 || kind === 0o60000 ? `st_rdev=${makedev(s.u64(40))}` : `st_size=${s.i64(48)}`;
    return `{st_mode=${mode(m)}, ${tail}, ...}`;
  });

/** The kernel's struct sigaction: handler, flags, restorer, mask. */
export const fmtSigaction: Decoder = (k, v) =>
  struct(k, v, 32, (s) => {
    const h = s.u64(0);
    const flags = s.u64(8);
    const handler = h === SIG_DFL ? "SIG_DFL" : h === SIG_IGN ? "SIG_IGN" : hex(h);
    const parts = [`sa_handler=${handler}`, `sa_mask=${sigset(s.u64(24))}`, `sa_flags=${flagNames(SA, flags)}`];
    if (flags & 0x04000000n) parts.push(`sa_restorer=${ptr(s.u64(16))}`);
    return `{${parts.join(", ")}}`;
  });

export const fmtSigset: Decoder = (k, v) => struct(k, v, 8, (s) => sigset(s.u64(0)));

/** An iovec array; `out`: after a read, the bytes the call filled. */
export function iovec(k: Kernel, v: bigint, count: number, c: StraceCtx, out: boolean): string {
  if (v === 0n) return "NULL";
  const n = Math.min(count, 1024);
  const b = peek(k, Number(v), 16 * n);
  if (!b) return hex(v);
  const s = new View(b);
  let left = out ? Math.max(0, c.res) : Infinity;
  const items: string[] = [];
  for (let j = 0; j < n; j++) {
    if (j >= c.limit) {
      items.push("...");
      break;
    }
    const base = s.u64(16 * j);
    const len = Number(s.u64(16 * j + 8));
    const shown = Math.min(len, left);
    left -= shown;
    items.push(`{iov_base=${base === 0n ? "NULL" : buffer(k, base, shown, c.limit)}, iov_len=${len}}`);
  }
  return `[${items.join(", ")}]`;
}
/** writev's iovec (count in argument 2) */
export const fmtIovecIn: Decoder = (k, v, c) => iovec(k, v, Number(c.arg(2)), c, false);
/** readv's iovec, after the call */
export const fmtIovecOut: Decoder = (k, v, c) => iovec(k, v, Number(c.arg(2)), c, true);

/** rlimit values: RLIM64_INFINITY, or multiples of 1024 above it as N*1024, as strace does. */
function rlim(v: bigint): string {
  if (v === 0xffffffffffffffffn) return "RLIM64_INFINITY";
  if (v > 1024n && v % 1024n === 0n) return `${v / 1024n}*1024`;
  return String(v);
}
export const fmtRlimit: Decoder = (k, v) => struct(k, v, 16, (s) => `{rlim_cur=${rlim(s.u64(0))}, rlim_max=${rlim(s.u64(8))}}`);

/** The 6 fields of struct utsname (65 bytes each), first two shown. */
export const fmtUtsname: Decoder = (k, v) =>
  struct(k, v, 130, (s) => {
    const field = (o: number) => {
      const b = s.bytes.subarray(o, o + 65);
      const end = b.indexOf(0);
      return buffer(k, v + BigInt(o), end < 0 ? 65 : end, 65);
    };
    return `{sysname=${field(0)}, nodename=${field(65)}, ...}`;
  });

/** stack_t for sigaltstack */
export const fmtStack: Decoder = (k, v) =>
  struct(k, v, 24, (s) => {
    const f = s.i32(8);
    const flags = f === 0 ? "0" : flagNames([["SS_ONSTACK", 1], ["SS_DISABLE", 2], ["SS_AUTODISARM", 0x80000000]], BigInt(f >>> 0));
    return `{ss_sp=${ptr(s.u64(0))}, ss_flags=${flags}, ss_size=${s.u64(16)}}`;
  });

/** struct winsize for TIOCGWINSZ / TIOCSWINSZ */
export const fmtWinsize: Decoder = (k, v) => struct(k, v, 8, (s) => `{ws_row=${s.u16(0)}, ws_col=${s.u16(2)}, ws_xpixel=${s.u16(4)}, ws_ypixel=${s.u16(6)}}`);

const BAUD = ["B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400", "B4800", "B9600", "B19200", "B38400"];
/** struct termios, as strace abbreviates it: `{B38400 opost isig icanon echo ...}` */
export const fmtTermios: Decoder = (k, v) =>
  struct(k, v, 36, (s) => {
    const cflag = s.u32(8);
    const lflag = s.u32(12);
    const baud = cflag & 0o10017;
    const speed = baud < 16 ? BAUD[baud] : (["B57600", "B115200", "B230400", "B460800"][baud - 0o10001] ?? `B${baud}`);
    const on = (b: boolean, n: string) => (b ? n : `-${n}`);
    return `{${speed} ${on((s.u32(4) & 1) !== 0, "opost")} ${on((lflag & 1) !== 0, "isig")} ${on((lflag & 2) !== 0, "icanon")} ${on((lflag & 8) !== 0, "echo")} ...}`;
  });

/** pipe's two descriptors */
export const fmtFdPair: Decoder = (k, v) => struct(k, v, 8, (s) => `[${s.i32(0)}, ${s.i32(4)}]`);

/** struct pollfd array (count in argument 1); `out`: revents after the call. */
const POLL: Array<[string, number]> = [
  ["POLLIN", 1],
  ["POLLPRI", 2],
  ["POLLOUT", 4],
  ["POLLERR", 8],
  ["POLLHUP", 0x10],
  ["POLLNVAL", 0x20],
  ["POLLRDNORM", 0x40],
  ["POLLRDBAND", 0x80],
  ["POLLWRNORM", 0x100],
  ["POLLWRBAND", 0x200],
  ["POLLMSG", 0x400],
  ["POLLRDHUP", 0x2000],
];
export const fmtPollfds: Decoder = (k, v, c) => {
  const n = Math.min(Number(c.arg(1)), 1024);
  return struct(k, v, 8 * n, (s) => `[${Array.from({ length: n }, (_, j) => `{fd=${s.i32(8 * j)}, events=${flagNames(POLL, BigInt(s.u16(8 * j + 4)))}}`).join(", ")}]`);
};
/** poll's result: the count and which descriptors are ready */
export function pollResult(k: Kernel, c: StraceCtx): string {
  if (c.res <= 0) return String(c.res) + (c.res === 0 ? " (Timeout)" : "");
  const n = Math.min(Number(c.arg(1)), 1024);
  const b = peek(k, Number(c.arg(0)), 8 * n);
  if (!b) return String(c.res);
  const s = new View(b);
  const ready: string[] = [];
  for (let j = 0; j < n; j++) if (s.u16(8 * j + 6)) ready.push(`{fd=${s.i32(8 * j)}, revents=${flagNames(POLL, BigInt(s.u16(8 * j + 6)))}}`);
  return `${c.res} ([${ready.join(", ")}])`;
}

/** struct sockaddr (length in the next argument): AF_UNIX paths and AF_INET/AF_INET6 addresses. */
export const fmtSockaddr: Decoder = (k, v, c) => {
  const len = Math.min(Number(c.arg(2)), 128);
  return struct(k, v, Math.max(2, len), (s) => {
    const fam = s.u16(0);
    const family = `sa_family=${constName(AF, fam, (f) => String(f))}`;
    if (fam === 1) {
      // no path (an unnamed socket), an abstract name (`@"name"`: all the bytes after the leading 0), or a path to its 0
      if (len <= 2) return `{${family}}`;
      const path = s.bytes.subarray(2, len);
      if (path[0] === 0) return `{${family}, sun_path=@${buffer(k, v + 3n, path.length - 1, 108)}}`;
      const end = path.indexOf(0);
      return `{${family}, sun_path=${buffer(k, v + 2n, end < 0 ? path.length : end, 108)}}`;
    }
    if (fam === 2 && len >= 8) {
      const port = (s.bytes[2] << 8) | s.bytes[3];
      return `{${family}, sin_port=htons(${port}), sin_addr=inet_addr("${Array.from(s.bytes.subarray(4, 8)).join(".")}")}`;
    }
    if (fam === 10 && len >= 24) {
      const port = (s.bytes[2] << 8) | s.bytes[3];
      const words = Array.from({ length: 8 }, (_, j) => ((s.bytes[8 + 2 * j] << 8) | s.bytes[9 + 2 * j]).toString(16));
      return `{${family}, sin6_port=htons(${port}), sin6_flowinfo=htonl(${s.u32(4)}), inet_pton(AF_INET6, "${words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::")}", &sin6_addr), sin6_scope_id=${s.u32(24)}}`;
    }
    return `{${family}, sa_data=${buffer(k, v + 2n, len - 2, c.limit)}}`;
  });
};

/** rt_sigreturn: the mask the frame restores (rsp points at the ucontext when the restorer's syscall runs). */
export const fmtSigreturn: Decoder = (k) => {
  const rsp = k.cpu.regNum(4);
  const b = peek(k, rsp + 296, 8);
  return b ? `{mask=${sigset(new View(b).u64(0))}}` : "{mask=?}";
};
