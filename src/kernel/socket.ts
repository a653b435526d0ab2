/**
 * Sockets inside the kernel: AF_UNIX stream and datagram sockets (socketpair,
 * paths and abstract names) and AF_INET/AF_INET6 TCP and UDP between guest
 * tasks over loopback. A connected stream is two Pipes (one per direction);
 * a datagram socket has a message queue. Bound names live in a registry per
 * scheduler, so forked processes find each other. Blocking calls park their
 * task as pipe reads do (pipe.ts); readiness comes through OFile.ready.
 * Connections to ports no guest socket listens on go to the host
 * (socket-host.ts) when the Host offers networking.
 */
import { RESULT_BLOCK, RESULT_RESTART, type Kernel } from "./kernel.js";
import { files, normalize, type FileOps, type OFile } from "./files.js";
import { Pipe } from "./pipe.js";
import type { HostSocket, HostUdp } from "../host/host.js";
import { dropAnc, peekAnc, type Anc } from "./socket-msg.js";

export const E = { EPERM: 1, ENOENT: 2, EACCES: 13, EAGAIN: 11, EFAULT: 14, EINVAL: 22, EPIPE: 32, ENOTSOCK: 88, EDESTADDRREQ: 89, EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNRESET: 104, EISCONN: 106, ENOTCONN: 107, ECONNREFUSED: 111, EALREADY: 114, EINPROGRESS: 115 };

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_SEQPACKET = 5;
export const MSG_PEEK = 2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
const O_NONBLOCK = 0x800;
const S_IFSOCK = 0o140777;

const POLLIN = 0x1 | 0x40;
const POLLOUT = 0x4 | 0x100;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLRDHUP = 0x2000;
const MAX_DGRAMS = 256;

export interface Dgram {
  data: Uint8Array;
  from: Uint8Array | null;
  anc: Anc | null;
}

/** Where a message with ancillary data (every SOCK_SEQPACKET message) starts in a connection's byte stream. */
interface Mark {
  at: number;
  len: number;
  anc: Anc | null;
}

/** One direction of a connection: bytes, the message marks in them, what has been read. */
export class SockPipe extends Pipe {
  marks: Mark[] = [];
  readPos = 0;
  /** the credentials of the last sender (SO_PASSCRED on a stream) */
  last: Anc | null = null;
  take(buf: Uint8Array): number {
    const n = buf.length === 0 ? 0 : this.read(buf);
    if (n > 0) this.readPos += n;
    return n;
  }
  tail(): number {
    return this.readPos + this.size();
  }
  /** the reading end is gone: what was in flight is dropped */
  drop(k: Kernel | null): void {
    for (const m of this.marks) if (k) dropAnc(k, m.anc);
    this.marks.length = 0;
  }
}

export class Sock {
  /** sockaddr of this end (null: unbound) */
  local: Uint8Array | null = null;
  /** sockaddr of the peer (connected sockets; datagram default destination) */
  peerAddr: Uint8Array | null = null;
  /** the other end (socketpair, connected unix or loopback sockets) */
  peer: Sock | null = null;
  rx: SockPipe | null = null;
  tx: SockPipe | null = null;
  dgrams: Dgram[] = [];
  listening = false;
  backlog: Sock[] = [];
  key: string | null = null;
  shutRd = false;
  shutWr = false;
  closed = false;
  /** pending SO_ERROR */
  error = 0;
  /** setsockopt values by (level << 16 | name) */
  opts = new Map<number, Uint8Array>();
  /** a connection through the host's network (socket-host.ts) */
  host: HostSocket | null = null;
  /** the path a unix socket is bound to (its inode is in the file system) */
  path: string | null = null;
  /** a UDP socket's host side (socket-host.ts hostUdpBind) */
  udp: HostUdp | null = null;
  /** a non-blocking connect in progress (EALREADY) */
  connecting = false;
  /** pid of the peer's creator (SO_PEERCRED) */
  peerPid = 0;
  /** registry key of a connected datagram socket's destination */
  peerName: string | null = null;
  constructor(
    public readonly family: number,
    public readonly type: number,
    public readonly proto: number,
    /** pid of the creator (SO_PEERCRED) */
    public readonly pid: number,
    public readonly reg: Registry,
  ) {}

