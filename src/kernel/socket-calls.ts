/**
 * The socket system calls: socket, socketpair, bind, listen, accept/accept4,
 * connect, send/sendto/sendmsg, recv/recvfrom/recvmsg, shutdown,
 * getsockname/getpeername, setsockopt/getsockopt. The sockets themselves:
 * socket.ts (guest-internal), socket-host.ts (through Host.net).
 */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { get, install, iovecs, type OFile } from "./files.js";
import { hostAccept, hostConnect, hostConnectUnix, hostListen, hostListenUnix, hostUdpBind, udpAutobind } from "./socket-host.js";
import { buildControl, dropAnc, MSG_CMSG_CLOEXEC, parseControl, type Anc } from "./socket-msg.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  autobind,
  bindTo,
  closeSock,
  connectLocal,
  E,
  isLocal,
  lookupUnix,
  makeUnixInode,
  joinStreams,
  MSG_TRUNC,
  parseAddr,
  putAddr,
  registry,
  sockFile,
  sockOf,
  sockRecv,
  sockSend,
  Sock,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  unnamed,
  type Parsed,
  type Received,
} from "./socket.js";

const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;
const MAX_IO = 1 << 24;

function sockArg(k: Kernel, fd: number): { f: OFile; s: Sock } | number {
  const f = get(k, fd);
  if (!f) return -9; // EBADF
  const s = sockOf(f);
  return s ? { f, s } : -E.ENOTSOCK;
}

function newSock(k: Kernel, family: number, typeArg: number, proto: number): Sock | number {
  const type = typeArg & 0xf;
  if (typeArg & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -E.EINVAL;
  if (family !== AF_UNIX && family !== AF_INET && family !== AF_INET6) return -E.EAFNOSUPPORT;
  if (family === AF_UNIX) {
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET) return -E.ESOCKTNOSUPPORT;
    if (proto !== 0 && proto !== 1) return -E.EPROTONOSUPPORT;
  } else {
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM) return type === 3 ? -E.EPERM : -E.ESOCKTNOSUPPORT; // raw sockets need CAP_NET_RAW
    if (proto !== 0 && proto !== (type === SOCK_STREAM ? 6 : 17)) return -E.EPROTONOSUPPORT;
  }
  return new Sock(family, type, proto || (family === AF_UNIX ? 0 : type === SOCK_STREAM ? 6 : 17), k.proc ? k.proc.pid : k.host.getpid(), registry(k));
}

defineSyscall({
  nr: 41,
  name: "socket",
  args: ["d", "x", "d"],
  fn: (k, a) => {
    const s = newSock(k, a.i32(0), a.i32(1), a.i32(2));
    if (typeof s === "number") return s;
    return install(k, sockFile(s, (a.i32(1) & SOCK_NONBLOCK) !== 0), (a.i32(1) & SOCK_CLOEXEC) !== 0);
  },
});

defineSyscall({
  nr: 53,
  name: "socketpair",
  args: ["d", "x", "d", "ptr"],
  fn: (k, a) => {
    if (a.i32(0) !== AF_UNIX) return a.i32(0) === AF_INET || a.i32(0) === AF_INET6 ? -E.EOPNOTSUPP : -E.EAFNOSUPPORT;
    const x = newSock(k, AF_UNIX, a.i32(1), a.i32(2));
    const y = newSock(k, AF_UNIX, a.i32(1), a.i32(2));
    if (typeof x === "number" || typeof y === "number") return typeof x === "number" ? x : (y as number);
    if (x.stream()) joinStreams(x, y);
    else {
      x.peer = y;
      y.peer = x;
    }
    x.peerAddr = y.peerAddr = unnamed(AF_UNIX);
    x.peerPid = y.peerPid = x.pid;
    const nb = (a.i32(1) & SOCK_NONBLOCK) !== 0;
    const ce = (a.i32(1) & SOCK_CLOEXEC) !== 0;
    const fx = sockFile(x, nb);
    const fy = sockFile(y, nb);
    const dx = install(k, fx, ce);
    if (dx < 0) return dx;
    const dy = install(k, fy, ce);
    if (dy < 0) {
      files(k).fds[dx] = null;
      return dy;
    }
    const b = new Uint8Array(8);
    new DataView(b.buffer).setInt32(0, dx, true);
    new DataView(b.buffer).setInt32(4, dy, true);
    if (k.copyOut(a.u(3), b)) {
      files(k).fds[dx] = files(k).fds[dy] = null;
      closeSock(x, k);
      closeSock(y, k);
      return -E.EFAULT;
    }
    return 0;
  },
});
import { files } from "./files.js";

