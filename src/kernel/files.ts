/**
 * The descriptor table and what every file call shares: a per-process table
 * over the Host (standard descriptors, regular files and directories through
 * Host.fs, in-process pipes, anonymous inodes, sockets), path resolution
 * against the working directory and dirfds, the kernel's virtual files, and
 * reading/writing/stat of an open file. The syscalls live in file-io.ts
 * (descriptor calls: read/write, close/dup/pipe, lseek, fcntl, ioctl) and
 * file-paths.ts (path calls: open, stat, access, directories, links).
 */
import type { HostDirent, HostStat } from "../host/host.js";
import type { Kernel } from "./kernel.js";
import { hostRead, pipeRead, pipeWrite, type Pipe } from "./pipe.js";
import { RLIMIT_FSIZE, RLIMIT_NOFILE, rlimits, userRange } from "./misc.js";
import { afterFileWrite, beforeFileRead } from "./pagecache.js";
import { EBADF, EFAULT, EFBIG, EINVAL, EISDIR, EMFILE, ENOENT, ENOTDIR, EPIPE } from "./errno.js";

const AT_FDCWD = -100;
const O_ACCMODE = 3;
const O_APPEND = 0x400;
const O_NONBLOCK = 0x800;

/** The behaviour of an anonymous-inode descriptor. */
export interface AnonOps {
  read(k: Kernel, buf: Uint8Array, nonblock: boolean): number;
  write(k: Kernel, data: Uint8Array, nonblock: boolean): number;
}

/** Behaviour of descriptors implemented outside this file (sockets: socket.ts). */
export interface FileOps {
  read(k: Kernel, f: OFile, buf: Uint8Array): number;
  write(k: Kernel, f: OFile, data: Uint8Array): number;
  /** The last reference is gone. */
  close(k: Kernel, f: OFile): void;
  /** st_mode of fstat (S_IFSOCK...) */
  mode: number;
  /** Bytes waiting to be read (FIONREAD). */
  pending?(f: OFile): number;
}

export interface OFile {
  kind: "std" | "file" | "dir" | "pipe-r" | "pipe-w" | "anon" | "sock";
  /** host fd (std) or host handle (file/dir) */
  h: number;
  pos: number;
  flags: number;
  path: string;
  refs: number;
  dirents?: HostDirent[];
  pipe?: Pipe;
  /** contents of a virtual file (h is -1) */
  data?: Uint8Array;
  /** POLL* readiness of descriptors that have their own (eventfd, timerfd, signalfd, epoll: poll.ts) */
  ready?: (k: Kernel) => number;
  /** Wakeup count for edge-triggered epoll (grows at each event a waiter for `events` would be woken by: poll.ts wakeSeq); absent: unknown */
  wakes?: (k: Kernel, events: number) => number;
  /** read/write of an "anon" descriptor (eventfd, timerfd, signalfd, epoll: events.ts) */
  anon?: AnonOps;
  ops?: FileOps;
  /** State of an ops descriptor (a socket) */
  obj?: unknown;
}

interface FileState {
  fds: Array<{ f: OFile; cloexec: boolean } | null>;
  cwd: string;
}

export function files(k: Kernel): FileState {
  let s = k.state.files as FileState | undefined;
  if (!s) {
    const std = (fd: number): { f: OFile; cloexec: boolean } => ({ f: { kind: "std", h: fd, pos: 0, flags: fd === 0 ? 0 : 1, path: `/dev/fd/${fd}`, refs: 1 }, cloexec: false });
    s = { fds: [std(0), std(1), std(2)], cwd: k.host.fs?.cwd() ?? "/" };
    k.state.files = s;
  }
  return s;
}

/** The open file behind descriptor fd, or null. */
export function get(k: Kernel, fd: number): OFile | null {
  const e = files(k).fds[fd];
  return fd >= 0 && e ? e.f : null;
}

/** The descriptor limit: RLIMIT_NOFILE's soft value (at most the table size, 1 << 20). */
export function fdLimit(k: Kernel): number {
  return Math.min(rlimits(k)[RLIMIT_NOFILE][0], 1 << 20);
}

export function install(k: Kernel, f: OFile, cloexec: boolean, min = 0): number {
  const fds = files(k).fds;
  const limit = fdLimit(k);
  if (min >= limit) return -EMFILE;
  for (let fd = min; fd < limit; fd++) {
    if (!fds[fd]) {
      fds[fd] = { f, cloexec };
      return fd;
    }
  }
  return -EMFILE;
}

export function release(k: Kernel, f: OFile): void {
  if (--f.refs > 0) return;
  if (f.ops) f.ops.close(k, f);
  if ((f.kind === "file" || f.kind === "dir") && f.h >= 0 && k.host.fs) k.host.fs.close(f.h);
  if (f.kind === "pipe-r") f.pipe!.readers--;
  if (f.kind === "pipe-w") f.pipe!.writers--;
}