  stream(): boolean {
    return this.type !== SOCK_DGRAM;
  }
  /** SOCK_SEQPACKET: a connection that keeps message boundaries */
  seq(): boolean {
    return this.type === SOCK_SEQPACKET;
  }
}

/** Names bound by guest sockets: "unix:/path", "@abstract", "tcp:PORT", "udp:PORT". */
export class Registry {
  names = new Map<string, Sock>();
  nextPort = 40000;
  ephemeral(proto: "tcp" | "udp"): number {
    for (let j = 0; j < 28000; j++) {
      const p = this.nextPort;
      this.nextPort = p >= 60999 ? 32768 : p + 1;
      if (!this.names.has(`${proto}:${p}`)) return p;
    }
    return 0;
  }
}

const registries = new WeakMap<object, Registry>();
export function registry(k: Kernel): Registry {
  const key = k.sched as object;
  let r = registries.get(key);
  if (!r) registries.set(key, (r = new Registry()));
  return r;
}

export function sockOf(f: OFile | null): Sock | null {
  return f && f.kind === "sock" ? (f.obj as Sock) : null;
}

// ---- addresses -----------------------------------------------------------------

export function inetAddr(family: number, ip: Uint8Array, port: number): Uint8Array {
  const b = new Uint8Array(family === AF_INET ? 16 : 28);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, family, true);
  dv.setUint16(2, port, false);
  b.set(ip, family === AF_INET ? 4 : 8);
  return b;
}
export function addrPort(a: Uint8Array): number {
  return (a[2] << 8) | a[3];
}
export function addrIp(a: Uint8Array): Uint8Array {
  const fam = a[0] | (a[1] << 8);
  return fam === AF_INET ? a.slice(4, 8) : a.slice(8, 24);
}
const LOOP4 = new Uint8Array([127, 0, 0, 1]);
const LOOP6 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
export function loopback(family: number): Uint8Array {
  return family === AF_INET ? LOOP4 : LOOP6;
}
function isAny(ip: Uint8Array): boolean {
  return ip.every((x) => x === 0);
}
/** An address this machine has (we claim loopback and the wildcard only). */
/** Two inet sockaddrs name the same port and address. */
export function sameAddr(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const ipEnd = a.length === 16 ? 8 : 24;
  for (let j = 2; j < ipEnd; j++) if (a[j] !== b[j]) return false;
  return true;
}

export function isLocal(family: number, ip: Uint8Array): boolean {
  if (isAny(ip)) return true;
  if (family === AF_INET) return ip[0] === 127;
  const v4mapped = ip.subarray(0, 10).every((x) => x === 0) && ip[10] === 0xff && ip[11] === 0xff;
  return v4mapped ? ip[12] === 127 : ip.every((x, j) => x === (j === 15 ? 1 : 0));
}

export interface Parsed {
  key: string;
  bytes: Uint8Array;
  /** inet: the port and ip */
  port: number;
  ip: Uint8Array | null;
  /** unix: the absolute path of a named (not abstract) address */
  path?: string;
}

/** Read a sockaddr of `len` bytes for socket s: its registry key, or -errno. */
export function parseAddr(k: Kernel, s: Sock, addr: number, len: number): Parsed | number {
  if (len < 2 || len > 128) return -E.EINVAL;
  let b: Uint8Array;
  try {
    b = k.cpu.mem.readBytes(addr, len);
  } catch {
    return -E.EFAULT;
  }
  const fam = b[0] | (b[1] << 8);
  if (s.family === AF_UNIX) {
    if (fam !== AF_UNIX) return -E.EINVAL;
    if (len === 2) return { key: "", bytes: b, port: 0, ip: null };
    if (b[2] === 0) return { key: "@" + String.fromCharCode(...b.subarray(3)), bytes: b, port: 0, ip: null };
    let end = 2;
    while (end < len && b[end] !== 0) end++;
    const raw = new TextDecoder().decode(b.subarray(2, end));
    const path = raw.startsWith("/") ? normalize(raw) : normalize(files(k).cwd + "/" + raw);
    return { key: "unix:" + path, bytes: b.slice(0, end + 1 > len ? len : end + 1), port: 0, ip: null, path };
  }
  if (fam !== s.family) return s.family === AF_INET6 && fam === AF_INET ? -E.EAFNOSUPPORT : -E.EAFNOSUPPORT;
  const need = fam === AF_INET ? 16 : 28;
  if (len < need) return -E.EINVAL;
  const port = (b[2] << 8) | b[3];
  const ip = fam === AF_INET ? b.slice(4, 8) : b.slice(8, 24);
  return { key: `${s.stream() ? "tcp" : "udp"}:${port}`, bytes: b.slice(0, need), port, ip };
}

