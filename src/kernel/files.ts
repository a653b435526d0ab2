/**
 * File syscalls: a per-process descriptor table over the Host (standard
 * descriptors, regular files and directories through Host.fs, in-process
 * pipes), path resolution against the working directory and dirfds, and the
 * x86-64 struct layouts (stat 144 bytes, statx 256, linux_dirent64).
 */
import type { HostDirent, HostStat } from "../host/host.js";
import { defineSyscall, RESULT_BLOCK, type Args, type Kernel } from "./kernel.js";
import { Pipe, pipeRead, pipeWrite } from "./pipe.js";
import { fmtAtFlags, fmtDirfd, fmtMode, fmtOpenFlags } from "./strace/flags.js";
import { isTtyIoctl, ttyIoctl } from "./tty.js";
import { RLIMIT_FSIZE, RLIMIT_NOFILE, rlimits } from "./misc.js";

const EPERM = 1;
const ENOENT = 2;
const EBADF = 9;
const EAGAIN = 11;
const EFAULT = 14;
const ENOTDIR = 20;
const EISDIR = 21;
const EINVAL = 22;
const EMFILE = 24;
const ENOTTY = 25;
const ESPIPE = 29;
const EFBIG = 27;
const EPIPE = 32;
const ERANGE = 34;
const ENOSYS = 38;
const MAX_IO = 1 << 24;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0x40;
const O_APPEND = 0x400;
const O_NONBLOCK = 0x800;
const O_DIRECTORY = 0x10000;
const O_CLOEXEC = 0x80000;
const O_PATH = 0x200000;


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
function slashCheck(k: Kernel, raw: string, path: string | number): string | number {
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

/** /proc/self/... links the emulator answers itself. */
function procLink(k: Kernel, p: string): string | null {
  return virtualFiles ? virtualFiles.readlink(k, p) : null;
}

// ---- read / write -------------------------------------------------------------

export function readInto(k: Kernel, f: OFile, buf: Uint8Array, pos: number | null): number {
  if (f.ops) return f.ops.read(k, f, buf);
  switch (f.kind) {
    case "std":
      return k.host.read(f.h, buf);
    case "file": {
      const at = pos ?? f.pos;
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

function sysRead(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !readable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  const len = Math.min(a.u(2), MAX_IO);
  // Linux copies out until the first unwritable byte and returns that partial count
  const room = k.cpu.mem.writablePrefix(a.u(1), len);
  if (room === 0 && len > 0) {
    // EFAULT only when there was something to copy (a file at EOF still reads 0)
    const n = readInto(k, f, new Uint8Array(1), f.kind === "file" ? (pos ?? f.pos) : pos);
    return n === RESULT_BLOCK ? n : n > 0 ? -EFAULT : n;
  }
  const buf = new Uint8Array(room);
  const n = readInto(k, f, buf, pos);
  if (n <= 0 || n === RESULT_BLOCK) return n;
  if (k.copyOut(a.u(1), buf.subarray(0, n))) return -EFAULT;
  return n;
}

function sysWrite(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !writable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  const len = Math.min(a.u(2), MAX_IO);
  if (len === 0) return 0;
  // a buffer running into an unmapped page: the readable part is written (Linux's partial count)
  const have = k.cpu.mem.readablePrefix(a.u(1), len);
  if (have === 0) return -EFAULT;
  const data = k.cpu.mem.readBytes(a.u(1), have);
  return writeFrom(k, f, data, pos);
}

defineSyscall({ nr: 0, name: "read", args: ["fd", "obuf2", "u"], fn: (k, a) => sysRead(k, a, null) });
defineSyscall({ nr: 1, name: "write", args: ["fd", "buf2", "u"], fn: (k, a) => sysWrite(k, a, null) });
defineSyscall({ nr: 17, name: "pread64", args: ["fd", "obuf2", "u", "d"], fn: (k, a) => (a.i(3) < 0 ? -EINVAL : sysRead(k, a, a.i(3))) });
defineSyscall({ nr: 18, name: "pwrite64", args: ["fd", "buf2", "u", "d"], fn: (k, a) => (a.i(3) < 0 ? -EINVAL : sysWrite(k, a, a.i(3))) });

/** struct iovec { void *base; size_t len; } */
export function iovecs(k: Kernel, addr: number, count: number): Array<[number, number]> | number {
  if (count < 0 || count > 1024) return -EINVAL;
  const out: Array<[number, number]> = [];
  try {
    for (let j = 0; j < count; j++) {
      const b = k.cpu.mem.readBytes(addr + 16 * j, 16);
      const dv = new DataView(b.buffer);
      out.push([Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true))]);
    }
  } catch {
    return -EFAULT;
  }
  return out;
}

defineSyscall({
  nr: 20,
  name: "writev",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f || !writable(f)) return -EBADF;
    const v = iovecs(k, a.u(1), a.i32(2));
    if (typeof v === "number") return v;
    // as Linux: the buffers are gathered up to the first unreadable byte; nothing readable at all is EFAULT
    const parts: Uint8Array[] = [];
    let total = 0;
    let fault = false;
    for (const [base, len] of v) {
      const want = Math.min(len, MAX_IO - total);
      if (want === 0) continue;
      const have = k.cpu.mem.readablePrefix(base, want);
      if (have > 0) parts.push(k.cpu.mem.readBytes(base, have));
      total += have;
      if (have < want) {
        fault = true;
        break;
      }
    }
    if (total === 0) return fault ? -EFAULT : 0;
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return writeFrom(k, f, all, null);
  },
});

