/** Start-up and miscellaneous syscalls: arch_prctl, set_tid_address, rlimits, uname, getrandom... */
import { defineSyscall, type Kernel } from "./kernel.js";

const EINVAL = 22;
const EFAULT = 14;
const EPERM = 1;

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

defineSyscall({
  nr: 218,
  name: "set_tid_address",
  args: ["ptr"],
  fn: (k, a) => {
    k.state.clearChildTid = a.u(0);
    return k.host.getpid();
  },
});
defineSyscall({ nr: 273, name: "set_robust_list", args: ["ptr", "u"], fn: (k, a) => (a.u(1) === 24 ? 0 : -EINVAL) });

// resource limits: a fixed, plausible table (RLIMIT_STACK 8 MiB, NOFILE 1024...)
const INF = Number.MAX_SAFE_INTEGER;
const RLIMITS: Array<[number, number]> = [
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

function rlimitValue(v: number): [number, number] {
  return v === INF ? [-1, -1] : [v % 4294967296 | 0, Math.floor(v / 4294967296)];
}

function getrlimit(k: Kernel, res: number, addr: number): number {
  if (res < 0 || res >= RLIMITS.length) return -EINVAL;
  if (addr === 0) return 0;
  const [cur, max] = RLIMITS[res];
  try {
    const c = rlimitValue(cur);
    const m = rlimitValue(max);
    k.cpu.mem.write64(addr, c[0], c[1]);
    k.cpu.mem.write64(addr + 8, m[0], m[1]);
    return 0;
  } catch {
    return -EFAULT;
  }
}

defineSyscall({ nr: 97, name: "getrlimit", args: ["d", "ptr"], fn: (k, a) => getrlimit(k, a.i32(0), a.u(1)) });
defineSyscall({ nr: 160, name: "setrlimit", args: ["d", "ptr"], fn: (k, a) => (a.i32(0) < 0 || a.i32(0) >= RLIMITS.length ? -EINVAL : 0) });
defineSyscall({
  nr: 302,
  name: "prlimit64",
  args: ["d", "d", "ptr", "ptr"],
  fn: (k, a) => {
    const pid = a.i32(0);
    if (pid !== 0 && pid !== k.host.getpid()) return -3; // ESRCH
    return getrlimit(k, a.i32(1), a.u(3));
  },
});

defineSyscall({
  nr: 204,
  name: "sched_getaffinity",
  args: ["d", "u", "ptr"],
  fn: (k, a) => {
    const len = a.u(1);
    if (len < 8 || len % 8) return -EINVAL;
    const mask = new Uint8Array(8);
    mask[0] = 1; // one CPU
    return putBytes(k, a.u(2), mask) ? 8 : -EFAULT;
  },
});
defineSyscall({ nr: 203, name: "sched_setaffinity", args: ["d", "u", "ptr"], fn: () => 0 });

defineSyscall({
  nr: 318,
  name: "getrandom",
  args: ["ptr", "u", "x"],
  fn: (k, a) => {
    const n = Math.min(a.u(1), 1 << 20);
    const b = new Uint8Array(n);
    k.host.randomBytes(b);
    return putBytes(k, a.u(0), b) ? n : -EFAULT;
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

defineSyscall({ nr: 111, name: "getpgrp", args: [], fn: (k) => k.host.getpid() });
defineSyscall({ nr: 121, name: "getpgid", args: ["d"], fn: (k) => k.host.getpid() });
defineSyscall({ nr: 124, name: "getsid", args: ["d"], fn: (k) => k.host.getpid() });
defineSyscall({ nr: 109, name: "setpgid", args: ["d", "d"], fn: () => 0 });
defineSyscall({ nr: 24, name: "sched_yield", args: [], fn: () => 0 });
