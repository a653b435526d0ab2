/**
 * Descriptor syscalls: read/write and their positioned and vectored forms,
 * close/dup/pipe, lseek, ftruncate/fsync, fcntl and ioctl (the table and the
 * per-kind read/write they go through: files.ts).
 */
import type { Sock } from "./socket.js";
import { defineSyscall, RESULT_BLOCK, type Args, type Kernel } from "./kernel.js";
import { Pipe } from "./pipe.js";
import { isTtyIoctl, ttyIoctl } from "./tty.js";
import { afterTruncate } from "./pagecache.js";
import { fdLimit, files, fsOf, get, install, iovecs, readable, readInto, release, statOf, writable, writeFrom, type OFile } from "./files.js";
import { MAX_RW_COUNT, userRange } from "./misc.js";
import { EBADF, EFAULT, EINVAL, ENOTTY, ESPIPE } from "./errno.js";

const O_ACCMODE = 3;
const O_APPEND = 0x400;
const O_NONBLOCK = 0x800;
const O_CLOEXEC = 0x80000;

/** Host buffer per step of a large regular-file transfer (a 2 GiB read does not take 2 GiB of host memory at once). */
const CHUNK = 1 << 24;

/** Guest buffers as [address, length] pairs (one for read/write, the iovecs for the vectored calls). */
type Segs = Array<[number, number]>;

/**
 * The segments trimmed at the first byte the kernel cannot copy (Linux copies up to a fault
 * and returns the count so far) and at MAX_RW_COUNT in all; their total, and whether a
 * fault cut them.
 */
function usable(k: Kernel, segs: Segs, write: boolean): { segs: Segs; total: number; fault: boolean } {
  const out: Segs = [];
  let total = 0;
  for (const [base, len] of segs) {
    const want = Math.min(len, MAX_RW_COUNT - total);
    if (want === 0) continue;
    const ok = write ? k.cpu.mem.writablePrefix(base, want) : k.cpu.mem.readablePrefix(base, want);
    if (ok > 0) out.push([base, ok]);
    total += ok;
    if (ok < want) return { segs: out, total, fault: true };
  }
  return { segs: out, total, fault: false };
}

/**
 * Walk `n` bytes of the segments starting `at` bytes into them: fn(address, offset in the n
 * bytes, length) for each piece, stopping (false) when fn returns false.
 */
function walkSegs(segs: Segs, at: number, n: number, fn: (addr: number, o: number, c: number) => boolean): boolean {
  let o = 0;
  for (const [base, len] of segs) {
    if (o >= n) break;
    if (at >= len) {
      at -= len;
      continue;
    }
    const c = Math.min(len - at, n - o);
    if (!fn(base + at, o, c)) return false;
    o += c;
    at = 0;
  }
  return true;
}

/** Copy `data` into the segments starting `at` bytes into them; false at a fault. */
function scatter(k: Kernel, segs: Segs, at: number, data: Uint8Array): boolean {
  return walkSegs(segs, at, data.length, (addr, o, c) => !k.copyOut(addr, data.subarray(o, o + c)));
}

/** `n` bytes of the segments starting `at` bytes into them. */
function gather(k: Kernel, segs: Segs, at: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  walkSegs(segs, at, n, (addr, o, c) => {
    out.set(k.cpu.mem.readBytes(addr, c), o);
    return true;
  });
  return out;
}

/** Whether f is a byte stream (pipe, stream socket, host descriptor) with bytes to read now. */
function streamHasData(k: Kernel, f: OFile): boolean {
  if (f.kind === "pipe-r") return f.pipe!.size() > 0;
  if (f.kind === "std") return !k.host.isatty(f.h) && k.host.readReady?.(f.h) === true;
  const s = f.kind === "sock" ? (f.obj as Sock) : null;
  if (s && s.stream() && !s.seq()) return f.ops!.pending!(f) > 0;
  return false;
}

/**
 * Read into guest segments as Linux does: up to the first unwritable byte, EFAULT only when
 * nothing could be copied and there was something to copy; a regular file fills the whole
 * request (in host-sized steps), other kinds give what one read has.
 */
