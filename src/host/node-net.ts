/**
 * Host.net on Node: TCP connections and listeners through node:net. Node is
 * asynchronous, the guest's calls are not: each socket keeps a receive
 * buffer filled by 'data' events (paused above a high-water mark), a
 * connection state set by 'connect'/'error', and reports readiness; every
 * event calls `wake` so an idle run loop retries the parked guest tasks.
 * Addresses are sockaddr_in / sockaddr_in6 bytes.
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostNet, HostSocket, HostUdp } from "./host.js";

const AF_INET = 2;
const POLLIN = 0x1 | 0x40;
const POLLOUT = 0x4 | 0x100;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLRDHUP = 0x2000;
const EAGAIN = 11;
const EPIPE = 32;
const EINPROGRESS = 115;
const ECONNRESET = 104;
const HIGH = 256 * 1024;

function errnoOf(e: unknown): number {
  const code = (e as { code?: string }).code ?? "";
  const n = (os.constants.errno as Record<string, number>)[code];
  return n ? -n : -ECONNRESET;
}

/** The host string of a sockaddr's address, its port and family. */
export function sockaddrHost(a: Uint8Array): { host: string; port: number; v6: boolean } {
  const fam = a[0] | (a[1] << 8);
  const port = (a[2] << 8) | a[3];
  if (fam === AF_INET) return { host: `${a[4]}.${a[5]}.${a[6]}.${a[7]}`, port, v6: false };
  const parts: string[] = [];
  for (let j = 0; j < 8; j++) parts.push(((a[8 + 2 * j] << 8) | a[9 + 2 * j]).toString(16));
  return { host: parts.join(":"), port, v6: true };
}

/** A sockaddr of `family` for a host address string and port (IPv4 in an IPv6 socket: v4-mapped). */
export function hostSockaddr(family: number, host: string | undefined, port: number | undefined): Uint8Array {
  const b = new Uint8Array(family === AF_INET ? 16 : 28);
  b[0] = family;
  b[2] = ((port ?? 0) >> 8) & 0xff;
  b[3] = (port ?? 0) & 0xff;
  let h = host ?? "";
  if (family === AF_INET) {
    if (h.startsWith("::ffff:")) h = h.slice(7);
    if (net.isIPv4(h)) h.split(".").forEach((x, j) => (b[4 + j] = Number(x)));
    return b;
  }
  if (net.isIPv4(h)) h = "::ffff:" + h;
  if (!net.isIPv6(h)) return b;
  let tail: number[] = [];
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (m) {
    const q = m[2].split(".").map(Number);
    tail = [(q[0] << 8) | q[1], (q[2] << 8) | q[3]];
    h = m[1] + "0:0";
  }
  const [l, r] = h.split("::");
  const left = l ? l.split(":").map((x) => parseInt(x, 16)) : [];
  const right = r !== undefined && r !== "" ? r.split(":").map((x) => parseInt(x, 16)) : [];
  const groups = r === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  if (tail.length) groups.splice(6, 2, ...tail);
  groups.forEach((g, j) => {
    b[8 + 2 * j] = (g >> 8) & 0xff;
    b[9 + 2 * j] = g & 0xff;
  });
  return b;
}

let inodeSeq = 0;

/**
 * A socket inode at hostPath, as bind(2) leaves one (it stays after close).
 * Node makes socket files only by listening on them, and removes them when
 * the server closes: listen on a fresh name in the same directory, link the
 * path to it (EEXIST when the path is taken), drop the fresh name, close.
 */
export function makeSocketInode(hostPath: string): number {
  const dir = path.dirname(hostPath);
  const st = fs.statSync(dir); // ENOENT, ENOTDIR, EACCES as bind gives them
  if (!st.isDirectory()) throw { code: "ENOTDIR" };
  if (isLink(hostPath)) throw { code: "EEXIST" };
  const name = `.x64emu-${process.pid}-${inodeSeq++}`;
  // a sockaddr_un holds 107 bytes of path: a longer one (deep under --root) is bound from inside its directory
  const long = Buffer.byteLength(path.join(dir, name)) > 107;
  const tmp = long ? name : path.join(dir, name);
  const back = process.cwd();
  if (long) process.chdir(dir);
  const server = net.createServer();
  server.on("error", () => undefined);
  try {
    server.listen(tmp);
    if (!isLink(tmp)) {
      fs.accessSync(dir, fs.constants.W_OK); // EACCES
      throw { code: "EIO" };
    }
    fs.linkSync(tmp, hostPath);
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // not created
    }
    server.close(); // (removes the fresh name, relative to the directory we are in)
    if (long) process.chdir(back);
  }
  return 0;
}