defineSyscall({
  nr: 19,
  name: "readv",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f || !readable(f)) return -EBADF;
    const v = iovecs(k, a.u(1), a.i32(2));
    if (typeof v === "number") return v;
    // room up to the first unwritable byte (Linux returns the count copied before a fault)
    let total = 0;
    for (const [base, len] of v) {
      const want = Math.min(len, MAX_IO - total);
      const room = k.cpu.mem.writablePrefix(base, want);
      total += room;
      if (room < want) break;
    }
    if (total === 0 && v.some(([, l]) => l > 0)) {
      const probe = readInto(k, f, new Uint8Array(1), f.kind === "file" ? f.pos : null);
      return probe > 0 && probe !== RESULT_BLOCK ? -EFAULT : probe;
    }
    const buf = new Uint8Array(total);
    const n = readInto(k, f, buf, null);
    if (n <= 0 || n === RESULT_BLOCK) return n;
    let o = 0;
    try {
      for (const [base, len] of v) {
        if (o >= n) break;
        const c = Math.min(len, n - o);
        k.cpu.mem.writeBytes(base, buf.subarray(o, o + c));
        o += c;
      }
    } catch {
      return -EFAULT;
    }
    return n;
  },
});

// ---- open / close / dup / pipe ----------------------------------------------------

function doOpen(k: Kernel, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  const p = readPath(k, pathAddr);
  if (typeof p === "number") return p;
  if (p === "") return -ENOENT;
  const path = slashCheck(k, p, resolve(k, dirfd, p));
  if (typeof path === "number") return path;
  const v = virtualFiles?.open(k, path);
  if (v) {
    const cloexec = (flags & O_CLOEXEC) !== 0;
    if ("dirents" in v) return flags & O_ACCMODE ? -EISDIR : install(k, { kind: "dir", h: -1, pos: 0, flags, path, refs: 1, dirents: v.dirents }, cloexec);
    return flags & O_DIRECTORY ? -ENOTDIR : install(k, { kind: "file", h: -1, pos: 0, flags, path, refs: 1, data: v.data }, cloexec);
  }
  const fsx = fsOf(k);
  if (!fsx) return -ENOENT;
  const umask = (k.state.umask as number | undefined) ?? 0o022;
  const st = fsx.stat(path, true);
  const isDir = typeof st !== "number" && (st.mode & 0o170000) === 0o040000;
  if (isDir) {
    if ((flags & O_ACCMODE) !== 0 && !(flags & O_PATH)) return -EISDIR;
    const h = fsx.open(path, 0 | O_DIRECTORY, 0);
    if (h < 0) return h;
    return install(k, { kind: "dir", h, pos: 0, flags, path, refs: 1 }, (flags & O_CLOEXEC) !== 0);
  }
  if (flags & O_DIRECTORY) return typeof st === "number" ? st : -ENOTDIR;
  const h = fsx.open(path, flags & ~(O_CLOEXEC | O_NONBLOCK | O_PATH | 0x8000), flags & O_CREAT ? mode & ~umask : 0);
  if (h < 0) return h;
  return install(k, { kind: "file", h, pos: 0, flags, path, refs: 1 }, (flags & O_CLOEXEC) !== 0);
}