/** Normalize an absolute path ("." and ".." removed; ".." cannot go above "/"). */
export function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Resolve a guest path against dirfd (AT_FDCWD: the working directory). */
export function resolve(k: Kernel, dirfd: number, path: string): string | number {
  if (path.startsWith("/")) return normalize(path);
  let base: string;
  if (dirfd === AT_FDCWD) base = files(k).cwd;
  else {
    const f = get(k, dirfd);
    if (!f) return -EBADF;
    if (f.kind !== "dir") return -ENOTDIR;
    base = f.path;
  }
  return normalize(base + "/" + path);
}

/** A name ending in "/" must be a directory (or a symlink to one): ENOTDIR for anything else. */
export function slashCheck(k: Kernel, raw: string, path: string | number): string | number {
  if (typeof path === "number" || !raw.endsWith("/") || path === "/") return path;
  const st = fsOf(k)?.stat(path, true);
  if (st === undefined || typeof st === "number") return path;
  return (st.mode & 0o170000) === 0o040000 ? path : -ENOTDIR;
}

export function readPath(k: Kernel, addr: number): string | number {
  if (addr === 0) return -EFAULT;
  try {
    return new TextDecoder().decode(k.cpu.mem.readCString(addr, 4096));
  } catch {
    return -EFAULT;
  }
}

export function fsOf(k: Kernel) {
  return k.host.fs ?? null;
}

/** Files the kernel makes up itself (/proc/self/...: src/kernel/proc.ts registers them). */
export interface VirtualFiles {
  /** Contents of a virtual file or the entries of a virtual directory; null: not virtual. */
  open(k: Kernel, path: string): { data: Uint8Array } | { dirents: HostDirent[] } | null;
  /** follow: a final symlink is followed (stat, not lstat) */
  stat(k: Kernel, path: string, follow: boolean): HostStat | number | null;
  /** Target of a virtual symlink (/proc/self/exe, fd/N, cwd); null: not virtual. */
  readlink(k: Kernel, path: string): string | null;
}
let virtualFiles: VirtualFiles | null = null;
export function setVirtualFiles(v: VirtualFiles): void {
  virtualFiles = v;
}
/** The registered virtual files (null before proc.ts loads). */
export function virtual(): VirtualFiles | null {
  return virtualFiles;
}

/** /proc/self/... links the emulator answers itself. */
export function procLink(k: Kernel, p: string): string | null {
  return virtualFiles ? virtualFiles.readlink(k, p) : null;
}

// ---- reading and writing an open file --------------------------------------------

export function readInto(k: Kernel, f: OFile, buf: Uint8Array, pos: number | null): number {
  if (f.ops) return f.ops.read(k, f, buf);
  switch (f.kind) {
    case "std":
      return hostRead(k, f.h, buf, (f.flags & O_NONBLOCK) !== 0);
    case "file": {
      const at = pos ?? f.pos;
      if (!f.data) beforeFileRead(k, f.h, at, buf.length);
      const n = f.data ? readData(f.data, buf, at) : fsOf(k)!.pread(f.h, buf, at);
      if (n > 0 && pos === null) f.pos += n;
      return n;
    }
    case "dir":
      return -EISDIR;
    case "pipe-r":
      return pipeRead(k, f.pipe!, buf, (f.flags & O_NONBLOCK) !== 0);
    case "anon":
      return f.anon!.read(k, buf, (f.flags & O_NONBLOCK) !== 0);
    default:
      return -EBADF;
  }
}

function readData(data: Uint8Array, buf: Uint8Array, at: number): number {
  const n = Math.max(0, Math.min(buf.length, data.length - at));
  buf.set(data.subarray(at, at + n));
  return n;
}

export function writeFrom(k: Kernel, f: OFile, data: Uint8Array, pos: number | null): number {
  if (f.ops) return f.ops.write(k, f, data);
  switch (f.kind) {
    case "std": {
      const n = k.host.write(f.h, data);
      if (n === -EPIPE) k.signalHandlers.raise(k, 13, 0, k.host.getpid()); // SIGPIPE
      return n;
    }
    case "file": {
      if (f.data) return data.length; // a virtual file takes writes without effect (/proc/self/comm...)
      const fsx = fsOf(k)!;
      let at = pos ?? f.pos;
      if (pos === null && f.flags & O_APPEND) {
        const st = fsx.fstat(f.h);
        if (typeof st !== "number") at = st.size;
      }
      const fsize = rlimits(k)[RLIMIT_FSIZE][0];
      if (at + data.length > fsize) {
        if (at >= fsize) {
          k.signalHandlers.raise(k, 25, 0, k.host.getpid()); // SIGXFSZ
          return -EFBIG;
        }
        data = data.subarray(0, fsize - at);
      }
      const n = fsx.pwrite(f.h, data, at);
      if (n > 0) afterFileWrite(k, f.h, at, data.subarray(0, n));
      if (n > 0 && pos === null) f.pos = at + n;
      return n;
    }
    case "pipe-w":
      return pipeWrite(k, f.pipe!, data, (f.flags & O_NONBLOCK) !== 0);
    case "anon":
      return f.anon!.write(k, data, (f.flags & O_NONBLOCK) !== 0);
    case "dir":
      return -EISDIR;
    default:
      return -EBADF;
  }
}