const S_IFMT = 0o170000;
const S_IFSOCK_TYPE = 0o140000;

/** The file system holds socket inodes (the Node host): bound paths are files, looked up by inode. */
function inodes(k: Kernel) {
  const fs = k.host.fs;
  return fs && fs.mksock ? fs : null;
}
function inodeKey(dev: number, ino: number): string {
  return `unix#${dev}:${ino}`;
}

/** connect/sendto to a unix path: find the socket inode there (its key in p), or -errno as Linux. */
export function lookupUnix(k: Kernel, p: Parsed): number {
  const fs = inodes(k);
  if (!fs || p.path === undefined) return 0;
  const st = fs.stat(p.path, true);
  if (typeof st === "number") return st;
  if ((st.mode & S_IFMT) !== S_IFSOCK_TYPE) return -E.ECONNREFUSED;
  p.key = inodeKey(st.dev, st.ino);
  return 0;
}

/** bind to a unix path: make the socket inode (EADDRINUSE when the path exists); p's key becomes its inode. */
export function rekeyUnix(k: Kernel, s: Sock): void {
  const fs = inodes(k);
  if (!fs || s.path === null || s.key === null) return;
  const st = fs.stat(s.path, false);
  if (typeof st === "number") return;
  if (s.reg.names.get(s.key) === s) s.reg.names.delete(s.key);
  s.key = inodeKey(st.dev, st.ino);
  s.reg.names.set(s.key, s);
}

export function makeUnixInode(k: Kernel, p: Parsed): number {
  const fs = inodes(k);
  if (!fs || p.path === undefined) return 0;
  const r = fs.mksock!(p.path);
  if (r === -17) return -E.EADDRINUSE; // EEXIST
  if (r < 0) return r;
  const st = fs.stat(p.path, false);
  if (typeof st === "number") return st;
  p.key = inodeKey(st.dev, st.ino);
  return 0;
}

/** Write a sockaddr to addr with its length at lenAddr (value-result, truncated as Linux does). */
export function putAddr(k: Kernel, addr: number, lenAddr: number, bytes: Uint8Array): number {
  if (addr === 0 || lenAddr === 0) return 0;
  let room: number;
  try {
    room = k.cpu.mem.read32(lenAddr) | 0;
  } catch {
    return -E.EFAULT;
  }
  if (room < 0) return -E.EINVAL;
  if (k.copyOut(addr, bytes.subarray(0, Math.min(room, bytes.length)))) return -E.EFAULT;
  try {
    k.cpu.mem.write32(lenAddr, bytes.length);
  } catch {
    return -E.EFAULT;
  }
  return 0;
}

export function unnamed(family: number): Uint8Array {
  if (family !== AF_UNIX) return inetAddr(family, new Uint8Array(family === AF_INET ? 4 : 16), 0);
  return new Uint8Array([AF_UNIX, 0]);
}

// ---- binding and connecting --------------------------------------------------

/** bind(2) of s to p (port 0: an ephemeral one). */
export function bindTo(s: Sock, p: Parsed): number {
  // an autobind request on a bound unix socket succeeds doing nothing (Linux's unix_autobind)
  if (s.family === AF_UNIX && p.key === "") return s.local !== null ? 0 : unixAutobind(s);
  if (s.local !== null) return -E.EINVAL;
  if (s.family === AF_UNIX) {
    if (s.reg.names.has(p.key)) return -E.EADDRINUSE;
    s.local = p.bytes;
    s.key = p.key;
    s.reg.names.set(p.key, s);
    return 0;
  }
  if (!isLocal(s.family, p.ip!)) return -E.EADDRNOTAVAIL;
  const proto = s.stream() ? "tcp" : "udp";
  let port = p.port;
  if (port === 0) port = s.reg.ephemeral(proto);
  const key = `${proto}:${port}`;
  if (s.reg.names.has(key)) return -E.EADDRINUSE;
  s.local = inetAddr(s.family, p.ip!, port);
  s.key = key;
  s.reg.names.set(key, s);
  return 0;
}