defineSyscall({ nr: 2, name: "open", args: ["str", fmtOpenFlags, fmtMode], fn: (k, a) => doOpen(k, AT_FDCWD, a.u(0), a.i32(1), a.i32(2)) });
defineSyscall({ nr: 257, name: "openat", args: [fmtDirfd, "str", fmtOpenFlags, fmtMode], fn: (k, a) => doOpen(k, a.i32(0), a.u(1), a.i32(2), a.i32(3)) });
defineSyscall({ nr: 85, name: "creat", args: ["str", "x"], fn: (k, a) => doOpen(k, AT_FDCWD, a.u(0), 0x241, a.i32(1)) });

defineSyscall({
  nr: 3,
  name: "close",
  args: ["fd"],
  fn: (k, a) => {
    const fd = a.i32(0);
    const f = get(k, fd);
    if (!f) return -EBADF;
    files(k).fds[fd] = null;
    release(k, f);
    return 0;
  },
});

function dupTo(k: Kernel, old: number, nfd: number, cloexec: boolean): number {
  const f = get(k, old);
  if (!f) return -EBADF;
  if (nfd < 0 || nfd >= fdLimit(k)) return -EBADF;
  if (old === nfd) return nfd;
  const fds = files(k).fds;
  const prev = fds[nfd];
  if (prev) release(k, prev.f);
  f.refs++;
  fds[nfd] = { f, cloexec };
  return nfd;
}

defineSyscall({
  nr: 32,
  name: "dup",
  args: ["fd"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    const fd = install(k, f, false);
    if (fd >= 0) f.refs++;
    return fd;
  },
});
defineSyscall({ nr: 33, name: "dup2", args: ["fd", "fd"], fn: (k, a) => (get(k, a.i32(0)) ? dupTo(k, a.i32(0), a.i32(1), false) : -EBADF) });
defineSyscall({ nr: 292, name: "dup3", args: ["fd", "fd", "x"], fn: (k, a) => (a.i32(2) & ~O_CLOEXEC || a.i32(0) === a.i32(1) ? -EINVAL : dupTo(k, a.i32(0), a.i32(1), (a.i32(2) & O_CLOEXEC) !== 0)) });

function doPipe(k: Kernel, addr: number, flags: number): number {
  const p = new Pipe();
  const r = install(k, { kind: "pipe-r", h: -1, pos: 0, flags: 0, path: "pipe:[1]", refs: 1, pipe: p }, (flags & O_CLOEXEC) !== 0);
  if (r < 0) return r;
  const w = install(k, { kind: "pipe-w", h: -1, pos: 0, flags: 1, path: "pipe:[1]", refs: 1, pipe: p }, (flags & O_CLOEXEC) !== 0);
  if (w < 0) return w;
  try {
    k.cpu.mem.write32(addr, r);
    k.cpu.mem.write32(addr + 4, w);
  } catch {
    return -EFAULT;
  }
  return 0;
}
defineSyscall({ nr: 22, name: "pipe", args: ["ptr"], fn: (k, a) => doPipe(k, a.u(0), 0) });
// O_CLOEXEC, O_NONBLOCK, O_DIRECT and O_NOTIFICATION_PIPE (O_EXCL); anything else is EINVAL
defineSyscall({ nr: 293, name: "pipe2", args: ["ptr", "x"], fn: (k, a) => (a.i32(1) & ~(O_CLOEXEC | O_NONBLOCK | 0x4000 | 0x80) ? -EINVAL : doPipe(k, a.u(0), a.i32(1))) });

