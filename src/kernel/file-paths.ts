/**
 * Path syscalls: open/openat/creat, the stat family (struct stat 144 bytes,
 * statx 256), access, getdents64 (linux_dirent64) and getdents, readlink, getcwd/chdir,
 * mkdir/unlink/rename/chmod/utimensat and links (shared helpers: files.ts).
 */
import type { HostStat } from "../host/host.js";
import { defineSyscall, type Kernel } from "./kernel.js";
import { fmtAtFlags, fmtDirfd, fmtMode, fmtOpenFlags } from "./strace/flags.js";
import { doRename, files, fsOf, get, install, pathOp, procLink, readPath, resolve, slashCheck, statOf, umaskOf, virtual } from "./files.js";
import { EBADF, EFAULT, EINVAL, EISDIR, ENOENT, ENOTDIR, EPERM, ERANGE } from "./errno.js";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0x40;
const O_NONBLOCK = 0x800;
const O_DIRECTORY = 0x10000;
const O_CLOEXEC = 0x80000;
const O_PATH = 0x200000;

// ---- open / close / dup / pipe ----------------------------------------------------

function doOpen(k: Kernel, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  const p = readPath(k, pathAddr);
  if (typeof p === "number") return p;
  if (p === "") return -ENOENT;
  const path = slashCheck(k, p, resolve(k, dirfd, p));
  if (typeof path === "number") return path;
  const v = virtual()?.open(k, path);
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

// ---- stat ----------------------------------------------------------------------------

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
  const vs = virtual()?.stat(k, path, !(flags & AT_SYMLINK_NOFOLLOW));
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

/**
 * getdents64 (struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name)
 * and the old getdents (struct linux_dirent: d_ino, d_off, d_reclen, d_name,
 * then d_type in the record's last byte), records 8-byte aligned as Linux's
 * filldir; EINVAL when not even the first entry fits.
 */
function getdents(k: Kernel, fd: number, buf: number, cap: number, old: boolean): number {
  const f = get(k, fd);
  if (!f) return -EBADF;
  if (f.kind !== "dir") return -ENOTDIR;
  if (!f.dirents) {
    const list = fsOf(k)!.readdir(f.path);
    if (typeof list === "number") return list;
    f.dirents = list;
  }
  const out = new Uint8Array(Math.min(cap, 1 << 20));
  const dv = new DataView(out.buffer);
  const enc = new TextEncoder();
  const nameAt = old ? 18 : 19;
  let o = 0;
  while (f.pos < f.dirents.length) {
    const d = f.dirents[f.pos];
    const name = enc.encode(d.name);
    const reclen = (nameAt + name.length + (old ? 2 : 1) + 7) & ~7;
    if (o + reclen > out.length) {
      if (o === 0) return -EINVAL;
      break;
    }
    dv.setBigUint64(o, BigInt(d.ino || f.pos + 1), true);
    dv.setBigInt64(o + 8, BigInt(f.pos + 1), true);
    dv.setUint16(o + 16, reclen, true);
    out[o + (old ? reclen - 1 : 18)] = d.type;
    out.set(name, o + nameAt);
    o += reclen;
    f.pos++;
  }
  if (k.copyOut(buf, out.subarray(0, o))) return -EFAULT;
  return o;
}
defineSyscall({ nr: 217, name: "getdents64", args: ["fd", "ptr", "u"], fn: (k, a) => getdents(k, a.i32(0), a.u(1), a.u(2), false) });
defineSyscall({ nr: 78, name: "getdents", args: ["fd", "ptr", "u"], fn: (k, a) => getdents(k, a.i32(0), a.u(1), a.u(2), true) });

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