defineSyscall({
  nr: 49,
  name: "bind",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const p = parseAddr(k, x.s, a.u(1), a.i32(2));
    if (typeof p === "number") return p;
    if (x.s.family === AF_UNIX && p.path !== undefined) {
      // a named unix socket is a file (socket.ts makeUnixInode)
      if (x.s.local !== null) return -E.EINVAL;
      const r = makeUnixInode(k, p);
      if (r < 0) return r;
      x.s.path = p.path;
    }
    if (x.s.family !== AF_UNIX && !x.s.stream()) {
      // UDP binds a host port when the host has a network
      if (!isLocal(x.s.family, p.ip!)) return -E.EADDRNOTAVAIL;
      const r = hostUdpBind(k, x.s, p.bytes);
      if (r !== 1) return r;
    }
    return bindTo(x.s, p);
  },
});

defineSyscall({
  nr: 50,
  name: "listen",
  args: ["fd", "d"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const s = x.s;
    if (!s.stream()) return -E.EOPNOTSUPP;
    if (s.rx || s.host?.accept === undefined && s.host) return -E.EINVAL;
    if (s.local === null) {
      if (s.family === AF_UNIX) return -E.EINVAL;
      autobind(s);
    }
    s.listening = true;
    if (s.family !== AF_UNIX && !s.host) hostListen(k, s, a.i32(1));
    else if (s.family === AF_UNIX && !s.host) hostListenUnix(k, s, a.i32(1));
    if (!s.host || s.host.connectState() !== -E.EINPROGRESS) return 0;
    // the host's listener binds asynchronously: wait for it (at most a second; guest clients need no host listener)
    const until = Number(k.host.monotonicNs()) + 1e9;
    return k.sched.park(k, { retry: () => (s.host && s.host.connectState() === -E.EINPROGRESS && Number(k.host.monotonicNs()) < until ? RESULT_BLOCK : 0), deadline: until, onSignal: "restart" });
  },
});