defineSyscall({
  nr: 8,
  name: "lseek",
  args: ["fd", "d", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    if (f.kind === "dir") {
      if (a.i(1) === 0 && a.i32(2) === 0) {
        f.pos = 0;
        f.dirents = undefined;
        return 0;
      }
      return -EINVAL;
    }
    if (f.kind !== "file") return -ESPIPE;
    const off = a.i(1);
    let base: number;
    switch (a.i32(2)) {
      case 0:
        base = 0;
        break;
      case 1:
        base = f.pos;
        break;
      case 2: {
        const st = statOf(k, f);
        if (typeof st === "number") return st;
        base = st.size;
        break;
      }
      case 3: // SEEK_DATA: no holes known, so data is wherever the file is
      case 4: {
        // SEEK_HOLE: the one hole is at the end
        const st = statOf(k, f);
        if (typeof st === "number") return st;
        if (off < 0 || off >= st.size) return -6; // ENXIO
        f.pos = a.i32(2) === 3 ? off : st.size;
        return f.pos;
      }
      default:
        return -EINVAL;
    }
    // past what a file may hold (and what a JS number holds exactly): EINVAL, as from the file system's s_maxbytes
    if (base + off < 0 || base + off > Number.MAX_SAFE_INTEGER) return -EINVAL;
    f.pos = base + off;
    return f.pos;
  },
});

// ---- stat ----------------------------------------------------------------------------

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

function putStat(k: Kernel, addr: number, st: HostStat): number {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(st.dev), true);
  dv.setBigUint64(8, BigInt(st.ino), true);
  dv.setBigUint64(16, BigInt(st.nlink), true);
  dv.setUint32(24, st.mode, true);
  dv.setUint32(28, st.uid, true);
  dv.setUint32(32, st.gid, true);
  dv.setBigUint64(40, BigInt(st.rdev), true);
  dv.setBigInt64(48, BigInt(st.size), true);
  dv.setBigInt64(56, BigInt(st.blksize), true);
  dv.setBigInt64(64, BigInt(st.blocks), true);
  const ts = (o: number, ns: bigint) => {
    dv.setBigInt64(o, ns / 1000000000n, true);
    dv.setBigInt64(o + 8, ns % 1000000000n, true);
  };
  ts(72, st.atimeNs);
  ts(88, st.mtimeNs);
  ts(104, st.ctimeNs);
  return k.copyOut(addr, b);
}

function statPath(k: Kernel, dirfd: number, pathAddr: number, flags: number): HostStat | number {
  const p = readPath(k, pathAddr);
  if (typeof p === "number") return p;
  if (p === "") {
    if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
    if (dirfd === AT_FDCWD) {
      const fsx = fsOf(k);
      return fsx ? fsx.stat(files(k).cwd, true) : -ENOENT;
    }
    const f = get(k, dirfd);
    return f ? statOf(k, f) : -EBADF;
  }
  const path = slashCheck(k, p, resolve(k, dirfd, p));
  if (typeof path === "number") return path;
  const vs = virtualFiles?.stat(k, path, !(flags & AT_SYMLINK_NOFOLLOW));
  if (vs) return vs;
  const fsx = fsOf(k);
  if (!fsx) return -ENOENT;
  const link = procLink(k, path);
  if (link && !(flags & AT_SYMLINK_NOFOLLOW)) return fsx.stat(link, true);
  return fsx.stat(path, !(flags & AT_SYMLINK_NOFOLLOW));
}

function statResult(k: Kernel, st: HostStat | number, addr: number): number {
  return typeof st === "number" ? st : putStat(k, addr, st);
}

defineSyscall({
  nr: 5,
  name: "fstat",
  args: ["fd", "ptr"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    return f ? statResult(k, statOf(k, f), a.u(1)) : -EBADF;
  },
});
defineSyscall({ nr: 4, name: "stat", args: ["str", "ptr"], fn: (k, a) => statResult(k, statPath(k, AT_FDCWD, a.u(0), 0), a.u(1)) });
defineSyscall({ nr: 6, name: "lstat", args: ["str", "ptr"], fn: (k, a) => statResult(k, statPath(k, AT_FDCWD, a.u(0), AT_SYMLINK_NOFOLLOW), a.u(1)) });
// flags beyond AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH and AT_STATX_SYNC_TYPE: EINVAL
defineSyscall({ nr: 262, name: "newfstatat", args: [fmtDirfd, "str", "ptr", fmtAtFlags], fn: (k, a) => a.i32(3) & ~(AT_SYMLINK_NOFOLLOW | 0x800 | AT_EMPTY_PATH | 0x6000) ? -EINVAL : statResult(k, statPath(k, a.i32(0), a.u(1), a.i32(3)), a.u(2)) });

