/**
 * File syscalls beyond the basics, as coreutils, tar, Python and friends call
 * them: statfs/fstatfs, extended attributes (none stored: ENODATA/EOPNOTSUPP
 * as on a file system without them), chown family, flock, truncate,
 * fallocate, fadvise64/readahead, sync family, preadv/pwritev(2),
 * sendfile/copy_file_range/splice (copies through the descriptor table), and
 * memfd_create (an unlinked host file).
 */
import type { HostStatfs } from "../host/host.js";
import { defineSyscall, RESULT_BLOCK, type Args, type Kernel } from "./kernel.js";
import { doRename, fsOf, get, install, iovecs, pathOp, readable, readInto, readPath, resolve, writable, writeFrom, type OFile } from "./files.js";
import { fmtDirfd } from "./strace/flags.js";
import { afterTruncate } from "./pagecache.js";
import { readSegs, writeSegs } from "./file-io.js";
import { EBADF, EEXIST, EFAULT, EINVAL, EISDIR, ENODATA, ENODEV, ENOENT, ENOMEM, ENOSYS, EOPNOTSUPP, ESPIPE } from "./errno.js";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
/** Largest piece one copy call moves (Linux copies at most MAX_RW_COUNT; callers loop). */
const COPY_MAX = 1 << 20;

// ---- statfs -------------------------------------------------------------------------

/** struct statfs (x86-64, 120 bytes). */
function putStatfs(k: Kernel, addr: number, s: HostStatfs): number {
  const b = new Uint8Array(120);
  const dv = new DataView(b.buffer);
  const vals = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  vals.forEach((v, j) => dv.setBigInt64(8 * j, BigInt(v), true));
  // f_fsid (2 x int32) stays 0; f_namelen, f_frsize, f_flags (ST_VALID)
  dv.setBigInt64(64, 255n, true);
  dv.setBigInt64(72, BigInt(s.bsize), true);
  dv.setBigInt64(80, 0x20n, true);
  return k.copyOut(addr, b);
}

function statfsPath(k: Kernel, path: string): HostStatfs | number {
  const fsx = fsOf(k);
  if (!fsx) return -ENOENT;
  if (!fsx.statfs) {
    const st = fsx.stat(path, true);
    if (typeof st === "number") return st;
    return { type: 0x01021994, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 }; // tmpfs-like
  }
  return fsx.statfs(path);
}

defineSyscall({
  nr: 137,
  name: "statfs",
  args: ["str", "ptr"],
  fn: (k, a) =>
    pathOp(k, AT_FDCWD, a.u(0), (p) => {
      const s = statfsPath(k, p);
      return typeof s === "number" ? s : putStatfs(k, a.u(1), s);
    }),
});
defineSyscall({
  nr: 138,
  name: "fstatfs",
  args: ["fd", "ptr"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f) return -EBADF;
    const s = f.kind === "file" || f.kind === "dir" ? statfsPath(k, f.path) : { type: f.kind === "std" ? 0x1cd1 : 0x50495045, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 }; // devpts / pipefs
    return typeof s === "number" ? s : putStatfs(k, a.u(1), s);
  },
});

// ---- extended attributes: none are stored ---------------------------------------------------

/** Check that the path (or fd) of an xattr call exists; then `res`. */
function xattrPath(k: Kernel, a: Args, follow: boolean, res: number): number {
  return pathOp(k, AT_FDCWD, a.u(0), (p) => {
    const st = fsOf(k)!.stat(p, follow);
    return typeof st === "number" ? st : res;
  });
}
const xattrFd = (k: Kernel, a: Args, res: number) => (get(k, a.i32(0)) ? res : -EBADF);
const XATTR: Array<[number, string, "path" | "lpath" | "fd", number]> = [
  [188, "setxattr", "path", -EOPNOTSUPP],
  [189, "lsetxattr", "lpath", -EOPNOTSUPP],
  [190, "fsetxattr", "fd", -EOPNOTSUPP],
  [191, "getxattr", "path", -ENODATA],
  [192, "lgetxattr", "lpath", -ENODATA],
  [193, "fgetxattr", "fd", -ENODATA],
  [194, "listxattr", "path", 0],
  [195, "llistxattr", "lpath", 0],
  [196, "flistxattr", "fd", 0],
  [197, "removexattr", "path", -ENODATA],
  [198, "lremovexattr", "lpath", -ENODATA],
  [199, "fremovexattr", "fd", -ENODATA],
];
for (const [nr, name, kind, res] of XATTR) {
  const list = name.endsWith("listxattr");
  const args: Array<"str" | "fd" | "ptr" | "u" | "x"> = [kind === "fd" ? "fd" : "str", ...((list ? ["ptr", "u"] : ["str", "ptr", "u", "x"]) as Array<"str" | "ptr" | "u" | "x">)];
  defineSyscall({ nr, name, args, fn: (k, a) => (kind === "fd" ? xattrFd(k, a, res) : xattrPath(k, a, kind === "path", res)) });
}