function acceptCall(k: Kernel, fd: number, addr: number, lenAddr: number, flags: number): number {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -E.EINVAL;
  const x = sockArg(k, fd);
  if (typeof x === "number") return x;
  const s = x.s;
  if (!s.listening) return -E.EINVAL;
  const attempt = (): number => {
    let c = s.backlog.shift() ?? null;
    if (!c && s.host) c = hostAccept(k, s);
    if (!c) return RESULT_BLOCK;
    const nfd = install(k, sockFile(c, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
    if (nfd < 0) {
      closeSock(c, k);
      return nfd;
    }
    const r = putAddr(k, addr, lenAddr, c.peerAddr ?? unnamed(s.family));
    return r < 0 ? r : nfd;
  };
  const r = attempt();
  if (r !== RESULT_BLOCK) return r;
  if (x.f.flags & 0x800) return -E.EAGAIN;
  return k.sched.park(k, { retry: attempt, deadline: null, onSignal: "restart" });
}

defineSyscall({ nr: 43, name: "accept", args: ["fd", "ptr", "ptr"], fn: (k, a) => acceptCall(k, a.i32(0), a.u(1), a.u(2), 0) });
defineSyscall({ nr: 288, name: "accept4", args: ["fd", "ptr", "ptr", "x"], fn: (k, a) => acceptCall(k, a.i32(0), a.u(1), a.u(2), a.i32(3)) });

defineSyscall({
  nr: 42,
  name: "connect",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const s = x.s;
    const nonblock = (x.f.flags & 0x800) !== 0;
    if (s.listening) return -E.EINVAL;
    if (s.host && s.stream()) {
      // a connect in progress through the host
      const st = s.host.connectState();
      if (st === -E.EINPROGRESS) return nonblock ? -E.EALREADY : parkConnect(k, s);
      return st === 0 ? -E.EISCONN : st;
    }
    const p = parseAddr(k, s, a.u(1), a.i32(2));
    if (typeof p === "number") return p;
    const e = lookupUnix(k, p);
    if (e < 0) return e;
    if (!s.stream()) {
      // datagram: the default destination
      if (s.family !== AF_UNIX) {
        const r = udpAutobind(k, s);
        if (r < 0) return r;
        autobind(s);
        s.peerAddr = p.bytes;
        s.peerName = p.key;
        return 0;
      }
      const to = s.reg.names.get(p.key);
      const abstract = p.key.startsWith("@");
      if (!to) return p.key.startsWith("unix:") ? -E.ENOENT : -E.ECONNREFUSED;
      if (to.type !== s.type) return abstract ? -E.ECONNREFUSED : -E.EPROTOTYPE;
      s.peerAddr = p.bytes;
      s.peerName = p.key;
      return 0;
    }
    if (s.rx) return -E.EISCONN;
    const r = connectLocal(k, s, p, nonblock);
    if (r === -E.ECONNREFUSED && s.family === AF_UNIX && p.path !== undefined && !s.reg.names.has(p.key)) {
      // a socket file no guest socket is bound to: a host program's (socket-host.ts)
      const h = hostConnectUnix(k, s, p.path);
      return h === -E.EINPROGRESS ? parkConnect(k, s) : h;
    }
    if (r !== -E.ECONNREFUSED || s.family === AF_UNIX) return r;
    // nobody in the guest listens there: the host's network
    const h = hostConnect(k, s, p);
    if (h !== -E.EINPROGRESS) return h;
    return nonblock ? h : parkConnect(k, s);
  },
});

function parkConnect(k: Kernel, s: Sock): number {
  return k.sched.park(k, {
    retry: () => {
      const st = s.host!.connectState();
      if (st === -E.EINPROGRESS) return RESULT_BLOCK;
      if (st < 0) {
        // a failed blocking connect leaves the socket unconnected (it may try again)
        s.host!.close();
        s.host = null;
      }
      return st;
    },
    deadline: null,
    onSignal: "eintr",
  });
}

// ---- data ---------------------------------------------------------------------

function destOf(k: Kernel, s: Sock, addr: number, len: number): Parsed | null | number {
  if (addr === 0) return null;
  if (s.stream()) return s.rx || s.host ? null : -E.ENOTCONN; // the address is ignored on connected streams (EISCONN in some cases)
  const p = parseAddr(k, s, addr, len);
  if (typeof p === "number") return p;
  const e = lookupUnix(k, p);
  return e < 0 ? e : p;
}

function sendCall(k: Kernel, fd: number, data: Uint8Array, flags: number, addr: number, len: number, ctl: [number, number] | null = null): number {
  const x = sockArg(k, fd);
  if (typeof x === "number") return x;
  const dest = destOf(k, x.s, addr, len);
  if (typeof dest === "number") return dest;
  let anc: Anc | null = null;
  if (x.s.family === AF_UNIX) {
    const a = parseControl(k, ctl ? ctl[0] : 0, ctl ? ctl[1] : 0, true);
    if (typeof a === "number") return a;
    anc = a;
  } else if (ctl) {
    const a = parseControl(k, ctl[0], ctl[1], false);
    if (typeof a === "number") return a;
  }
  if (dest && x.s.family !== AF_UNIX && !x.s.stream()) {
    const r = udpAutobind(k, x.s);
    if (r < 0) return r;
    autobind(x.s);
  }
  return sockSend(k, x.f, x.s, data, flags, dest, anc);
}

function readBuf(k: Kernel, addr: number, len: number): Uint8Array | number {
  len = Math.min(len, MAX_IO);
  if (len === 0) return new Uint8Array(0);
  const have = k.cpu.mem.readablePrefix(addr, len);
  if (have === 0) return -E.EFAULT;
  return k.cpu.mem.readBytes(addr, have);
}

defineSyscall({
  nr: 44,
  name: "sendto",
  args: ["fd", "buf2", "u", "x", "ptr", "d"],
  fn: (k, a) => {
    const data = readBuf(k, a.u(1), a.u(2));
    if (typeof data === "number") return data;
    return sendCall(k, a.i32(0), data, a.i32(3), a.u(4), a.i32(5));
  },
});

interface MsgHdr {
  name: number;
  namelen: number;
  iov: Array<[number, number]>;
  control: number;
  controllen: number;
}

function readMsg(k: Kernel, addr: number): MsgHdr | number {
  let b: Uint8Array;
  try {
    b = k.cpu.mem.readBytes(addr, 56);
  } catch {
    return -E.EFAULT;
  }
  const dv = new DataView(b.buffer);
  const iov = iovecs(k, Number(dv.getBigUint64(16, true)), Number(dv.getBigUint64(24, true)));
  if (typeof iov === "number") return iov;
  return { name: Number(dv.getBigUint64(0, true)), namelen: dv.getInt32(8, true), iov, control: Number(dv.getBigUint64(32, true)), controllen: Number(dv.getBigUint64(40, true)) };
}

defineSyscall({
  nr: 46,
  name: "sendmsg",
  args: ["fd", "ptr", "x"],
  fn: (k, a) => {
    const m = readMsg(k, a.u(1));
    if (typeof m === "number") return m;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const [base, len] of m.iov) {
      if (len === 0) continue;
      const d = readBuf(k, base, len);
      if (typeof d === "number") return d;
      parts.push(d);
      total += d.length;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return sendCall(k, a.i32(0), all, a.i32(2), m.namelen > 0 ? m.name : 0, m.namelen, [m.control, m.controllen]);
  },
});

function recvCall(k: Kernel, fd: number, len: number, flags: number, deliver: (buf: Uint8Array, r: Received, s: Sock) => number): number {
  const x = sockArg(k, fd);
  if (typeof x === "number") return x;
  const buf = new Uint8Array(Math.min(len, MAX_IO));
  return sockRecv(k, x.f, x.s, buf, flags, (r) => deliver(buf, r, x.s));
}

/** The sender's address for recvfrom/recvmsg: datagram senders, the peer of unix streams, nothing for TCP. */
function senderOf(s: Sock, r: Received): Uint8Array | null {
  if (!s.stream()) return r.from ?? unnamed(s.family);
  return s.family === AF_UNIX ? (s.peerAddr ?? unnamed(AF_UNIX)) : null;
}

defineSyscall({
  nr: 45,
  name: "recvfrom",
  args: ["fd", "obuf2", "u", "x", "ptr", "ptr"],
  fn: (k, a) => {
    const dst = a.u(1);
    const addr = a.u(4);
    const lenAddr = a.u(5);
    const flags = a.i32(3);
    // a stream's bytes stay there when the buffer's first byte faults (Linux copies an skb whole or not at all)
    const x = a.u(2) > 0 && k.cpu.mem.writablePrefix(dst, 1) === 0 ? sockArg(k, a.i32(0)) : null;
    if (x && typeof x !== "number" && x.s.stream() && !x.s.seq() && x.f.ops!.pending!(x.f) > 0) return -E.EFAULT;
    return recvCall(k, a.i32(0), a.u(2), flags, (buf, r, s) => {
      dropAnc(k, r.anc);
      if (r.n > 0 && k.copyOut(dst, buf.subarray(0, r.n))) return -E.EFAULT;
      const from = senderOf(s, r);
      if (addr && lenAddr) {
        const e = from ? putAddr(k, addr, lenAddr, from) : k.copyOut(lenAddr, new Uint8Array(4));
        if (e) return -E.EFAULT;
      }
      return flags & MSG_TRUNC && (!s.stream() || s.seq()) ? r.full : r.n;
    });
  },
});

defineSyscall({
  nr: 47,
  name: "recvmsg",
  args: ["fd", "ptr", "x"],
  fn: (k, a) => {
    const maddr = a.u(1);
    const m = readMsg(k, maddr);
    if (typeof m === "number") return m;
    const flags = a.i32(2);
    let total = 0;
    for (const [, len] of m.iov) total += len;
    return recvCall(k, a.i32(0), total, flags, (buf, r, s) => {
      let o = 0;
      for (const [base, len] of m.iov) {
        if (o >= r.n) break;
        const take = Math.min(len, r.n - o);
        if (k.copyOut(base, buf.subarray(o, o + take))) return dropAnc(k, r.anc), -E.EFAULT;
        o += take;
      }
      const from = senderOf(s, r);
      const hdr = new Uint8Array(4);
      const dv = new DataView(hdr.buffer);
      if (m.name && m.namelen >= 0) {
        const b = from ?? new Uint8Array(0);
        if (k.copyOut(m.name, b.subarray(0, Math.min(m.namelen, b.length)))) return -E.EFAULT;
        dv.setInt32(0, b.length, true);
        if (k.copyOut(maddr + 8, hdr)) return -E.EFAULT;
      }
      // ancillary data: credentials (SO_PASSCRED) and passed files (unix sockets)
      const passcred = s.family === AF_UNIX && (s.opts.get((1 << 16) | 16)?.some((x) => x !== 0) ?? false);
      const ctl = buildControl(k, r.anc, m.control ? m.controllen : 0, passcred, flags);
      if (ctl.bytes.length && k.copyOut(m.control, ctl.bytes)) return -E.EFAULT;
      const cl = new Uint8Array(8);
      new DataView(cl.buffer).setUint32(0, ctl.bytes.length, true);
      if (k.copyOut(maddr + 40, cl)) return -E.EFAULT;
      const trunc = (!s.stream() || s.seq()) && r.full > r.n ? MSG_TRUNC : 0;
      dv.setInt32(0, trunc | ctl.flags | (flags & MSG_CMSG_CLOEXEC), true);
      if (k.copyOut(maddr + 48, hdr)) return -E.EFAULT;
      return flags & MSG_TRUNC && (!s.stream() || s.seq()) ? r.full : r.n;
    });
  },
});

defineSyscall({
  nr: 48,
  name: "shutdown",
  args: ["fd", "d"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const how = a.i32(1);
    if (how < 0 || how > 2) return -E.EINVAL;
    const s = x.s;
    if (s.stream() && !s.rx && !s.host) return -E.ENOTCONN;
    if (how !== 1) s.shutRd = true;
    if (how !== 0 && !s.shutWr) {
      s.shutWr = true;
      if (s.tx) s.tx.writers--;
      s.host?.shutdownWrite();
    }
    return 0;
  },
});

defineSyscall({
  nr: 51,
  name: "getsockname",
  args: ["fd", "ptr", "ptr"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const s = x.s;
    const b = (s.family === AF_UNIX ? null : s.host?.localAddr()) ?? s.local ?? unnamed(s.family);
    return putAddr(k, a.u(1), a.u(2), b);
  },
});

defineSyscall({
  nr: 52,
  name: "getpeername",
  args: ["fd", "ptr", "ptr"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const s = x.s;
    const b = s.host ? (s.host.peerAddr() ?? s.peerAddr) : (s.rx || (!s.stream() && s.peerAddr) ? s.peerAddr : null);
    if (!b) return -E.ENOTCONN;
    return putAddr(k, a.u(1), a.u(2), b);
  },
});

// ---- options --------------------------------------------------------------------

const SOL_SOCKET = 1;
const KNOWN_LEVELS = new Set([SOL_SOCKET, 0, 6, 17, 41]);

function intOpt(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

/** The value getsockopt reports. */
function optValue(s: Sock, level: number, name: number): Uint8Array | number {
  if (level === SOL_SOCKET) {
    switch (name) {
      case 3: // SO_TYPE
        return intOpt(s.type);
      case 4: {
        // SO_ERROR (reading clears it)
        let e = s.error;
        s.error = 0;
        if (!e && s.host && !s.listening) {
          const st = s.host.connectState();
          if (st < 0 && st !== -E.EINPROGRESS) e = -st;
        }
        return intOpt(e);
      }
      case 30: // SO_ACCEPTCONN
        return intOpt(s.listening ? 1 : 0);
      case 39: // SO_DOMAIN
        return intOpt(s.family);
      case 38: // SO_PROTOCOL
        return intOpt(s.proto);
      case 17: {
        // SO_PEERCRED: struct ucred of the peer's creator
        const b = new Uint8Array(12);
        const dv = new DataView(b.buffer);
        dv.setInt32(0, s.peer || s.rx ? s.peerPid : 0, true);
        dv.setInt32(4, s.peer || s.rx ? 0 : -1, true);
        dv.setInt32(8, s.peer || s.rx ? 0 : -1, true);
        return b;
      }
    }
  }
  const v = s.opts.get((level << 16) | name);
  if (v) return v;
  if (level === SOL_SOCKET) {
    if (name === 7) return intOpt(s.stream() ? 16384 : 212992); // SO_SNDBUF
    if (name === 8) return intOpt(s.stream() && s.family !== AF_UNIX ? 131072 : 212992); // SO_RCVBUF
    if (name === 13) return new Uint8Array(8); // SO_LINGER
    if (name === 20 || name === 21) return new Uint8Array(16); // SO_RCVTIMEO / SO_SNDTIMEO
    if (name === 18 || name === 19) return intOpt(1); // SO_RCVLOWAT / SO_SNDLOWAT
  }
  if (level === 6 && s.family !== AF_UNIX && name === 2) return intOpt(65483); // TCP_MAXSEG on loopback
  if (level === 0 && name === 2) return intOpt(64); // IP_TTL
  return intOpt(0);
}

defineSyscall({
  nr: 54,
  name: "setsockopt",
  args: ["fd", "d", "d", "ptr", "d"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const level = a.i32(1);
    const name = a.i32(2);
    const len = a.i32(4);
    if (!KNOWN_LEVELS.has(level)) return -E.ENOPROTOOPT;
    if ((level === 6 || level === 0 || level === 41) && x.s.family === AF_UNIX) return -E.EOPNOTSUPP;
    if (len < 0) return -E.EINVAL;
    let v: Uint8Array;
    try {
      v = k.cpu.mem.readBytes(a.u(3), Math.min(len, 256));
    } catch {
      return -E.EFAULT;
    }
    const big = level === SOL_SOCKET && (name === 13 || name === 20 || name === 21);
    if (v.length < (big ? (name === 13 ? 8 : 16) : 4)) return -E.EINVAL;
    if (level === SOL_SOCKET && (name === 7 || name === 8)) {
      // Linux doubles the buffer sizes it is given (bookkeeping overhead), within its limits
      const n = new DataView(v.buffer).getInt32(0, true);
      v = intOpt(Math.max(name === 7 ? 4608 : 2304, Math.min(n, 212992) * 2));
    }
    x.s.opts.set((level << 16) | name, big ? v : v.slice(0, 4));
    return 0;
  },
});

defineSyscall({
  nr: 55,
  name: "getsockopt",
  args: ["fd", "d", "d", "ptr", "ptr"],
  fn: (k, a) => {
    const x = sockArg(k, a.i32(0));
    if (typeof x === "number") return x;
    const level = a.i32(1);
    if (!KNOWN_LEVELS.has(level)) return -E.EOPNOTSUPP;
    if ((level === 6 || level === 0 || level === 41) && x.s.family === AF_UNIX) return -E.EOPNOTSUPP;
    let room: number;
    try {
      room = k.cpu.mem.read32(a.u(4)) | 0;
    } catch {
      return -E.EFAULT;
    }
    if (room < 0) return -E.EINVAL;
    const v = optValue(x.s, level, a.i32(2));
    if (typeof v === "number") return v;
    const n = Math.min(room, v.length);
    if (k.copyOut(a.u(3), v.subarray(0, n))) return -E.EFAULT;
    return k.copyOut(a.u(4), intOpt(n)) ? -E.EFAULT : 0;
  },
});