/** bind(2) with only the family: an abstract name of five hex digits, as Linux's unix_autobind. */
function unixAutobind(s: Sock): number {
  for (let j = 0; j < 0x100000; j++) {
    const name = ((s.reg.nextPort++ * 2654435761) >>> 0 & 0xfffff).toString(16).padStart(5, "0");
    if (s.reg.names.has("@" + name)) continue;
    s.local = new Uint8Array([AF_UNIX, 0, 0, ...new TextEncoder().encode(name)]);
    s.key = "@" + name;
    s.reg.names.set(s.key, s);
    return 0;
  }
  return -E.EADDRINUSE;
}

/** Give an unbound inet socket an ephemeral port on the wildcard address. */
export function autobind(s: Sock): void {
  if (s.local !== null || s.family === AF_UNIX) return;
  const proto = s.stream() ? "tcp" : "udp";
  const port = s.reg.ephemeral(proto);
  s.local = inetAddr(s.family, new Uint8Array(s.family === AF_INET ? 4 : 16), port);
  s.key = `${proto}:${port}`;
  s.reg.names.set(s.key, s);
}

/** Join two stream ends with a pipe each way. */
export function joinStreams(a: Sock, b: Sock): void {
  const ab = new SockPipe();
  const ba = new SockPipe();
  ab.capacity = ba.capacity = 212992;
  a.tx = ab;
  b.rx = ab;
  b.tx = ba;
  a.rx = ba;
  a.peer = b;
  b.peer = a;
}

/** The address a connected inet end shows as its own: the bound one, the wildcard made loopback. */
function concrete(s: Sock): Uint8Array {
  const l = s.local!;
  if (s.family === AF_UNIX) return l;
  const ip = addrIp(l);
  return isAny(ip) ? inetAddr(s.family, loopback(s.family), addrPort(l)) : l;
}

/** connect(2) of a stream socket to a guest listener; -ECONNREFUSED when none (the caller may try the host). */
export function connectLocal(k: Kernel, s: Sock, p: Parsed, nonblock: boolean): number {
  const l = s.reg.names.get(p.key);
  if (l && !l.closed && l.type !== s.type) return p.key.startsWith("@") ? -E.ECONNREFUSED : -E.EPROTOTYPE;
  if (!l || !l.listening || l.closed) return s.family === AF_UNIX && !l && p.key.startsWith("unix:") ? -E.ENOENT : -E.ECONNREFUSED;
  autobind(s);
  const srv = new Sock(l.family, l.type, l.proto, k.proc ? k.proc.pid : 0, l.reg);
  joinStreams(s, srv);
  srv.local = concrete(l);
  srv.peerAddr = s.local ? concrete(s) : unnamed(s.family);
  s.peerAddr = s.family === AF_UNIX ? l.local : inetAddr(s.family, addrIp(p.bytes).every((x) => x === 0) ? loopback(s.family) : addrIp(p.bytes), p.port);
  if (s.family !== AF_UNIX) s.local = concrete(s);
  srv.peerPid = s.pid;
  s.peerPid = l.pid;
  l.backlog.push(srv);
  return nonblock && s.family !== AF_UNIX ? -E.EINPROGRESS : 0;
}

/** Close one socket: its ends of the pipes, its name, its unaccepted connections. */
export function closeSock(s: Sock, k: Kernel | null = null): void {
  if (s.closed) return;
  s.closed = true;
  if (s.rx && --s.rx.readers === 0) s.rx.drop(k);
  if (s.tx && !s.shutWr) s.tx.writers--;
  s.shutWr = true;
  if (k) for (const d of s.dgrams) dropAnc(k, d.anc);
  s.dgrams.length = 0;
  if (s.key !== null && s.reg.names.get(s.key) === s) s.reg.names.delete(s.key);
  for (const c of s.backlog) closeSock(c, k);
  s.backlog.length = 0;
  if (s.host) s.host.close();
  if (s.udp) s.udp.close();
}

// ---- readiness -------------------------------------------------------------------

/** Edge-triggered epoll's wakeup count of a connected stream socket (its two pipes), -1: unknown (listening, datagram, host sockets). */
function sockWakes(s: Sock, events: number): number {
  if (s.listening || s.host || !s.stream() || !s.rx || !s.tx) return -1;
  return s.rx.wakes(events & ~POLLOUT) + s.tx.wakes(events & ~POLLIN) + (s.shutRd ? 1 : 0);
}