// ---- ownership ------------------------------------------------------------------------------

function chownPath(k: Kernel, dirfd: number, addr: number, uid: number, gid: number, flags: number): number {
  const p = readPath(k, addr);
  if (typeof p === "number") return p;
  if (p === "" && flags & AT_EMPTY_PATH) return chownFd(k, dirfd, uid, gid);
  const path = resolve(k, dirfd, p);
  if (typeof path === "number") return path;
  const fsx = fsOf(k);
  if (!fsx) return -ENOENT;
  return fsx.chown ? fsx.chown(path, uid, gid, !(flags & AT_SYMLINK_NOFOLLOW)) : 0;
}
function chownFd(k: Kernel, fd: number, uid: number, gid: number): number {
  const f = get(k, fd);
  if (!f) return -EBADF;
  const fsx = fsOf(k);
  return (f.kind === "file" || f.kind === "dir") && fsx?.chown ? fsx.chown(f.path, uid, gid, true) : 0;
}
defineSyscall({ nr: 92, name: "chown", args: ["str", "d", "d"], fn: (k, a) => chownPath(k, AT_FDCWD, a.u(0), a.i32(1), a.i32(2), 0) });
defineSyscall({ nr: 94, name: "lchown", args: ["str", "d", "d"], fn: (k, a) => chownPath(k, AT_FDCWD, a.u(0), a.i32(1), a.i32(2), AT_SYMLINK_NOFOLLOW) });
defineSyscall({ nr: 93, name: "fchown", args: ["fd", "d", "d"], fn: (k, a) => chownFd(k, a.i32(0), a.i32(1), a.i32(2)) });
defineSyscall({ nr: 260, name: "fchownat", args: [fmtDirfd, "str", "d", "d", "x"], fn: (k, a) => chownPath(k, a.i32(0), a.u(1), a.i32(2), a.i32(3), a.i32(4)) });

// ---- locks, sizes, advice, sync ---------------------------------------------------------------

defineSyscall({
  nr: 73,
  name: "flock",
  args: ["fd", "x"],
  fn: (k, a) => {
    if (!get(k, a.i32(0))) return -EBADF;
    const op = a.i32(1) & ~4; // LOCK_NB
    // one process holds every lock it asks for: advisory locks never conflict with itself
    return op === 1 || op === 2 || op === 8 ? 0 : -EINVAL;
  },
});

defineSyscall({
  nr: 76,
  name: "truncate",
  args: ["str", "d"],
  fn: (k, a) =>
    pathOp(k, AT_FDCWD, a.u(0), (p) => {
      if (a.i(1) < 0) return -EINVAL;
      const fsx = fsOf(k)!;
      const h = fsx.open(p, 1, 0); // O_WRONLY
      if (h < 0) return h;
      const r = fsx.truncate(h, a.i(1));
      if (r === 0) afterTruncate(k, h, a.i(1));
      fsx.close(h);
      return r;
    }),
});

/** A regular file open for writing, or -errno as fallocate/ftruncate report. */
function fileFor(k: Kernel, fd: number, write: boolean): OFile | number {
  const f = get(k, fd);
  if (!f) return -EBADF;
  if (f.kind === "pipe-r" || f.kind === "pipe-w") return -ESPIPE;
  if (f.kind === "dir") return -EISDIR;
  if (write && !writable(f)) return -EBADF;
  return f;
}

defineSyscall({
  nr: 285,
  name: "fallocate",
  args: ["fd", "x", "d", "d"],
  fn: (k, a) => {
    const f = fileFor(k, a.i32(0), true);
    if (typeof f === "number") return f;
    const mode = a.i32(1);
    const off = a.i(2);
    const len = a.i(3);
    if (off < 0 || len <= 0) return -EINVAL;
    if (f.kind !== "file") return -ENODEV;
    if (mode & 1) return 0; // FALLOC_FL_KEEP_SIZE: space is not reserved ahead here
    if (mode !== 0) return -EOPNOTSUPP;
    const fsx = fsOf(k)!;
    const st = fsx.fstat(f.h);
    if (typeof st === "number") return st;
    return off + len > st.size ? fsx.truncate(f.h, off + len) : 0;
  },
});