export function readable(f: OFile): boolean {
  return (f.flags & O_ACCMODE) !== 1 && f.kind !== "pipe-w";
}
export function writable(f: OFile): boolean {
  return (f.flags & O_ACCMODE) !== 0 || f.kind === "pipe-w";
}

/** struct iovec { void *base; size_t len; } */
/**
 * An iovec array as Linux's import_iovec reads it: at most UIO_MAXIOV (1024) entries, a
 * negative length is EINVAL and a buffer outside user space EFAULT (for the whole call,
 * before anything moves); the MAX_RW_COUNT cap on the total is the caller's.
 */
export function iovecs(k: Kernel, addr: number, count: number): Array<[number, number]> | number {
  if (count < 0 || count > 1024) return -EINVAL;
  let b: Uint8Array;
  try {
    b = k.cpu.mem.readBytes(addr, 16 * count);
  } catch {
    return -EFAULT;
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Array<[number, number]> = [];
  for (let j = 0; j < count; j++) {
    const base = dv.getUint32(16 * j, true) + dv.getUint32(16 * j + 4, true) * 4294967296;
    const hi = dv.getInt32(16 * j + 12, true);
    if (hi < 0) return -EINVAL;
    const len = dv.getUint32(16 * j + 8, true) + hi * 4294967296;
    if (!userRange(base, len)) return -EFAULT;
    out.push([base, len]);
  }
  return out;
}

// ---- stat of an open file ---------------------------------------------------------

function stdStat(k: Kernel, fd: number): HostStat {
  const real = k.host.fstatFd?.(fd);
  if (real !== undefined && typeof real !== "number") return real;
  const tty = k.host.isatty(fd);
  return { dev: tty ? 0x16 : 0xc, ino: 100 + fd, mode: tty ? 0o20620 : 0o10600, nlink: 1, uid: k.host.getuid(), gid: k.host.getgid(), rdev: tty ? 0x8800 : 0, size: 0, blksize: tty ? 1024 : 4096, blocks: 0, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n };
}

export function statOf(k: Kernel, f: OFile): HostStat | number {
  if (f.kind === "std") return stdStat(k, f.h);
  if (f.data || (f.kind === "dir" && f.h < 0)) return virtualFiles?.stat(k, f.path, true) ?? -EBADF;
  if (f.kind === "pipe-r" || f.kind === "pipe-w") return { ...stdStat(k, -1), mode: 0o10600, ino: 7777 };
  if (f.kind === "anon") return { ...stdStat(k, -1), dev: 0xf, mode: 0o600, ino: 1000 }; // anon_inode: no file type bits
  if (f.ops) return { ...stdStat(k, -1), mode: f.ops.mode, ino: 7778, blksize: 4096 };
  return fsOf(k)!.fstat(f.h);
}

// ---- path helpers for the calls taking (dirfd, path) ------------------------------
/** A syscall taking (dirfd, path, ...) resolved to an absolute path. */
export function pathOp(k: Kernel, dirfd: number, addr: number, fn: (p: string) => number): number {
  const p = readPath(k, addr);
  if (typeof p === "number") return p;
  const path = resolve(k, dirfd, p);
  if (typeof path === "number") return path;
  if (!fsOf(k)) return -ENOENT;
  return fn(path);
}
/** The process umask (0o022 until umask(2) sets it). */
export const umaskOf = (k: Kernel) => (k.state.umask as number | undefined) ?? 0o022;
export function doRename(k: Kernel, d1: number, p1: number, d2: number, p2: number): number {
  return pathOp(k, d1, p1, (from) => pathOp(k, d2, p2, (to) => fsOf(k)!.rename(from, to)));
}

// ---- process life (used by the task model: clone, execve, exit) ---------------------

/** The descriptor table of a new process: a copy sharing the open files (fork), or the same table (CLONE_FILES). */
export function forkFiles(parent: Kernel, child: Kernel, share: boolean): void {
  const s = files(parent);
  if (share) {
    child.state.files = s;
    return;
  }
  const fds = s.fds.map((e) => {
    if (!e) return null;
    e.f.refs++;
    return { f: e.f, cloexec: e.cloexec };
  });
  child.state.files = { fds, cwd: s.cwd } satisfies FileState;
}

/** execve: close the close-on-exec descriptors. */
export function closeOnExec(k: Kernel): void {
  const fds = files(k).fds;
  fds.forEach((e, fd) => {
    if (e?.cloexec) {
      fds[fd] = null;
      release(k, e.f);
    }
  });
}

/** The process has ended: close every descriptor. */
export function closeAllFiles(k: Kernel): void {
  const fds = files(k).fds;
  fds.forEach((e, fd) => {
    if (e) {
      fds[fd] = null;
      release(k, e.f);
    }
  });
}

/** A guest path resolved against dirfd (AT_FDCWD: the working directory), or -errno (execve). */
export function resolvePath(k: Kernel, dirfd: number, path: string): string | number {
  return resolve(k, dirfd, path);
}
