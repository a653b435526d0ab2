/**
 * File syscalls on the standard descriptors 0-2 (read, write, readv, writev,
 * ioctl, fstat, fcntl, dup...). Regular files and directories are not
 * implemented yet (open returns ENOENT-free -ENOSYS).
 */
import { defineSyscall, type Kernel } from "./kernel.js";

const EBADF = 9;
const EFAULT = 14;
const MAX_IO = 1 << 20;

defineSyscall({
  nr: 1,
  name: "write",
  args: ["fd", "buf2", "u"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const len = Math.min(a.u(2), MAX_IO);
    let data: Uint8Array;
    try {
      data = k.cpu.mem.readBytes(a.u(1), len);
    } catch {
      return -EFAULT;
    }
    return k.host.write(fd, data);
  },
});

defineSyscall({
  nr: 0,
  name: "read",
  args: ["fd", "obuf2", "u"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const buf = new Uint8Array(Math.min(a.u(2), MAX_IO));
    const n = k.host.read(fd, buf);
    if (n <= 0) return n;
    try {
      k.cpu.mem.writeBytes(a.u(1), buf.subarray(0, n));
    } catch {
      return -EFAULT;
    }
    return n;
  },
});

const ENOTTY = 25;
const EINVAL = 22;

function stdFd(k: Kernel, fd: number): boolean {
  const closed = (k.state.closedStd as Set<number> | undefined) ?? new Set<number>();
  return fd >= 0 && fd <= 2 && !closed.has(fd);
}

/** Gather/scatter vectors: struct iovec { void *base; size_t len; }. */
function iovecs(k: Kernel, addr: number, count: number): Array<[number, number]> | number {
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
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const v = iovecs(k, a.u(1), a.i32(2));
    if (typeof v === "number") return v;
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for (const [base, len] of v) {
        if (len === 0) continue;
        const b = k.cpu.mem.readBytes(base, Math.min(len, MAX_IO));
        parts.push(b);
        total += b.length;
      }
    } catch {
      return -EFAULT;
    }
    const all = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return total === 0 ? 0 : k.host.write(fd, all);
  },
});

defineSyscall({
  nr: 19,
  name: "readv",
  args: ["fd", "ptr", "d"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const v = iovecs(k, a.u(1), a.i32(2));
    if (typeof v === "number") return v;
    const total = v.reduce((n, [, l]) => n + l, 0);
    const buf = new Uint8Array(Math.min(total, MAX_IO));
    const n = k.host.read(fd, buf);
    if (n <= 0) return n;
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

const TCGETS = 0x5401;
const TIOCGWINSZ = 0x5413;
const FIONREAD = 0x541b;

defineSyscall({
  nr: 16,
  name: "ioctl",
  args: ["fd", "x", "ptr"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const req = a.u32(1);
    const tty = k.host.isatty(fd);
    if (req === TCGETS || req === TIOCGWINSZ) {
      if (!tty) return -ENOTTY;
      try {
        if (req === TIOCGWINSZ) k.cpu.mem.writeBytes(a.u(2), Uint8Array.from([24, 0, 80, 0, 0, 0, 0, 0]));
        else {
          // a plausible termios: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO...
          const t = new Uint8Array(60);
          const dv = new DataView(t.buffer);
          dv.setUint32(0, 0x500, true);
          dv.setUint32(4, 0x5, true);
          dv.setUint32(8, 0xbf, true);
          dv.setUint32(12, 0x8a3b, true);
          k.cpu.mem.writeBytes(a.u(2), t);
        }
      } catch {
        return -EFAULT;
      }
      return 0;
    }
    if (req === FIONREAD) {
      try {
        k.cpu.mem.write32(a.u(2), 0);
      } catch {
        return -EFAULT;
      }
      return 0;
    }
    return tty ? -EINVAL : -ENOTTY;
  },
});

/** struct stat (144 bytes) for a standard descriptor: a character device on a terminal, else a pipe. */
function statStd(k: Kernel, fd: number, addr: number): number {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  const tty = k.host.isatty(fd);
  dv.setBigUint64(0, tty ? 0x16n : 0xcn, true); // st_dev
  dv.setBigUint64(8, BigInt(100 + fd), true); // st_ino
  dv.setBigUint64(16, 1n, true); // st_nlink
  dv.setUint32(24, tty ? 0o20620 : 0o10600, true); // st_mode: S_IFCHR or S_IFIFO
  dv.setUint32(28, k.host.getuid(), true);
  dv.setUint32(32, k.host.getgid(), true);
  dv.setBigUint64(40, tty ? 0x8800n : 0n, true); // st_rdev
  dv.setBigInt64(56, tty ? 1024n : 4096n, true); // st_blksize
  try {
    k.cpu.mem.writeBytes(addr, b);
    return 0;
  } catch {
    return -EFAULT;
  }
}

defineSyscall({ nr: 5, name: "fstat", args: ["fd", "ptr"], fn: (k, a) => (stdFd(k, a.i32(0)) ? statStd(k, a.i32(0), a.u(1)) : -EBADF) });
defineSyscall({
  nr: 262,
  name: "newfstatat",
  args: ["fd", "str", "ptr", "x"],
  fn: (k, a) => {
    const AT_EMPTY_PATH = 0x1000;
    if (a.i32(3) & AT_EMPTY_PATH && stdFd(k, a.i32(0))) {
      try {
        if (k.cpu.mem.read8(a.u(1)) === 0) return statStd(k, a.i32(0), a.u(2));
      } catch {
        return -EFAULT;
      }
    }
    return -2; // ENOENT: no file system yet
  },
});

defineSyscall({
  nr: 72,
  name: "fcntl",
  args: ["fd", "d", "x"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    switch (a.i32(1)) {
      case 1: // F_GETFD
        return 0;
      case 2: // F_SETFD
        return 0;
      case 3: // F_GETFL
        return fd === 0 ? 0 : 1; // O_RDONLY / O_WRONLY
      case 4: // F_SETFL
        return 0;
      default:
        return -EINVAL;
    }
  },
});

defineSyscall({
  nr: 3,
  name: "close",
  args: ["fd"],
  fn: (k, a) => {
    const fd = a.i32(0);
    if (!stdFd(k, fd)) return -EBADF;
    const closed = (k.state.closedStd as Set<number> | undefined) ?? new Set<number>();
    closed.add(fd);
    k.state.closedStd = closed;
    return 0;
  },
});

defineSyscall({
  nr: 8,
  name: "lseek",
  args: ["fd", "d", "d"],
  fn: (k, a) => (stdFd(k, a.i32(0)) ? -29 /* ESPIPE */ : -EBADF),
});