function isLink(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

class TcpSocket implements HostSocket {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private eof = false;
  private err = 0;
  private state: number;
  private shutWr = false;
  constructor(
    private readonly sock: net.Socket,
    private readonly family: number,
    private readonly owner: NodeNet,
    connected: boolean,
  ) {
    this.state = connected ? 0 : -EINPROGRESS;
    sock.on("connect", () => {
      this.state = 0;
      owner.poke();
    });
    sock.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.bytes += d.length;
      if (this.bytes > HIGH) sock.pause();
      owner.poke();
    });
    sock.on("end", () => {
      this.eof = true;
      owner.poke();
    });
    sock.on("drain", () => owner.poke());
    sock.on("error", (e) => {
      const n = errnoOf(e);
      if (this.state === -EINPROGRESS) this.state = n;
      else this.err = n;
      this.eof = true;
      owner.poke();
    });
    sock.on("close", () => {
      this.eof = true;
      owner.poke();
    });
  }
  ready(): number {
    if (this.state === -EINPROGRESS) return 0;
    if (this.state < 0) return POLLOUT | POLLERR | POLLHUP;
    let r = this.err ? POLLERR : 0;
    if (this.bytes > 0 || this.eof) r |= POLLIN;
    if (this.eof) r |= POLLRDHUP;
    if (!this.shutWr && !this.eof && this.sock.writableLength < HIGH) r |= POLLOUT;
    if (this.eof && (this.shutWr || this.err)) r |= POLLHUP;
    return r;
  }
  connectState(): number {
    return this.state;
  }
  recv(buf: Uint8Array, peek: boolean): number {
    if (this.state !== 0) return this.state === -EINPROGRESS ? -EAGAIN : this.state;
    if (this.bytes === 0) {
      if (this.err) {
        const e = this.err;
        this.err = 0;
        return e;
      }
      return this.eof ? 0 : -EAGAIN;
    }
    let n = 0;
    let j = 0;
    while (n < buf.length && j < this.chunks.length) {
      const c = this.chunks[j];
      const take = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (peek) j++;
      else if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    if (!peek) {
      this.bytes -= n;
      if (this.bytes < HIGH / 2 && this.sock.isPaused()) this.sock.resume();
    }
    return n;
  }
  send(data: Uint8Array): number {
    if (this.state !== 0) return this.state === -EINPROGRESS ? -EAGAIN : -EPIPE;
    if (this.err) {
      const e = this.err;
      this.err = 0;
      return e;
    }
    if (this.shutWr || this.sock.destroyed || !this.sock.writable) return -EPIPE;
    if (this.sock.writableLength >= HIGH) return -EAGAIN;
    this.sock.write(Buffer.from(data));
    return data.length;
  }
  pending(): number {
    return this.bytes;
  }
  shutdownWrite(): void {
    if (this.shutWr) return;
    this.shutWr = true;
    if (this.state === 0) this.sock.end();
  }
  close(): void {
    const s = this.sock;
    if (this.state !== 0 || s.destroyed) {
      s.destroy();
      return;
    }
    // what was written still goes out (as a close on Linux), then the socket ends
    s.end();
    s.resume();
    s.once("finish", () => s.destroy());
    setTimeout(() => s.destroy(), 5000).unref();
  }
  localAddr(): Uint8Array | null {
    return this.sock.localPort === undefined ? null : hostSockaddr(this.family, this.sock.localAddress, this.sock.localPort);
  }
  peerAddr(): Uint8Array | null {
    return this.sock.remotePort === undefined ? null : hostSockaddr(this.family, this.sock.remoteAddress, this.sock.remotePort);
  }
}

class TcpListener implements HostSocket {
  private queue: net.Socket[] = [];
  /** -EINPROGRESS until the host port is bound, then 0 (or the bind's -errno) */
  private failed = -EINPROGRESS;
  constructor(
    private readonly server: net.Server,
    private readonly family: number,
    private readonly at: Uint8Array,
    private readonly owner: NodeNet,
  ) {
    server.on("connection", (s) => {
      s.pause();
      this.queue.push(s);
      owner.poke();
    });
    server.on("listening", () => {
      this.failed = 0;
      owner.poke();
    });
    server.on("error", (e) => {
      this.failed = errnoOf(e);
      owner.poke();
    });
  }
  ready(): number {
    return this.queue.length ? POLLIN : 0;
  }
  accept(): HostSocket | null {
    const s = this.queue.shift();
    if (!s) return null;
    const t = new TcpSocket(s, this.family, this.owner, true);
    s.resume();
    return t;
  }
  connectState(): number {
    return this.failed;
  }
  recv(): number {
    return -EAGAIN;
  }
  send(): number {
    return -EPIPE;
  }
  pending(): number {
    return 0;
  }
  shutdownWrite(): void {}
  close(): void {
    for (const s of this.queue) s.destroy();
    this.queue.length = 0;
    this.server.close();
  }
  localAddr(): Uint8Array | null {
    return this.at;
  }
  peerAddr(): Uint8Array | null {
    return null;
  }
}