defineSyscall({
  nr: 332,
  name: "statx",
  args: ["fd", "str", "x", "x", "ptr"],
  fn: (k, a) => {
    const st = statPath(k, a.i32(0), a.u(1), a.i32(2));
    if (typeof st === "number") return st;
    const b = new Uint8Array(256);
    const dv = new DataView(b.buffer);
    const btime = st.btimeNs !== undefined && st.btimeNs > 0n;
    dv.setUint32(0, 0x7ff | (btime ? 0x800 : 0), true); // STATX_BASIC_STATS | STATX_BTIME
    dv.setUint32(4, st.blksize, true);
    dv.setUint32(16, st.nlink, true);
    dv.setUint32(20, st.uid, true);
    dv.setUint32(24, st.gid, true);
    dv.setUint16(28, st.mode, true);
    dv.setBigUint64(32, BigInt(st.ino), true);
    dv.setBigUint64(40, BigInt(st.size), true);
    dv.setBigUint64(48, BigInt(st.blocks), true);
    const ts = (o: number, ns: bigint) => {
      dv.setBigInt64(o, ns / 1000000000n, true);
      dv.setUint32(o + 8, Number(ns % 1000000000n), true);
    };
    ts(0x40, st.atimeNs);
    if (btime) ts(0x50, st.btimeNs!);
    ts(0x60, st.ctimeNs);
    ts(0x70, st.mtimeNs);
    dv.setUint32(0x80, (st.rdev >> 8) & 0xfff, true);
    dv.setUint32(0x84, st.rdev & 0xff, true);
    dv.setUint32(0x88, (st.dev >> 8) & 0xfff, true);
    dv.setUint32(0x8c, st.dev & 0xff, true);
    return k.copyOut(a.u(4), b);
  },
});