defineSyscall({
  nr: 221,
  name: "fadvise64",
  args: ["fd", "d", "d", "d"],
  fn: (k, a) => {
    const f = fileFor(k, a.i32(0), false);
    if (typeof f === "number") return f === -EISDIR ? 0 : f;
    return a.i32(3) < 0 || a.i32(3) > 5 ? -EINVAL : 0;
  },
});
defineSyscall({
  nr: 187,
  name: "readahead",
  args: ["fd", "d", "u"],
  fn: (k, a) => {
    const f = get(k, a.i32(0));
    if (!f || !readable(f)) return -EBADF;
    return f.kind === "file" ? 0 : -EINVAL;
  },
});
defineSyscall({ nr: 162, name: "sync", args: [], fn: () => 0 });
defineSyscall({ nr: 306, name: "syncfs", args: ["fd"], fn: (k, a) => (get(k, a.i32(0)) ? 0 : -EBADF) });
defineSyscall({ nr: 277, name: "sync_file_range", args: ["fd", "d", "d", "x"], fn: (k, a) => (get(k, a.i32(0)) ? (a.i32(3) & ~7 ? -EINVAL : 0) : -EBADF) });

// ---- vectored I/O at an offset ------------------------------------------------------------------

function preadv(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !readable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  const v = iovecs(k, a.u(1), a.i32(2));
  return typeof v === "number" ? v : readSegs(k, f, v, pos); // RESULT_BLOCK: parked on an empty pipe
}

function pwritev(k: Kernel, a: Args, pos: number | null): number {
  const f = get(k, a.i32(0));
  if (!f || !writable(f)) return -EBADF;
  if (pos !== null && f.kind !== "file") return -ESPIPE;
  const v = iovecs(k, a.u(1), a.i32(2));
  return typeof v === "number" ? v : writeSegs(k, f, v, pos);
}
const posArg = (a: Args, allowCurrent: boolean): number | null | -1 => {
  const p = a.i(3);
  if (p === -1 && allowCurrent) return null;
  return p < 0 ? -1 : p;
};
defineSyscall({ nr: 295, name: "preadv", args: ["fd", "ptr", "d", "d"], fn: (k, a) => (posArg(a, false) === -1 ? -EINVAL : preadv(k, a, posArg(a, false))) });
defineSyscall({ nr: 296, name: "pwritev", args: ["fd", "ptr", "d", "d"], fn: (k, a) => (posArg(a, false) === -1 ? -EINVAL : pwritev(k, a, posArg(a, false))) });
defineSyscall({ nr: 327, name: "preadv2", args: ["fd", "ptr", "d", "d", "d", "x"], fn: (k, a) => (posArg(a, true) === -1 ? -EINVAL : preadv(k, a, posArg(a, true))) });
defineSyscall({ nr: 328, name: "pwritev2", args: ["fd", "ptr", "d", "d", "d", "x"], fn: (k, a) => (posArg(a, true) === -1 ? -EINVAL : pwritev(k, a, posArg(a, true))) });

// ---- in-kernel copies -------------------------------------------------------------------------

/** Read a loff_t at addr (0: none). */
function readOff(k: Kernel, addr: number): number | null | "fault" {
  if (addr === 0) return null;
  try {
    const lo = k.cpu.mem.read32(addr) >>> 0;
    const hi = k.cpu.mem.read32(addr + 4) | 0;
    return hi * 4294967296 + lo;
  } catch {
    return "fault";
  }
}
function writeOff(k: Kernel, addr: number, v: number): void {
  if (addr) k.cpu.mem.write64(addr, v % 4294967296 | 0, Math.floor(v / 4294967296));
}

/** Copy up to len bytes from `src` (at inOff, or its position) to `dst` (at outOff, or its position). */
function copy(k: Kernel, src: OFile, inOff: number | null, dst: OFile, outOff: number | null, len: number): number {
  const buf = new Uint8Array(Math.min(len, COPY_MAX));
  if (buf.length === 0) return 0;
  const n = readInto(k, src, buf, inOff);
  if (n <= 0 || n === RESULT_BLOCK) return n; // RESULT_BLOCK: parked on an empty pipe
  const w = writeFrom(k, dst, buf.subarray(0, n), outOff);
  if (w >= 0 && w < n && inOff === null && src.kind === "file") src.pos -= n - w; // give back what was not written
  return w;
}

defineSyscall({
  nr: 40,
  name: "sendfile",
  args: ["fd", "fd", "ptr", "u"],
  fn: (k, a) => {
    const out = get(k, a.i32(0));
    const src = get(k, a.i32(1));
    if (!out || !src || !writable(out) || !readable(src)) return -EBADF;
    if (src.kind !== "file") return -EINVAL;
    const off = readOff(k, a.u(2));
    if (off === "fault") return -EFAULT;
    if (off !== null && off < 0) return -EINVAL;
    const n = copy(k, src, off, out, null, a.u(3));
    if (n > 0 && off !== null) writeOff(k, a.u(2), off + n);
    return n;
  },
});