export class NodeNet implements HostNet {
  wake: (() => void) | null = null;
  /** resolver: guest path to host path (--root), or -errno */
  constructor(private readonly hostPath: (p: string) => string | number = (p) => p) {}
  connectUnix(p: string): HostSocket | number {
    const hp = this.hostPath(p);
    if (typeof hp === "number") return hp;
    // a path longer than a sockaddr_un holds (deep under --root) is reached from inside its directory
    const long = Buffer.byteLength(hp) > 107;
    const back = process.cwd();
    try {
      if (long) process.chdir(path.dirname(hp));
      return new TcpSocket(net.connect({ path: long ? path.basename(hp) : hp }), 1, this, false);
    } catch (e) {
      return errnoOf(e);
    } finally {
      if (long) process.chdir(back);
    }
  }
  listenUnix(p: string, backlog: number): HostSocket | number {
    const hp = this.hostPath(p);
    if (typeof hp === "number") return hp;
    const dir = path.dirname(hp);
    const name = `.x64emu-${process.pid}-${inodeSeq++}`;
    const long = Buffer.byteLength(path.join(dir, name)) > 107;
    const tmp = long ? name : path.join(dir, name);
    const back = process.cwd();
    const server = net.createServer({ pauseOnConnect: true });
    let h: TcpListener;
    try {
      if (long) process.chdir(dir);
      h = new TcpListener(server, 1, new Uint8Array([1, 0]), this);
      server.listen({ path: tmp, backlog: Math.max(1, backlog) });
      if (!isLink(tmp)) throw { code: "EIO" };
      // the listening inode takes the place of the one bind made
      fs.renameSync(tmp, hp);
    } catch (e) {
      server.close();
      return errnoOf(e);
    } finally {
      if (long) process.chdir(back);
    }
    return h;
  }
  poke(): void {
    this.wake?.();
  }
  connect(family: number, to: Uint8Array): HostSocket | number {
    const { host, port } = sockaddrHost(to);
    const s = net.connect({ host, port, family: family === AF_INET ? 4 : 6 });
    s.setNoDelay(true);
    return new TcpSocket(s, family, this, false);
  }
  listen(family: number, at: Uint8Array, backlog: number): HostSocket | number {
    const { host, port } = sockaddrHost(at);
    const server = net.createServer({ pauseOnConnect: true });
    server.listen({ host: family === AF_INET && host === "0.0.0.0" ? "0.0.0.0" : host, port, backlog: Math.max(1, backlog), ipv6Only: false });
    return new TcpListener(server, family, at, this);
  }
  udp(family: number, at: Uint8Array, onMessage: (data: Uint8Array, from: Uint8Array) => void): HostUdp | number {
    const { host, port } = sockaddrHost(at);
    // an address literal needs no name lookup: answering at once makes bind synchronous
    const lookup = (h: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void): void => cb(null, h, family === AF_INET ? 4 : 6);
    const s = dgram.createSocket({ type: family === AF_INET ? "udp4" : "udp6", lookup: lookup as never, ipv6Only: false });
    let failed = 0;
    s.on("error", (e) => {
      failed = errnoOf(e);
    });
    s.bind(port, host);
    if (failed) {
      s.close();
      return failed;
    }
    let bound: net.AddressInfo;
    try {
      bound = s.address();
    } catch {
      s.close();
      return -98; // EADDRINUSE
    }
    s.on("message", (m, r) => {
      onMessage(new Uint8Array(m.buffer, m.byteOffset, m.length), hostSockaddr(family, r.address, r.port));
      this.poke();
    });
    const local = hostSockaddr(family, bound.address, bound.port);
    let open = true;
    return {
      send: (data, to) => {
        if (!open) return;
        const d = sockaddrHost(to);
        s.send(Buffer.from(data), d.port, d.host, () => undefined);
      },
      localAddr: () => local,
      close: () => {
        if (open) s.close();
        open = false;
      },
    };
  }
}
