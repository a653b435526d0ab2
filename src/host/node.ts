/** The Node.js Host: real file descriptors, real pid, real signals. */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as tty from "node:tty";
import { randomFillSync } from "node:crypto";
import { spawnSync } from "node:child_process";
import type { Host, HostDirent, HostFs, HostStat, HostStatfs } from "./host.js";
import { sysrootPath } from "./sysroot.js";
import { resolveInRoot } from "./confine.js";
import { makeSocketInode, NodeNet } from "./node-net.js";

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, EACCES: 13, EFAULT: 14, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EPIPE: 32, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40 };

/** Map a Node error to -errno. */
export function negErrno(e: unknown): number {
  const code = (e as { code?: string }).code;
  if (code && code in ERRNO) return -ERRNO[code];
  const errno = (e as { errno?: number }).errno;
  if (typeof errno === "number" && errno < 0) return errno; // libuv errno values are -errno
  return -5; // EIO
}

/** A host fd read without waiting: see NodeHost.nb. */
interface NonBlocking {
  h: number | null;
  tty: boolean;
  /** h is the socket fd itself, made non-blocking */
  sock: boolean;
  held: Uint8Array | null;
  eof: boolean;
}

/** What the end of a host fd's input is for poll: a terminal's end of file (^D) is input, a pipe's a hangup, a socket's the peer's shutdown. */
function endOf(e: NonBlocking): true | "end" | "rdhup" {
  return e.tty || (e.sock ? "rdhup" : "end");
}

/**
 * Make a host socket fd non-blocking (a socket cannot be reopened through
 * /proc): libuv's handle for it sets O_NONBLOCK on the shared open file
 * description (Node's spawn pipes are socketpairs no one else holds); it
 * never reads, and blocking mode comes back at exit. Returns fd.
 */
function nonBlockingSocket(fd: number): number {
  const s = new net.Socket({ fd, readable: false, writable: false }); // not readable: it never starts reading
  s.unref();
  const handle = (s as unknown as { _handle?: { setBlocking?: (b: boolean) => number } })._handle;
  process.once("exit", () => handle?.setBlocking?.(true));
  return fd;
}