export function readSegs(k: Kernel, f: OFile, segs: Segs, pos: number | null): number {
  const room = usable(k, segs, true);
  if (room.total === 0) {
    if (!room.fault) return 0;
    // bytes of a pipe or stream stay there on a fault (Linux copies a pipe buffer or skb whole or not at all)
    if (streamHasData(k, f)) return -EFAULT;
    // a file at EOF, an empty non-blocking pipe... still give their result, not EFAULT
    // (a datagram is taken, as Linux drops the message a faulting receive dequeued)
    const probe = readInto(k, f, new Uint8Array(1), f.kind === "file" ? (pos ?? f.pos) : pos);
    return probe > 0 && probe !== RESULT_BLOCK ? -EFAULT : probe;
  }
  const buf = new Uint8Array(Math.min(room.total, CHUNK));
  let done = 0;
  while (done < room.total) {
    const want = Math.min(room.total - done, CHUNK);
    const n = readInto(k, f, want === buf.length ? buf : buf.subarray(0, want), pos === null ? null : pos + done);
    if (n <= 0 || n === RESULT_BLOCK) return done > 0 ? done : n;
    if (!scatter(k, room.segs, done, buf.subarray(0, n))) return done > 0 ? done : -EFAULT;
    done += n;
    if (n < want || f.kind !== "file") break;
  }
  return done;
}

/**
 * Write from guest segments as Linux does: the readable prefix, EFAULT only when none of it is.
 * A regular file takes it in host-sized steps; a pipe, socket or host descriptor gets it whole in
 * one call (a blocking pipe write parks until all of it is in, as Linux's).
 */
export function writeSegs(k: Kernel, f: OFile, segs: Segs, pos: number | null): number {
  const have = usable(k, segs, false);
  if (have.total === 0) return have.fault ? -EFAULT : 0;
  const step = f.kind === "file" ? CHUNK : have.total;
  let done = 0;
  while (done < have.total) {
    const want = Math.min(have.total - done, step);
    const n = writeFrom(k, f, gather(k, have.segs, done, want), pos === null ? null : pos + done);
    if (n <= 0 || n === RESULT_BLOCK) return done > 0 ? done : n;
    done += n;
    if (n < want || f.kind !== "file") break;
  }
  return done;
}

function sysRead(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !readable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  // vfs_read: access_ok on the whole request before anything, then the count is capped
  if (!userRange(a.u(1), a.u(2))) return -EFAULT;
  if (a.u(2) === 0) return readInto(k, f, new Uint8Array(0), pos);
  return readSegs(k, f, [[a.u(1), a.u(2)]], pos);
}

function sysWrite(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !writable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  if (!userRange(a.u(1), a.u(2))) return -EFAULT;
  return writeSegs(k, f, [[a.u(1), a.u(2)]], pos);
}

defineSyscall({ nr: 0, name: "read", args: ["fd", "obuf2", "u"], fn: (k, a) => sysRead(k, a, null) });
defineSyscall({ nr: 1, name: "write", args: ["fd", "buf2", "u"], fn: (k, a) => sysWrite(k, a, null) });
defineSyscall({ nr: 17, name: "pread64", args: ["fd", "obuf2", "u", "d"], fn: (k, a) => (a.i(3) < 0 ? -EINVAL : sysRead(k, a, a.i(3))) });
defineSyscall({ nr: 18, name: "pwrite64", args: ["fd", "buf2", "u", "d"], fn: (k, a) => (a.i(3) < 0 ? -EINVAL : sysWrite(k, a, a.i(3))) });

defineSyscall({
  nr: 20,
  name: "writev",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f || !writable(f)) return -EBADF;
    const v = iovecs(k, a.u(1), a.i32(2));
    return typeof v === "number" ? v : writeSegs(k, f, v, null);
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
    return typeof v === "number" ? v : readSegs(k, f, v, null);
  },
});

// ---- close / dup / pipe -------------------------------------------------------------

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
    if (f.kind === "std") return k.host.seekFd?.(f.h, a.i(1), a.i32(2)) ?? -ESPIPE; // stdin redirected from a file
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

defineSyscall({
  nr: 77,
  name: "ftruncate",
  args: ["fd", "d"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    if (f.kind !== "file" || (f.flags & O_ACCMODE) === 0) return -EINVAL;
    if (a.i(1) < 0) return -EINVAL;
    const r = fsOf(k)!.truncate(f.h, a.i(1));
    if (r === 0) afterTruncate(k, f.h, a.i(1));
    return r;
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