export function sockReady(s: Sock): number {
  let r = s.error ? POLLERR : 0;
  if (s.listening) return r | (s.backlog.length ? POLLIN : 0) | (s.host ? s.host.ready() : 0);
  if (s.host) return r | s.host.ready();
  if (!s.stream()) return r | (s.dgrams.length ? POLLIN : 0) | POLLOUT;
  if (!s.rx || !s.tx) return r | (s.family === AF_UNIX ? 0 : POLLOUT | POLLHUP);
  const eof = s.rx.writers === 0;
  if (s.rx.size() > 0 || s.rx.marks.length > 0 || eof || s.shutRd) r |= POLLIN;
  if (eof) r |= POLLRDHUP;
  if (!s.shutWr && s.tx.writeReady()) r |= POLLOUT;
  // TCP hangs up when both directions are shut; a unix peer's close shuts both (its shutdown(SHUT_WR) only the reading side: RDHUP)
  if ((eof || s.shutRd) && s.shutWr) r |= POLLHUP;
  else if (eof && s.family === AF_UNIX && s.tx.readers === 0) r |= POLLHUP;
  return r;
}

// ---- data ------------------------------------------------------------------------

function nonblocking(f: OFile, flags: number): boolean {
  return (f.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
}

function peekPipe(p: Pipe, buf: Uint8Array): number {
  let n = 0;
  for (const c of p.chunks) {
    if (n >= buf.length) break;
    const take = Math.min(c.length, buf.length - n);
    buf.set(c.subarray(0, take), n);
    n += take;
  }
  return n;
}

/** What a receive delivered: bytes (and for datagrams the sender and the full length). */
export interface Received {
  n: number;
  from: Uint8Array | null;
  full: number;
  /** files and credentials that came with the data (the deliverer installs or drops the files) */
  anc: Anc | null;
}

/**
 * Receive into buf. deliver() copies the result out and gives the syscall's
 * result; when nothing is there the task parks and the call is retried.
 */
export function sockRecv(k: Kernel, f: OFile, s: Sock, buf: Uint8Array, flags: number, deliver: (r: Received) => number): number {
  const attempt = (): number => {
    if (s.host) {
      const n = s.host.recv(buf, (flags & MSG_PEEK) !== 0);
      if (n === -E.EAGAIN) return RESULT_BLOCK;
      return n < 0 ? n : deliver({ n, from: s.host.dgramFrom ?? null, full: s.host.dgramLen ?? n, anc: null });
    }
    if (!s.stream()) {
      const d = s.dgrams[0];
      if (!d) return s.shutRd ? deliver({ n: 0, from: null, full: 0, anc: null }) : RESULT_BLOCK;
      const peek = (flags & MSG_PEEK) !== 0;
      if (!peek) s.dgrams.shift();
      const n = Math.min(buf.length, d.data.length);
      buf.set(d.data.subarray(0, n));
      return deliver({ n, from: d.from, full: d.data.length, anc: peek ? peekAnc(d.anc) : d.anc });
    }
    const rx = s.rx;
    if (!rx) return s.family === AF_UNIX ? -E.EINVAL : -E.ENOTCONN;
    const none = { n: 0, from: null, full: 0, anc: null };
    if (s.shutRd && rx.size() === 0 && rx.marks.length === 0) return deliver(none);
    if (s.error) {
      const e = s.error;
      s.error = 0;
      return -e;
    }
    const peek = (flags & MSG_PEEK) !== 0;
    if (s.seq()) return seqRecv(rx, buf, peek, deliver);
    if (buf.length === 0) return deliver(none);
    const want = flags & MSG_WAITALL && !peek ? buf.length : 1;
    if (rx.size() < want && rx.writers > 0) {
      // MSG_WAITALL: wait for all of it (or the end)
      if (rx.size() === 0 || want > 1) return RESULT_BLOCK;
    }
    // a read reaching a message with files takes them and stops at that message's end (as Linux's unix streams)
    let limit = Math.min(buf.length, rx.size());
    let anc = rx.last;
    const m = rx.marks[0];
    if (m && m.at < rx.readPos + limit) {
      limit = Math.min(limit, m.at + m.len - rx.readPos);
      if (peek) anc = peekAnc(m.anc);
      else {
        anc = m.anc;
        rx.marks.shift();
      }
    }
    const part = buf.subarray(0, limit);
    const n = peek ? peekPipe(rx, part) : rx.take(part);
    return deliver({ n: Math.max(0, n), from: null, full: Math.max(0, n), anc });
  };
  const r = attempt();
  if (r !== RESULT_BLOCK) return r;
  if (nonblocking(f, flags)) return -E.EAGAIN;
  // the call runs again from the start once something is there (its caller copies the data out)
  return k.sched.park(k, { retry: () => (sockReady(s) & (POLLIN | POLLERR | POLLHUP) ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart" });
}

/** A SOCK_SEQPACKET receive: one whole message, the part that does not fit discarded. */
function seqRecv(rx: SockPipe, buf: Uint8Array, peek: boolean, deliver: (r: Received) => number): number {
  const m = rx.marks[0];
  if (!m) return rx.writers === 0 ? deliver({ n: 0, from: null, full: 0, anc: null }) : RESULT_BLOCK;
  const n = Math.min(buf.length, m.len);
  if (peek) {
    peekPipe(rx, buf.subarray(0, n));
    return deliver({ n, from: null, full: m.len, anc: peekAnc(m.anc) });
  }
  rx.take(buf.subarray(0, n));
  if (m.len > n) rx.take(new Uint8Array(m.len - n));
  rx.marks.shift();
  return deliver({ n, from: null, full: m.len, anc: m.anc });
}

function brokenPipe(k: Kernel, flags: number): number {
  if (!(flags & MSG_NOSIGNAL)) k.signalHandlers.raise(k, 13, 0, k.proc ? k.proc.pid : k.host.getpid());
  return -E.EPIPE;
}

/** Send data (dest: a parsed address for unconnected datagram sockets). */
export function sockSend(k: Kernel, f: OFile, s: Sock, data: Uint8Array, flags: number, dest: Parsed | null, anc: Anc | null = null): number {
  const r = sendData(k, f, s, data, flags, dest, anc);
  // what a failed send carried goes back (its files' references)
  if (r < 0 && anc) dropAnc(k, anc);
  return r;
}

function sendData(k: Kernel, f: OFile, s: Sock, data: Uint8Array, flags: number, dest: Parsed | null, anc: Anc | null): number {
  if (s.host) {
    const r = s.host.send(data, dest ? dest.bytes : null);
    if (r === -E.EPIPE) return brokenPipe(k, flags);
    if (r !== -E.EAGAIN || nonblocking(f, flags)) return r;
    return k.sched.park(k, { retry: () => (s.host!.ready() & POLLOUT ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart" });
  }
  if (!s.stream()) return dgramSend(k, f, s, data, flags, dest, anc);
  if (s.shutWr && s.tx) return brokenPipe(k, flags);
  if (!s.tx) return s.family === AF_UNIX ? -E.ENOTCONN : brokenPipe(k, flags);
  const tx = s.tx;
  if (tx.readers === 0) return brokenPipe(k, flags);
  if (anc) tx.last = { ...anc, fds: null };
  if (s.seq()) return seqSend(k, f, tx, data, flags, anc);
  // files ride with the message's first byte
  let at = tx.tail();
  const put = (d: Uint8Array): number => {
    const n = tx.put(d, false);
    if (n > 0 && anc && anc.fds) {
      tx.marks.push({ at, len: data.length, anc });
      anc = null;
    }
    return n;
  };
  let done = put(data);
  if (done === data.length) return done;
  if (nonblocking(f, flags)) return done > 0 ? done : -E.EAGAIN;
  return k.sched.park(k, {
    retry: () => {
      if (tx.readers === 0) {
        if (done > 0) return done;
        if (anc) dropAnc(k, anc);
        anc = null;
        return brokenPipe(k, flags);
      }
      if (done === 0) at = tx.tail();
      done += put(data.subarray(done));
      return done === data.length ? done : RESULT_BLOCK;
    },
    cancel: () => {
      if (anc) dropAnc(k, anc);
      anc = null;
    },
    deadline: null,
    onSignal: "restart",
    partial: () => done,
  });
}

/** A SOCK_SEQPACKET send: the whole message or nothing. */
function seqSend(k: Kernel, f: OFile, tx: SockPipe, data: Uint8Array, flags: number, anc: Anc | null): number {
  if (data.length > tx.capacity - 32) return -E.EMSGSIZE;
  const put = (): number => {
    if (tx.readers === 0) return brokenPipe(k, flags);
    if (data.length > 0 && tx.put(data, true) === 0) return RESULT_BLOCK;
    tx.marks.push({ at: tx.tail() - data.length, len: data.length, anc });
    return data.length;
  };
  return sendOrPark(k, f, flags, put, anc);
}

/** Try put() now, else park until it goes through; a send given up drops its files. */
function sendOrPark(k: Kernel, f: OFile, flags: number, put: () => number, anc: Anc | null): number {
  const r = put();
  if (r !== RESULT_BLOCK) return r;
  if (nonblocking(f, flags)) return -E.EAGAIN;
  let sent = false;
  const retry = (): number => {
    const x = put();
    if (x !== RESULT_BLOCK) {
      sent = true;
      if (x < 0) dropAnc(k, anc);
    }
    return x;
  };
  return k.sched.park(k, { retry, cancel: () => void (sent || dropAnc(k, anc)), deadline: null, onSignal: "restart" });
}

function dgramSend(k: Kernel, f: OFile, s: Sock, data: Uint8Array, flags: number, dest: Parsed | null, anc: Anc | null): number {
  let to: Sock | null;
  if (s.family !== AF_UNIX && data.length > (s.family === AF_INET ? 65507 : 65527)) return -E.EMSGSIZE;
  const outside = (a: Uint8Array): number => {
    // not a guest socket: through the host (when it has a network), else lost as UDP to nobody is
    if (s.udp) s.udp.send(data, a);
    return data.length;
  };
  if (dest) {
    to = s.reg.names.get(dest.key) ?? null;
    if (s.family !== AF_UNIX && (!to || to.stream() || !isLocal(s.family, dest.ip!))) return outside(dest.bytes);
    if (!to || to.stream()) return to ? -E.EPROTOTYPE : dest.key.startsWith("unix:") ? -E.ENOENT : -E.ECONNREFUSED;
  } else if (s.peer) to = s.peer.closed ? null : s.peer;
  else if (s.peerName !== null) {
    to = s.reg.names.get(s.peerName) ?? null;
    if (s.family !== AF_UNIX && (!to || !isLocal(s.family, addrIp(s.peerAddr!)))) return outside(s.peerAddr!);
    if (!to) return -E.ECONNREFUSED;
  } else return s.family === AF_UNIX ? -E.ENOTCONN : -E.EDESTADDRREQ;
  if (!to) return -E.ECONNREFUSED;
  if (data.length > 212992) return -E.EMSGSIZE;
  autobind(s);
  const from = s.local ? concrete(s) : null;
  const put = (): number => {
    if (to!.closed) return -E.ECONNREFUSED;
    // a connected UDP socket hears its peer only
    if (to!.family !== AF_UNIX && to!.peerName !== null && to!.peerAddr && from && !sameAddr(to!.peerAddr, from)) return data.length;
    // a full queue: a unix sender waits, a UDP datagram is dropped
    if (to!.dgrams.length >= MAX_DGRAMS) return to!.family === AF_UNIX ? RESULT_BLOCK : data.length;
    to!.dgrams.push({ data: data.slice(), from, anc });
    return data.length;
  };
  return sendOrPark(k, f, flags, put, anc);
}

export const sockOps: FileOps = {
  read: (k, f, buf) => {
    const s = f.obj as Sock;
    return sockRecv(k, f, s, buf, 0, (r) => (dropAnc(k, r.anc), r.n));
  },
  write: (k, f, data) => sockSend(k, f, f.obj as Sock, data, 0, null),
  close: (k, f) => closeSock(f.obj as Sock, k),
  mode: S_IFSOCK,
  pending: (f) => {
    const s = f.obj as Sock;
    if (s.host) return s.host.pending();
    if (!s.stream()) return s.dgrams.length ? s.dgrams[0].data.length : 0;
    return s.rx ? s.rx.size() : 0;
  },
};

/** A new descriptor for socket s. */
export function sockFile(s: Sock, nonblock: boolean): OFile {
  return { kind: "sock", h: -1, pos: 0, flags: 2 | (nonblock ? O_NONBLOCK : 0), path: `socket:[${8000 + sockSeq++}]`, refs: 1, ops: sockOps, obj: s, ready: () => sockReady(s), wakes: (_k, ev) => sockWakes(s, ev) };
}
let sockSeq = 0;