export class NodeHost implements Host {
  readonly fs: HostFs;
  /** TCP through node:net (src/host/node-net.ts) @internal */
  readonly net: NodeNet;
  /**
   * `root`: confine the guest's file system view to this directory (like a chroot).
   * `sysroot`: look paths up under this directory first, then in the root (-L, X64EMU_LD_PREFIX).
   */
  constructor(root: string | null = null, sysroot: string | null = null) {
    const nfs = new NodeFs(root, sysroot);
    this.fs = nfs;
    this.net = new NodeNet((p) => nfs.hostPathOf(p));
  }
  sleepMs(ms: number): void {
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
  getpid(): number {
    return process.pid;
  }
  getpriority(): number {
    try {
      return os.getPriority();
    } catch {
      return 0;
    }
  }
  getppid(): number {
    return process.ppid;
  }
  getuid(): number {
    return process.getuid?.() ?? 0;
  }
  getgid(): number {
    return process.getgid?.() ?? 0;
  }
  write(fd: number, data: Uint8Array): number {
    let done = 0;
    const at = this.seekPos.get(fd);
    while (done < data.length) {
      try {
        done += at === undefined ? fs.writeSync(fd, data, done, data.length - done) : fs.writeSync(fd, data, done, data.length - done, at + done);
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") continue; // non-blocking stdout (a pipe): retry
        return done > 0 ? done : negErrno(e);
      }
    }
    if (at !== undefined) this.seekPos.set(fd, at + done);
    return done;
  }
  /**
   * Offsets of the standard descriptors that are regular files once the guest has moved their offset: Node
   * has no lseek, so their reads and writes go to this offset (pread/pwrite). The host's own offset stays
   * where the reads before the first seek left it.
   */
  private readonly seekPos = new Map<number, number>();
  seekFd(fd: number, offset: number, whence: number): number {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch (e) {
      return negErrno(e);
    }
    if (!st.isFile()) return -ERRNO.ESPIPE;
    let cur = this.seekPos.get(fd);
    if (cur === undefined) {
      // where the host's reads have got to: the pos line of /proc/self/fdinfo/N
      let m: RegExpExecArray | null = null;
      try {
        m = /^pos:\s*(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, "latin1"));
      } catch {
        m = null;
      }
      cur = m ? Number(m[1]) : 0;
    }
    const base = whence === 0 ? 0 : whence === 1 ? cur : whence === 2 ? st.size : -1;
    if (base < 0 || base + offset < 0) return -ERRNO.EINVAL;
    // a seek that does not move (ftell's lseek(fd, 0, SEEK_CUR)) leaves the host's offset in charge
    if (base + offset !== cur || this.seekPos.has(fd)) this.seekPos.set(fd, base + offset);
    return base + offset;
  }
  /**
   * Non-blocking handles of host pipes and terminals (fd reopened through /proc with O_NONBLOCK), null: not possible.
   * `held`: input a readiness check took (one byte, so that what no guest read asks for stays in the host's pipe),
   * given to the next read of the fd; `eof`: the check met the end of the input.
   */
  private readonly nb = new Map<number, NonBlocking>();
  private nbOf(fd: number): NonBlocking {
    let e = this.nb.get(fd);
    if (!e) {
      let h: number | null = null;
      let term = false;
      try {
        const st = fs.fstatSync(fd);
        term = st.isCharacterDevice() && tty.isatty(fd);
        // a new open file description of the same pipe or terminal: O_NONBLOCK on it leaves the shared one alone
        if (st.isFIFO() || term) h = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
        else if (st.isSocket()) h = nonBlockingSocket(fd);
      } catch {
        h = null; // no /proc, or a socket libuv cannot open: reads may wait in the host
      }
      e = { h, tty: term, sock: h === fd, held: null, eof: false };
      this.nb.set(fd, e);
    }
    return e;
  }
  /** One non-blocking read of the reopened handle: bytes, 0 at end of file, -EAGAIN, -errno. */
  private readHandle(h: number, buf: Uint8Array, at: number): number {
    try {
      return fs.readSync(h, buf, at, buf.length - at, null);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EAGAIN") return -11;
      if (code === "EOF") return 0;
      return negErrno(err);
    }
  }
  readNow(fd: number, buf: Uint8Array): number | null {
    const e = this.nbOf(fd);
    if (e.h === null) return null;
    if (e.held) {
      const n = Math.min(buf.length, e.held.length);
      buf.set(e.held.subarray(0, n));
      e.held = n < e.held.length ? e.held.slice(n) : null;
      // the rest of what is there, as one native read would give it (a terminal's line ends at its newline)
      if (e.held || n === buf.length || (e.tty && buf[n - 1] === 10)) return n;
      const more = this.readHandle(e.h, buf, n);
      if (more === 0) e.eof = true;
      return more > 0 ? n + more : n;
    }
    if (e.eof) {
      e.eof = false;
      return 0;
    }
    return buf.length === 0 ? 0 : this.readHandle(e.h, buf, 0);
  }
  readReady(fd: number): boolean | "end" | "rdhup" | null {
    const e = this.nbOf(fd);
    if (e.h === null) return null;
    if (e.held) return true;
    if (e.eof) return endOf(e);
    const b = new Uint8Array(1);
    const n = this.readHandle(e.h, b, 0);
    if (n === -11) return false;
    if (n > 0) e.held = b;
    else e.eof = true; // end of file (or an error the next read reports as its end)
    return n > 0 || endOf(e);
  }
  read(fd: number, buf: Uint8Array): number {
    const e = this.nb.get(fd);
    if (e && (e.held || e.eof)) return this.readNow(fd, buf) ?? 0;
    const at = this.seekPos.get(fd);
    for (;;) {
      try {
        if (at === undefined) return fs.readSync(fd, buf, 0, buf.length, null);
        const n = fs.readSync(fd, buf, 0, buf.length, at);
        this.seekPos.set(fd, at + n);
        return n;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN") {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        if (code === "EOF") return 0;
        return negErrno(e);
      }
    }
  }
  kill(pid: number, sig: number): number {
    try {
      process.kill(pid, sig);
      return 0;
    } catch (e) {
      return negErrno(e);
    }
  }
  /** CLOCK_REALTIME as an offset from the monotonic clock, fixed at start (microsecond-accurate), so the two never disagree and absolute sleeps never end early. */
  private readonly realtimeBase = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint();
  realtimeNs(): bigint {
    return this.realtimeBase + process.hrtime.bigint();
  }
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }
  randomBytes(buf: Uint8Array): void {
    randomFillSync(buf);
  }
  isatty(fd: number): boolean {
    return tty.isatty(fd);
  }
  fstatFd(fd: number): HostStat | number {
    try {
      return toStat(fs.fstatSync(fd, { bigint: true }));
    } catch (e) {
      return negErrno(e);
    }
  }
  /** Fields `stty -g` printed last (their count must be given back when setting). */
  private sttyFields = 36;
  termios(fd: number): Uint8Array | null {
    // Node has no tcgetattr: stty reads the terminal on its stdin
    const r = spawnSync("stty", ["-g"], { stdio: [fd, "pipe", "ignore"], encoding: "latin1", timeout: 5000 });
    const f = r.status === 0 ? r.stdout.trim().split(":") : [];
    if (f.length < 4 + 17 || f.some((x) => !/^[0-9a-f]+$/i.test(x))) return null;
    this.sttyFields = f.length;
    const t = new Uint8Array(36);
    const dv = new DataView(t.buffer);
    for (let j = 0; j < 4; j++) dv.setUint32(4 * j, parseInt(f[j], 16) >>> 0, true);
    for (let j = 0; j < 19 && 4 + j < f.length; j++) t[17 + j] = parseInt(f[4 + j], 16);
    return t;
  }
  setTermios(fd: number, t: Uint8Array): void {
    const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const f: string[] = [];
    for (let j = 0; j < 4; j++) f.push(dv.getUint32(4 * j, true).toString(16));
    for (let j = 0; j < this.sttyFields - 4; j++) f.push((j < 19 ? t[17 + j] : 0).toString(16));
    spawnSync("stty", [f.join(":")], { stdio: [fd, "ignore", "ignore"], timeout: 5000 });
  }
  fdPath(fd: number): string | null {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return null;
    }
  }
  winsize(fd: number): { rows: number; cols: number } | null {
    const out = fd === 1 ? process.stdout : fd === 2 ? process.stderr : null;
    if (out && out.isTTY && out.rows) return { rows: out.rows, cols: out.columns };
    const r = spawnSync("stty", ["size"], { stdio: [fd, "pipe", "ignore"], encoding: "latin1", timeout: 5000 });
    const m = r.status === 0 ? /^(\d+) (\d+)/.exec(r.stdout) : null;
    return m ? { rows: Number(m[1]), cols: Number(m[2]) } : null;
  }
  processIds(pid: number): { pgid: number; sid: number } | number {
    try {
      // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces and parentheses
      const st = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      return { pgid: Number(f[2]), sid: Number(f[3]) };
    } catch {
      if (pid === process.pid) return { pgid: pid, sid: pid }; // no /proc
      return -3; // ESRCH
    }
  }
  getgroups(): number[] {
    return process.getgroups?.() ?? [this.getgid()];
  }
  resourceUsage() {
    const u = process.resourceUsage();
    return { userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxRssKb: u.maxRSS, minorFaults: u.minorPageFault, majorFaults: u.majorPageFault, fsRead: u.fsRead, fsWrite: u.fsWrite, voluntarySwitches: u.voluntaryContextSwitches, involuntarySwitches: u.involuntaryContextSwitches };
  }
  hostname(): string {
    return os.hostname();
  }
  memoryInfo(): { total: number; free: number; buffers: number; shared: number } {
    // MemFree and Buffers as the kernel's sysinfo reports them (os.freemem() is MemAvailable)
    try {
      const info = fs.readFileSync("/proc/meminfo", "latin1");
      const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? NaN) * 1024;
      const total = kb("MemTotal");
      const free = kb("MemFree");
      const buffers = kb("Buffers");
      const shared = kb("Shmem");
      const or0 = (v: number) => (Number.isFinite(v) ? v : 0);
      if (Number.isFinite(total) && Number.isFinite(free)) return { total, free, buffers: or0(buffers), shared: or0(shared) };
    } catch {
      /* not Linux */
    }
    return { total: os.totalmem(), free: os.freemem(), buffers: 0, shared: 0 };
  }
}