function doAccess(k: Kernel, dirfd: number, pathAddr: number, mode: number): number {
  const p = readPath(k, pathAddr);
  if (typeof p === "number") return p;
  const path = slashCheck(k, p, resolve(k, dirfd, p));
  if (typeof path === "number") return path;
  const fsx = fsOf(k);
  return fsx ? fsx.access(path, mode) : -ENOENT;
}
// mode beyond R_OK|W_OK|X_OK, or faccessat2 flags beyond AT_EACCESS|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH: EINVAL
const badAccess = (mode: number, flags: number) => (mode & ~7) !== 0 || (flags & ~(0x200 | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0;
defineSyscall({ nr: 21, name: "access", args: ["str", "x"], fn: (k, a) => (badAccess(a.i32(1), 0) ? -EINVAL : doAccess(k, AT_FDCWD, a.u(0), a.i32(1))) });
defineSyscall({ nr: 269, name: "faccessat", args: [fmtDirfd, "str", "x"], fn: (k, a) => (badAccess(a.i32(2), 0) ? -EINVAL : doAccess(k, a.i32(0), a.u(1), a.i32(2))) });
defineSyscall({ nr: 439, name: "faccessat2", args: ["fd", "str", "x", "x"], fn: (k, a) => (badAccess(a.i32(2), a.i32(3)) ? -EINVAL : doAccess(k, a.i32(0), a.u(1), a.i32(2))) });

// ---- directories ------------------------------------------------------------------------

defineSyscall({
  nr: 217,
  name: "getdents64",
  args: ["fd", "ptr", "u"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    if (f.kind !== "dir") return -ENOTDIR;
    if (!f.dirents) {
      const list = fsOf(k)!.readdir(f.path);
      if (typeof list === "number") return list;
      f.dirents = list;
    }
    const cap = a.u(2);
    const out = new Uint8Array(Math.min(cap, 1 << 20));
    const dv = new DataView(out.buffer);
    const enc = new TextEncoder();
    let o = 0;
    while (f.pos < f.dirents.length) {
      const d = f.dirents[f.pos];
      const name = enc.encode(d.name);
      const reclen = (19 + name.length + 1 + 7) & ~7;
      if (o + reclen > out.length) {
        if (o === 0) return -EINVAL;
        break;
      }
      dv.setBigUint64(o, BigInt(d.ino || f.pos + 1), true);
      dv.setBigInt64(o + 8, BigInt(f.pos + 1), true);
      dv.setUint16(o + 16, reclen, true);
      out[o + 18] = d.type;
      out.set(name, o + 19);
      o += reclen;
      f.pos++;
    }
    if (k.copyOut(a.u(1), out.subarray(0, o))) return -EFAULT;
    return o;
  },
});

function doReadlink(k: Kernel, dirfd: number, pathAddr: number, buf: number, size: number): number {
  const p = readPath(k, pathAddr);
  if (typeof p === "number") return p;
  const path = resolve(k, dirfd, p);
  if (typeof path === "number") return path;
  if (size <= 0) return -EINVAL;
  let target: string | number | null = procLink(k, path);
  if (target === null) {
    const fsx = fsOf(k);
    target = fsx ? fsx.readlink(path) : -ENOENT;
  }
  if (typeof target === "number") return target;
  const b = new TextEncoder().encode(target).subarray(0, size);
  if (k.copyOut(buf, b)) return -EFAULT;
  return b.length;
}
defineSyscall({ nr: 89, name: "readlink", args: ["str", "ptr", "u"], fn: (k, a) => doReadlink(k, AT_FDCWD, a.u(0), a.u(1), a.i32(2)) });
defineSyscall({ nr: 267, name: "readlinkat", args: [fmtDirfd, "str", "ptr", "u"], fn: (k, a) => doReadlink(k, a.i32(0), a.u(1), a.u(2), a.i32(3)) });

defineSyscall({
  nr: 79,
  name: "getcwd",
  args: ["ptr", "u"],
  fn: (k, a) => {
    const b = new TextEncoder().encode(files(k).cwd + "\0");
    if (a.u(1) < b.length) return -ERANGE;
    if (k.copyOut(a.u(0), b)) return -EFAULT;
    return b.length;
  },
});

function chdirTo(k: Kernel, path: string): number {
  const fsx = fsOf(k);
  if (!fsx) return -ENOENT;
  const st = fsx.stat(path, true);
  if (typeof st === "number") return st;
  if ((st.mode & 0o170000) !== 0o040000) return -ENOTDIR;
  files(k).cwd = path;
  return 0;
}
defineSyscall({
  nr: 80,
  name: "chdir",
  args: ["str"],
  fn: (k, a) => {
    const p = readPath(k, a.u(0));
    if (typeof p === "number") return p;
    const path = resolve(k, AT_FDCWD, p);
    return typeof path === "number" ? path : chdirTo(k, path);
  },
});
defineSyscall({
  nr: 81,
  name: "fchdir",
  args: ["fd"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    return f.kind === "dir" ? chdirTo(k, f.path) : -ENOTDIR;
  },
});

/** A syscall taking (dirfd, path, ...) resolved to an absolute path. */
export function pathOp(k: Kernel, dirfd: number, addr: number, fn: (p: string) => number): number {
  const p = readPath(k, addr);
  if (typeof p === "number") return p;
  const path = resolve(k, dirfd, p);
  if (typeof path === "number") return path;
  if (!fsOf(k)) return -ENOENT;
  return fn(path);
}
const umaskOf = (k: Kernel) => (k.state.umask as number | undefined) ?? 0o022;
defineSyscall({ nr: 83, name: "mkdir", args: ["str", fmtMode], fn: (k, a) => pathOp(k, AT_FDCWD, a.u(0), (p) => fsOf(k)!.mkdir(p, a.i32(1) & ~umaskOf(k))) });
defineSyscall({ nr: 258, name: "mkdirat", args: [fmtDirfd, "str", fmtMode], fn: (k, a) => pathOp(k, a.i32(0), a.u(1), (p) => fsOf(k)!.mkdir(p, a.i32(2) & ~umaskOf(k))) });
defineSyscall({ nr: 84, name: "rmdir", args: ["str"], fn: (k, a) => pathOp(k, AT_FDCWD, a.u(0), (p) => fsOf(k)!.rmdir(p)) });
defineSyscall({ nr: 87, name: "unlink", args: ["str"], fn: (k, a) => pathOp(k, AT_FDCWD, a.u(0), (p) => fsOf(k)!.unlink(p)) });
defineSyscall({
  nr: 263,
  name: "unlinkat",
  args: ["fd", "str", "x"],
  fn: (k, a) => (a.i32(2) & ~AT_REMOVEDIR ? -EINVAL : pathOp(k, a.i32(0), a.u(1), (p) => (a.i32(2) & AT_REMOVEDIR ? fsOf(k)!.rmdir(p) : fsOf(k)!.unlink(p)))),
});
export function doRename(k: Kernel, d1: number, p1: number, d2: number, p2: number): number {
  return pathOp(k, d1, p1, (from) => pathOp(k, d2, p2, (to) => fsOf(k)!.rename(from, to)));
}
defineSyscall({ nr: 82, name: "rename", args: ["str", "str"], fn: (k, a) => doRename(k, AT_FDCWD, a.u(0), AT_FDCWD, a.u(1)) });
defineSyscall({ nr: 264, name: "renameat", args: ["fd", "str", "fd", "str"], fn: (k, a) => doRename(k, a.i32(0), a.u(1), a.i32(2), a.u(3)) });
defineSyscall({ nr: 90, name: "chmod", args: ["str", "x"], fn: (k, a) => pathOp(k, AT_FDCWD, a.u(0), (p) => fsOf(k)!.chmod(p, a.i32(1) & 0o7777)) });
defineSyscall({ nr: 268, name: "fchmodat", args: ["fd", "str", "x"], fn: (k, a) => pathOp(k, a.i32(0), a.u(1), (p) => fsOf(k)!.chmod(p, a.i32(2) & 0o7777)) });
defineSyscall({
  nr: 91,
  name: "fchmod",
  args: ["fd", "x"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    return f.kind === "file" || f.kind === "dir" ? fsOf(k)!.chmod(f.path, a.i32(1) & 0o7777) : 0;
  },
});
defineSyscall({
  nr: 280,
  name: "utimensat",
  args: ["fd", "str", "ptr", "x"],
  fn: (k, a) => {
    const fsx = fsOf(k);
    const flags = a.i32(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    if (!fsx?.utimes) return 0;
    let at: bigint | null = k.host.realtimeNs();
    let mt: bigint | null = at;
    if (a.u(2)) {
      try {
        const b = k.cpu.mem.readBytes(a.u(2), 32);
        const dv = new DataView(b.buffer);
        const t = (o: number): bigint | null => {
          const ns = dv.getBigInt64(o + 8, true);
          if (ns === 0x3ffffffen) return null; // UTIME_OMIT
          if (ns === 0x3fffffffn) return k.host.realtimeNs(); // UTIME_NOW
          if (ns < 0n || ns >= 1000000000n) throw new RangeError("tv_nsec");
          return dv.getBigInt64(o, true) * 1000000000n + ns;
        };
        try {
          at = t(0);
          mt = t(16);
        } catch {
          return -EINVAL;
        }
      } catch {
        return -EFAULT;
      }
      if (at === null && mt === null) return 0;
    }
    if (a.u(1) === 0) {
      const f = get(k, a.i32(0));
      return f ? fsx.utimes(f.path, at, mt) : -EBADF;
    }
    return pathOp(k, a.i32(0), a.u(1), (p) => fsx.utimes!(p, at, mt, !(flags & AT_SYMLINK_NOFOLLOW)));
  },
});

defineSyscall({
  nr: 77,
  name: "ftruncate",
  args: ["fd", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    if (f.kind !== "file" || (f.flags & O_ACCMODE) === 0) return -EINVAL;
    return a.i(1) < 0 ? -EINVAL : fsOf(k)!.truncate(f.h, a.i(1));
  },
});
defineSyscall({ nr: 74, name: "fsync", args: ["fd"], fn: (k, a) => (get(k, a.i32(0)) ? 0 : -EBADF) });
defineSyscall({ nr: 75, name: "fdatasync", args: ["fd"], fn: (k, a) => (get(k, a.i32(0)) ? 0 : -EBADF) });

// ---- fcntl / ioctl ------------------------------------------------------------------------

defineSyscall({
  nr: 72,
  name: "fcntl",
  args: ["fd", "d", "x"],
  fn: (k, a) => {
    const fd = a.i32(0);
    const e = files(k).fds[fd];
    if (fd < 0 || !e) return -EBADF;
    switch (a.i32(1)) {
      case 0: // F_DUPFD
      case 1030: {
        // F_DUPFD_CLOEXEC
        if (a.i32(2) < 0 || a.i32(2) >= fdLimit(k)) return -EINVAL;
        const fd2 = install(k, e.f, a.i32(1) === 1030, a.i32(2));
        if (fd2 >= 0) e.f.refs++;
        return fd2;
      }
      case 1: // F_GETFD
        return e.cloexec ? 1 : 0;
      case 2: // F_SETFD
        e.cloexec = (a.i32(2) & 1) !== 0;
        return 0;
      case 3: // F_GETFL
        return e.f.flags & ~O_CLOEXEC;
      case 4: // F_SETFL: only O_APPEND and O_NONBLOCK change
        e.f.flags = (e.f.flags & ~(O_APPEND | O_NONBLOCK)) | (a.i32(2) & (O_APPEND | O_NONBLOCK));
        return 0;
      case 5: // F_GETLK
      case 6: // F_SETLK
      case 7: // F_SETLKW
        return 0;
      case 1031: // F_SETPIPE_SZ
        return e.f.pipe ? e.f.pipe.setCapacity(a.i32(2)) : -EBADF;
      case 1032: // F_GETPIPE_SZ
        return e.f.pipe ? e.f.pipe.capacity : -EBADF;
      default:
        return -EINVAL;
    }
  },
});

const FIONREAD = 0x541b;
const FIONBIO = 0x5421;
const FIOCLEX = 0x5451;
const FIONCLEX = 0x5450;
defineSyscall({
  nr: 16,
  name: "ioctl",
  args: ["fd", "x", "ptr"],
  fn: (k, a) => {
    const fd = a.i32(0);
    const f = get(k, fd);
    if (!f) return -EBADF;
    const req = a.u32(1);
    switch (req) {
      case FIONREAD: {
        const n = f.kind === "pipe-r" ? f.pipe!.size() : (f.ops?.pending?.(f) ?? 0);
        try {
          k.cpu.mem.write32(a.u(2), n);
        } catch {
          return -EFAULT;
        }
        return 0;
      }
      case FIONBIO:
        try {
          f.flags = k.cpu.mem.read32(a.u(2)) ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
        } catch {
          return -EFAULT;
        }
        return 0;
      case FIOCLEX:
      case FIONCLEX:
        files(k).fds[fd]!.cloexec = req === FIOCLEX;
        return 0;
    }
    if (f.kind === "std" && k.host.isatty(f.h)) return ttyIoctl(k, f.h, req, a.u(2));
    void isTtyIoctl;
    return -ENOTTY;
  },
});

void EPERM;
void ENOSYS;

// ---- links ------------------------------------------------------------------------------

function doSymlink(k: Kernel, targetAddr: number, dirfd: number, pathAddr: number): number {
  const target = readPath(k, targetAddr);
  if (typeof target === "number") return target;
  return pathOp(k, dirfd, pathAddr, (p) => fsOf(k)!.createSymlink?.(target, p) ?? -EPERM);
}
defineSyscall({ nr: 88, name: "symlink", args: ["str", "str"], fn: (k, a) => doSymlink(k, a.u(0), AT_FDCWD, a.u(1)) });
defineSyscall({ nr: 266, name: "symlinkat", args: ["str", fmtDirfd, "str"], fn: (k, a) => doSymlink(k, a.u(0), a.i32(1), a.u(2)) });
function doLink(k: Kernel, d1: number, p1: number, d2: number, p2: number): number {
  return pathOp(k, d1, p1, (from) => pathOp(k, d2, p2, (to) => fsOf(k)!.createLink?.(from, to) ?? -EPERM));
}
defineSyscall({ nr: 86, name: "link", args: ["str", "str"], fn: (k, a) => doLink(k, AT_FDCWD, a.u(0), AT_FDCWD, a.u(1)) });
defineSyscall({ nr: 265, name: "linkat", args: [fmtDirfd, "str", fmtDirfd, "str", "x"], fn: (k, a) => doLink(k, a.i32(0), a.u(1), a.i32(2), a.u(3)) });

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