defineSyscall({
  nr: 326,
  name: "copy_file_range",
  args: ["fd", "ptr", "fd", "ptr", "u", "x"],
  fn: (k, a) => {
    const src = get(k, a.i32(0));
    const dst = get(k, a.i32(2));
    if (!src || !dst || !readable(src) || !writable(dst) || dst.flags & 0x400) return -EBADF; // O_APPEND too
    if (a.i32(5) !== 0) return -EINVAL;
    if (src.kind !== "file" || dst.kind !== "file") return src.kind === "dir" || dst.kind === "dir" ? -EISDIR : -EINVAL;
    const inOff = readOff(k, a.u(1));
    const outOff = readOff(k, a.u(3));
    if (inOff === "fault" || outOff === "fault") return -EFAULT;
    if ((inOff !== null && inOff < 0) || (outOff !== null && outOff < 0)) return -EINVAL;
    const n = copy(k, src, inOff, dst, outOff, a.u(4));
    if (n > 0) {
      if (inOff !== null) writeOff(k, a.u(1), inOff + n);
      if (outOff !== null) writeOff(k, a.u(3), outOff + n);
    }
    return n;
  },
});

defineSyscall({
  nr: 275,
  name: "splice",
  args: ["fd", "ptr", "fd", "ptr", "u", "x"],
  fn: (k, a) => {
    const src = get(k, a.i32(0));
    const dst = get(k, a.i32(2));
    if (!src || !dst || !readable(src) || !writable(dst)) return -EBADF;
    const pipeIn = src.kind === "pipe-r";
    const pipeOut = dst.kind === "pipe-w";
    if (!pipeIn && !pipeOut) return -EINVAL;
    if ((pipeIn && a.u(1)) || (pipeOut && a.u(3))) return -ESPIPE;
    const inOff = readOff(k, a.u(1));
    const outOff = readOff(k, a.u(3));
    if (inOff === "fault" || outOff === "fault") return -EFAULT;
    const n = copy(k, src, inOff, dst, outOff, a.u(4));
    if (n > 0) {
      if (inOff !== null) writeOff(k, a.u(1), inOff + n);
      if (outOff !== null) writeOff(k, a.u(3), outOff + n);
    }
    return n;
  },
});

// ---- renameat2 ------------------------------------------------------------------------------------

const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
/** renameat2: RENAME_NOREPLACE fails with EEXIST on an existing target; RENAME_EXCHANGE swaps the two names. */
function doRename2(k: Kernel, d1: number, p1: number, d2: number, p2: number, flags: number): number {
  if (flags === 0) return doRename(k, d1, p1, d2, p2);
  const both = RENAME_NOREPLACE | RENAME_EXCHANGE;
  if (flags & ~both || flags === both) return -EINVAL; // RENAME_WHITEOUT is for overlay file systems
  return pathOp(k, d1, p1, (from) =>
    pathOp(k, d2, p2, (to) => {
      const fsx = fsOf(k)!;
      const src = fsx.stat(from, false);
      if (typeof src === "number") return src;
      const dst = fsx.stat(to, false);
      if (flags & RENAME_NOREPLACE) return typeof dst === "number" ? fsx.rename(from, to) : -EEXIST;
      if (typeof dst === "number") return dst;
      const tmp = `${to}.x64emu-exchange-${k.host.getpid()}`;
      let r = fsx.rename(to, tmp);
      if (r < 0) return r;
      r = fsx.rename(from, to);
      if (r < 0) {
        fsx.rename(tmp, to);
        return r;
      }
      return fsx.rename(tmp, from);
    }),
  );
}
defineSyscall({ nr: 316, name: "renameat2", args: ["fd", "str", "fd", "str", "x"], fn: (k, a) => doRename2(k, a.i32(0), a.u(1), a.i32(2), a.u(3), a.u32(4)) });

// ---- memfd ---------------------------------------------------------------------------------------

let memfdSeq = 0;
defineSyscall({
  nr: 319,
  name: "memfd_create",
  args: ["str", "x"],
  fn: (k, a) => {
    const name = readPath(k, a.u(0));
    if (typeof name === "number") return name;
    const flags = a.u32(1);
    if (flags & ~0x7 || name.length > 249) return -EINVAL;
    const fsx = fsOf(k);
    if (!fsx) return -ENOSYS; // nowhere to keep the contents
    // an unlinked file in /tmp holds the contents (O_RDWR | O_CREAT | O_EXCL)
    const tmp = `/tmp/.x64emu-memfd-${k.host.getpid()}-${++memfdSeq}`;
    const h = fsx.open(tmp, 0xc2, 0o600);
    if (h < 0) return -ENOMEM;
    fsx.unlink(tmp);
    return install(k, { kind: "file", h, pos: 0, flags: 2, path: `/memfd:${name} (deleted)`, refs: 1 }, (flags & 1) !== 0);
  },
});
