/**
 * Inet sockets through the host's network (Host.net): a TCP connection to a
 * port no guest socket listens on, a listener host processes can reach, UDP
 * to the outside. Without Host.net (the in-memory host) these fail as an
 * unreachable network would.
 */
import type { Kernel } from "./kernel.js";
import { AF_UNIX, E, inetAddr, rekeyUnix, sameAddr, Sock, SOCK_STREAM, unnamed, type Parsed } from "./socket.js";

/** connect(2) through the host: 0, -EINPROGRESS (the caller parks or returns it), or -errno. */
export function hostConnect(k: Kernel, s: Sock, p: Parsed): number {
  const net = k.host.net;
  if (!net) return -E.ECONNREFUSED;
  const h = net.connect(s.family, p.bytes);
  if (typeof h === "number") return h;
  s.host = h;
  if (s.key !== null && s.reg.names.get(s.key) === s) s.reg.names.delete(s.key);
  const st = h.connectState();
  return st;
}

/** listen(2) on an inet socket: also listen on the host's port, when it has a network. */
export function hostListen(k: Kernel, s: Sock, backlog: number): void {
  const net = k.host.net;
  if (!net || !s.local) return;
  const h = net.listen(s.family, s.local, backlog);
  if (typeof h !== "number") s.host = h;
}

/** A connection a host process made to a guest listener, as a socket. */
export function hostAccept(k: Kernel, s: Sock): Sock | null {
  const c = s.host?.accept?.() ?? null;
  if (!c) return null;
  const n = new Sock(s.family, s.type, s.proto, k.proc ? k.proc.pid : 0, s.reg);
  n.host = c;
  n.local = s.family === AF_UNIX ? s.local : c.localAddr();
  n.peerAddr = s.family === AF_UNIX ? unnamed(AF_UNIX) : c.peerAddr();
  return n;
}

/**
 * listen(2) on a unix stream socket bound to a path: a host listener takes the
 * place of its inode, so host programs can connect to the path too.
 */
export function hostListenUnix(k: Kernel, s: Sock, backlog: number): void {
  const net = k.host.net;
  if (!net?.listenUnix || s.path === null || s.type !== SOCK_STREAM) return;
  const h = net.listenUnix(s.path, backlog);
  if (typeof h === "number") return;
  s.host = h;
  rekeyUnix(k, s);
}

/** connect(2) of a unix stream socket to a host program's socket file: 0, -EINPROGRESS (the caller waits), or -errno. */
export function hostConnectUnix(k: Kernel, s: Sock, path: string): number {
  const net = k.host.net;
  if (!net?.connectUnix || s.type !== SOCK_STREAM) return -E.ECONNREFUSED;
  const h = net.connectUnix(path);
  if (typeof h === "number") return h;
  s.host = h;
  s.peerAddr = new Uint8Array([1, 0, ...new TextEncoder().encode(path), 0]);
  return h.connectState();
}

const MAX_DGRAMS = 256;

/**
 * Bind a UDP socket through the host (its port is a real host port, so host
 * processes reach it and it reaches them): 0, -errno, or 1 when the host has
 * no network (the caller binds inside the kernel).
 */
export function hostUdpBind(k: Kernel, s: Sock, at: Uint8Array): number {
  const net = k.host.net;
  if (!net || s.family === AF_UNIX || s.stream()) return 1;
  if (s.local !== null) return -E.EINVAL;
  const h = net.udp(s.family, at, (data, from) => {
    if (s.closed || s.dgrams.length >= MAX_DGRAMS) return; // a full receive queue drops, as UDP does
    const p = s.peerAddr;
    if (p && s.peerName !== null && !sameAddr(p, from)) return; // a connected socket hears its peer only
    s.dgrams.push({ data: data.slice(), from, anc: null });
  });
  if (typeof h === "number") return h;
  const local = h.localAddr();
  const port = (local[2] << 8) | local[3];
  const key = `udp:${port}`;
  if (s.reg.names.has(key)) {
    h.close();
    return -E.EADDRINUSE;
  }
  s.udp = h;
  s.local = inetAddr(s.family, s.family === 2 ? at.subarray(4, 8) : at.subarray(8, 24), port);
  s.key = key;
  s.reg.names.set(key, s);
  return 0;
}

/** Give an unbound UDP socket a port on the wildcard address (through the host when it has a network). */
export function udpAutobind(k: Kernel, s: Sock): number {
  if (s.local !== null) return 0;
  const r = hostUdpBind(k, s, inetAddr(s.family, new Uint8Array(s.family === 2 ? 4 : 16), 0));
  return r === 1 ? 0 : r;
}