/** Linux O_* flags to this platform's fs.constants. */
function openFlags(f: number): number {
  const C = fs.constants;
  let r = (f & 3) === 1 ? C.O_WRONLY : (f & 3) === 2 ? C.O_RDWR : C.O_RDONLY;
  if (f & 0x40) r |= C.O_CREAT;
  if (f & 0x80) r |= C.O_EXCL;
  if (f & 0x200) r |= C.O_TRUNC;
  if (f & 0x400) r |= C.O_APPEND;
  if (f & 0x10000) r |= C.O_DIRECTORY;
  if (f & 0x20000) r |= C.O_NOFOLLOW;
  if (f & 0x800) r |= C.O_NONBLOCK;
  return r;
}

function toStat(s: fs.BigIntStats): HostStat {
  return {
    dev: Number(s.dev),
    ino: Number(s.ino),
    mode: Number(s.mode),
    nlink: Number(s.nlink),
    uid: Number(s.uid),
    gid: Number(s.gid),
    rdev: Number(s.rdev),
    size: Number(s.size),
    blksize: Number(s.blksize),
    blocks: Number(s.blocks),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
    btimeNs: s.birthtimeNs,
  };
}

const DT: Array<[(d: fs.Dirent) => boolean, number]> = [
  [(d) => d.isFIFO(), 1],
  [(d) => d.isCharacterDevice(), 2],
  [(d) => d.isDirectory(), 4],
  [(d) => d.isBlockDevice(), 6],
  [(d) => d.isFile(), 8],
  [(d) => d.isSymbolicLink(), 10],
  [(d) => d.isSocket(), 12],
];

