/** Start-up and miscellaneous syscalls: arch_prctl, set_tid_address, rlimits, uname, getrandom... */
import { defineSyscall, type Kernel } from "./kernel.js";
import { EFAULT, EINVAL, EPERM } from "./errno.js";


const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;

function put64(k: Kernel, addr: number, v: number): boolean {
  try {
    k.cpu.mem.write64(addr, v % 4294967296 | 0, Math.floor(v / 4294967296));
    return true;
  } catch {
    return false;
  }
}

function putBytes(k: Kernel, addr: number, b: Uint8Array): boolean {
  return k.copyOut(addr, b) === 0;
}

defineSyscall({
  nr: 158,
  name: "arch_prctl",
  args: [(k, v) => ({ 0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS" })[Number(v)] ?? "0x" + v.toString(16), "x"],
  fn: (k, a) => {
    const code = a.i32(0);
    const v = a.u(1);
    switch (code) {
      case ARCH_SET_FS:
        if (v >= 0x800000000000) return -EPERM;
        k.cpu.fsBase = v;
        return 0;
      case ARCH_SET_GS:
        if (v >= 0x800000000000) return -EPERM;
        k.cpu.gsBase = v;
        return 0;
      case ARCH_GET_FS:
        return put64(k, v, k.cpu.fsBase) ? 0 : -EFAULT;
      case ARCH_GET_GS:
        return put64(k, v, k.cpu.gsBase) ? 0 : -EFAULT;
      default:
        return -EINVAL;
    }
  },
});

// resource limits: a plausible table (RLIMIT_STACK 8 MiB, NOFILE 1024...), per process;
// setrlimit/prlimit64 change it (RLIMIT_AS is honoured by mmap/brk/mremap).
const INF = Number.MAX_SAFE_INTEGER;
const DEFAULT_RLIMITS: Array<[number, number]> = [
  [INF, INF], // CPU
  [INF, INF], // FSIZE
  [INF, INF], // DATA
  [8 << 20, INF], // STACK
  [0, INF], // CORE
  [INF, INF], // RSS
  [63545, 63545], // NPROC
  [1024, 1048576], // NOFILE
  [8 << 20, 8 << 20], // MEMLOCK
  [INF, INF], // AS
  [INF, INF], // LOCKS
  [63545, 63545], // SIGPENDING
  [819200, 819200], // MSGQUEUE
  [0, 0], // NICE
  [0, 0], // RTPRIO
  [INF, INF], // RTTIME
];
export const RLIMIT_FSIZE = 1;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_AS = 9;
export const RLIMIT_MEMLOCK = 8;
const NR_OPEN = 1048576;

/** The process's resource limits as [soft, hard] (INF: unlimited). */
export function rlimits(k: Kernel): Array<[number, number]> {
  let r = k.state.rlimits as Array<[number, number]> | undefined;
  if (!r) {
    r = DEFAULT_RLIMITS.map(([c, m]) => [c, m] as [number, number]);
    k.state.rlimits = r;
  }
  return r;
}

function rlimitValue(v: number): [number, number] {
  return v === INF ? [-1, -1] : [v % 4294967296 | 0, Math.floor(v / 4294967296)];
}

/** Write limit `res` to addr (struct rlimit): 0 or -EFAULT. */
function putRlimit(k: Kernel, lim: [number, number], addr: number): number {
  const [cur, max] = lim;
  const c = rlimitValue(cur);
  const m = rlimitValue(max);
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, c[0], true);
  dv.setInt32(4, c[1], true);
  dv.setInt32(8, m[0], true);
  dv.setInt32(12, m[1], true);
  return k.copyOut(addr, b);
}

/** Read a struct rlimit: [cur, max] (values at or above 2^53 count as unlimited), or -EFAULT. */
function getRlimitArg(k: Kernel, addr: number): [number, number] | number {
  let b: Uint8Array;
  try {
    b = k.cpu.mem.readBytes(addr, 16);
  } catch {
    return -EFAULT;
  }
  const dv = new DataView(b.buffer);
  const v = (o: number) => {
    const x = dv.getBigUint64(o, true);
    return x >= BigInt(INF) ? INF : Number(x);
  };
  return [v(0), v(8)];
}

/** Apply a new limit (Linux do_prlimit): EINVAL when soft > hard, EPERM when an unprivileged process raises the hard limit. */
function setRlimit(k: Kernel, res: number, lim: [number, number]): number {
  const [cur, max] = lim;
  if (cur > max) return -EINVAL;
  const old = rlimits(k)[res];
  if (max > old[1] && k.host.getuid() !== 0) return -EPERM;
  if (res === 7 && max > NR_OPEN) return -EPERM; // RLIMIT_NOFILE above fs.nr_open
  rlimits(k)[res] = [cur, max];
  return 0;
}

const badResource = (res: number) => res < 0 || res >= DEFAULT_RLIMITS.length;

defineSyscall({ nr: 97, name: "getrlimit", args: ["d", "ptr"], fn: (k, a) => (badResource(a.i32(0)) ? -EINVAL : putRlimit(k, rlimits(k)[a.i32(0)], a.u(1))) });
defineSyscall({
  nr: 160,
  name: "setrlimit",
  args: ["d", "ptr"],
  fn: (k, a) => {
    const lim = getRlimitArg(k, a.u(1));
    if (typeof lim === "number") return lim;
    return badResource(a.i32(0)) ? -EINVAL : setRlimit(k, a.i32(0), lim);
  },
});
defineSyscall({
  nr: 302,
  name: "prlimit64",
  args: ["d", "d", "ptr", "ptr"],
  fn: (k, a) => {
    const pid = a.i32(0);
    const res = a.i32(1);
    let lim: [number, number] | number | null = null;
    if (a.u(2) !== 0) {
      lim = getRlimitArg(k, a.u(2));
      if (typeof lim === "number") return lim;
    }
    if (badResource(res)) return -EINVAL;
    if (pid !== 0 && pid !== k.host.getpid()) return -3; // ESRCH
    const old: [number, number] = [...rlimits(k)[res]];
    if (lim) {
      const r = setRlimit(k, res, lim);
      if (r < 0) return r;
    }
    return a.u(3) !== 0 ? putRlimit(k, old, a.u(3)) : 0;
  },
});


const GRND_NONBLOCK = 1;
const GRND_RANDOM = 2;
const GRND_INSECURE = 4;
/** Largest piece Web Crypto's getRandomValues fills in one call. */
const RANDOM_PIECE = 65536;
/** Linux caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a page). */
export const MAX_RW_COUNT = 0x7ffff000;
/** End of the user address space (x86-64 TASK_SIZE_MAX, 47-bit). */
const TASK_SIZE_MAX = 0x7ffffffff000;

/**
 * Linux's access_ok: [addr, addr + len) lies wholly below TASK_SIZE_MAX. Checked before any
 * copy, so a range reaching into kernel space is EFAULT even when a prefix of it is mapped
 * and even for len 0 (read(fd, 0xffff880000000000, 0) is EFAULT natively).
 */
export function userRange(addr: number, len: number): boolean {
  return addr <= TASK_SIZE_MAX && len <= TASK_SIZE_MAX - addr;
}

defineSyscall({
  nr: 318,
  name: "getrandom",
  args: ["ptr", "u", "x"],
  fn: (k, a) => {
    const flags = a.u32(2);
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -EINVAL;
    if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -EINVAL;
    // import_single_range: the length is capped first, then the range must be user space
    const len = Math.min(a.u(1), MAX_RW_COUNT);
    const addr = a.u(0);
    if (!userRange(addr, len)) return -EFAULT;
    // Fill in pieces: no huge host buffer, and Web Crypto's limit per call holds.
    const piece = new Uint8Array(Math.min(len, RANDOM_PIECE));
    let done = 0;
    while (done < len) {
      const n = Math.min(len - done, RANDOM_PIECE);
      const b = n === piece.length ? piece : piece.subarray(0, n);
      k.host.randomBytes(b);
      const ok = k.cpu.mem.writablePrefix(addr + done, n);
      if (ok < n) {
        if (ok > 0) k.copyOut(addr + done, b.subarray(0, ok));
        done += ok;
        return done > 0 ? done : -EFAULT; // a partial count, as Linux returns at a fault
      }
      if (k.copyOut(addr + done, b)) return done > 0 ? done : -EFAULT;
      done += n;
    }
    return done;
  },
});

/** struct utsname: six 65-byte fields. */
defineSyscall({
  nr: 63,
  name: "uname",
  args: ["ptr"],
  fn: (k, a) => {
    const fields = ["Linux", k.host.hostname?.() ?? "x64emu", "6.1.0-x64emu", "#1 SMP PREEMPT_DYNAMIC x64emu", "x86_64", "(none)"];
    const buf = new Uint8Array(65 * 6);
    const enc = new TextEncoder();
    fields.forEach((f, j) => buf.set(enc.encode(f).subarray(0, 64), j * 65));
    return putBytes(k, a.u(0), buf) ? 0 : -EFAULT;
  },
});

defineSyscall({
  nr: 99,
  name: "sysinfo",
  args: ["ptr"],
  fn: (k, a) => {
    const b = new Uint8Array(112);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, k.host.monotonicNs() / 1000000000n, true); // uptime
    const mem = k.host.memoryInfo?.() ?? { total: 8 << 30, free: 4 << 30 };
    dv.setBigUint64(32, BigInt(mem.total), true); // totalram
    dv.setBigUint64(40, BigInt(mem.free), true); // freeram
    dv.setBigUint64(48, BigInt(("shared" in mem ? mem.shared : 0) ?? 0), true); // sharedram
    dv.setBigUint64(56, BigInt(("buffers" in mem ? mem.buffers : 0) ?? 0), true); // bufferram
    dv.setUint16(80, 1, true); // procs
    dv.setUint32(104, 1, true); // mem_unit
    return putBytes(k, a.u(0), b) ? 0 : -EFAULT;
  },
});

defineSyscall({
  nr: 95,
  name: "umask",
  args: ["x"],
  fn: (k, a) => {
    const old = (k.state.umask as number | undefined) ?? 0o022;
    k.state.umask = a.i32(0) & 0o777;
    return old;
  },
});

/** Process group and session of a host process (pid 0: the emulator), or -ESRCH (emulated tasks: see process.ts). */
export function hostProcessIds(k: Kernel, pid: number): { pgid: number; sid: number } | number {
  const self = k.host.getpid();
  if (pid < 0) return -3; // ESRCH
  const ids = k.host.processIds?.(pid === 0 ? self : pid);
  if (ids !== undefined) return ids;
  return pid === 0 || pid === self ? { pgid: self, sid: self } : -3;
}