/** node:fs behind the HostFs interface (synchronous calls). */
export class NodeFs implements HostFs {
  constructor(
    private readonly root: string | null = null,
    private readonly sysroot: string | null = null,
  ) {}
  /** Map a guest path (absolute) to the host path: under the sysroot when it is there, else confined to root when set. */
  /** The host path of a guest path (the final component not followed), or -errno. */
  hostPathOf(p: string): string | number {
    return this.wrap(() => this.host(p, false));
  }
  private host(p: string, followLast = true): string {
    if (this.sysroot) {
      const s = sysrootPath(this.sysroot, p, followLast);
      if (s !== null) return s;
    }
    if (!this.root) return p;
    // confined to root as by chroot: every component resolved inside it (confine.ts)
    const r = resolveInRoot(this.root, p, followLast);
    if (typeof r === "number") throw { errno: r }; // wrap() turns it into -errno
    return r;
  }
  cwd(): string {
    if (!this.root) return process.cwd();
    const c = process.cwd();
    return c.startsWith(this.root + "/") ? c.slice(this.root.length) : "/";
  }
  private wrap<T>(fn: () => T): T | number {
    try {
      return fn();
    } catch (e) {
      return negErrno(e);
    }
  }
  open(p: string, flags: number, mode: number): number {
    return this.wrap(() => fs.openSync(this.host(p, !(flags & 0x20000) && (flags & 0xc0) !== 0xc0), openFlags(flags | (this.root ? 0x20000 : 0)), mode));
  }
  close(h: number): number {
    return this.wrap(() => (fs.closeSync(h), 0));
  }
  pread(h: number, buf: Uint8Array, pos: number): number {
    return this.wrap(() => fs.readSync(h, buf, 0, buf.length, pos));
  }
  pwrite(h: number, data: Uint8Array, pos: number): number {
    return this.wrap(() => fs.writeSync(h, data, 0, data.length, pos));
  }
  fstat(h: number): HostStat | number {
    return this.wrap(() => toStat(fs.fstatSync(h, { bigint: true })));
  }
  stat(p: string, follow: boolean): HostStat | number {
    return this.wrap(() => toStat(follow ? fs.statSync(this.host(p), { bigint: true }) : fs.lstatSync(this.host(p, false), { bigint: true })));
  }
  readdir(p: string): HostDirent[] | number {
    return this.wrap(() => {
      const base = this.host(p);
      const ino = (q: string) => {
        try {
          return Number(fs.lstatSync(q, { bigint: true }).ino);
        } catch {
          return 0; // raced away
        }
      };
      const list: HostDirent[] = [
        { name: ".", type: 4, ino: Number(fs.statSync(base, { bigint: true }).ino) },
        { name: "..", type: 4, ino: ino(base + "/..") },
      ];
      // opendir reads entries in the directory's own order (readdirSync would sort them)
      const dir = fs.opendirSync(base);
      try {
        for (let d = dir.readSync(); d; d = dir.readSync()) list.push({ name: d.name, type: DT.find(([t]) => t(d))?.[1] ?? 0, ino: ino(base + "/" + d.name) });
      } finally {
        dir.closeSync();
      }
      return list;
    });
  }
  readlink(p: string): string | number {
    return this.wrap(() => fs.readlinkSync(this.host(p, false)));
  }
  mkdir(p: string, mode: number): number {
    return this.wrap(() => (fs.mkdirSync(this.host(p, false), { mode }), 0));
  }
  rmdir(p: string): number {
    return this.wrap(() => (fs.rmdirSync(this.host(p, false)), 0));
  }
  mksock(p: string): number {
    return this.wrap(() => makeSocketInode(this.host(p, false)));
  }
  unlink(p: string): number {
    return this.wrap(() => (fs.unlinkSync(this.host(p, false)), 0));
  }
  rename(a: string, b: string): number {
    return this.wrap(() => (fs.renameSync(this.host(a, false), this.host(b, false)), 0));
  }
  truncate(h: number, len: number): number {
    return this.wrap(() => (fs.ftruncateSync(h, len), 0));
  }
  chmod(p: string, mode: number): number {
    return this.wrap(() => (fs.chmodSync(this.host(p), mode), 0));
  }
  access(p: string, mode: number): number {
    return this.wrap(() => (fs.accessSync(this.host(p), mode), 0));
  }
  createSymlink(target: string, p: string): number {
    return this.wrap(() => (fs.symlinkSync(target, this.host(p, false)), 0));
  }
  statfs(p: string): HostStatfs | number {
    return this.wrap(() => {
      const s = fs.statfsSync(this.host(p));
      return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
    });
  }
  chown(p: string, uid: number, gid: number, follow: boolean): number {
    return this.wrap(() => {
      const q = this.host(p, follow);
      const st = follow ? fs.statSync(q) : fs.lstatSync(q);
      (follow ? fs.chownSync : fs.lchownSync)(q, uid === -1 ? st.uid : uid, gid === -1 ? st.gid : gid);
      return 0;
    });
  }
  createLink(existing: string, p: string): number {
    return this.wrap(() => (fs.linkSync(this.host(existing, false), this.host(p, false)), 0));
  }
  utimes(p: string, a: bigint | null, m: bigint | null, follow = true): number {
    return this.wrap(() => {
      const hp = this.host(p, follow);
      const st = follow ? fs.statSync(hp) : fs.lstatSync(hp);
      (follow ? fs.utimesSync : fs.lutimesSync)(hp, a === null ? st.atime : Number(a) / 1e9, m === null ? st.mtime : Number(m) / 1e9);
      return 0;
    });
  }
}
