/** Time syscalls: clock_gettime, clock_getres, gettimeofday, time, nanosleep, times (getrusage: procinfo.ts). */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";

const EINVAL = 22;
const EFAULT = 14;

function nowNs(k: Kernel, clock: number): bigint | null {
  switch (clock) {
    case 0: // REALTIME
    case 5: // REALTIME_COARSE
    case 8: // REALTIME_ALARM
    case 11: // TAI
      return k.host.realtimeNs();
    case 1: // MONOTONIC
    case 4: // MONOTONIC_RAW
    case 6: // MONOTONIC_COARSE
    case 7: // BOOTTIME
    case 9: // BOOTTIME_ALARM
      return k.host.monotonicNs();
    case 2: // PROCESS_CPUTIME_ID
    case 3: // THREAD_CPUTIME_ID
      return k.host.monotonicNs() - ((k.state.startNs as bigint | undefined) ?? 0n);
    default:
      return null;
  }
}

function putTimespec(k: Kernel, addr: number, ns: bigint, usec = false): boolean {
  const sec = ns / 1000000000n;
  const frac = usec ? (ns % 1000000000n) / 1000n : ns % 1000000000n;
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, sec, true);
  dv.setBigInt64(8, frac, true);
  return k.copyOut(addr, b) === 0;
}

defineSyscall({
  nr: 228,
  name: "clock_gettime",
  args: ["d", "ptr"],
  fn: (k, a) => {
    const t = nowNs(k, a.i32(0));
    if (t === null) return -EINVAL;
    return putTimespec(k, a.u(1), t) ? 0 : -EFAULT;
  },
});
defineSyscall({
  nr: 229,
  name: "clock_getres",
  args: ["d", "ptr"],
  fn: (k, a) => {
    if (nowNs(k, a.i32(0)) === null) return -EINVAL;
    return a.u(1) === 0 || putTimespec(k, a.u(1), 1n) ? 0 : -EFAULT;
  },
});
defineSyscall({
  nr: 96,
  name: "gettimeofday",
  args: ["ptr", "ptr"],
  fn: (k, a) => (a.u(0) === 0 || putTimespec(k, a.u(0), k.host.realtimeNs(), true) ? 0 : -EFAULT),
});
defineSyscall({
  nr: 201,
  name: "time",
  args: ["ptr"],
  fn: (k, a) => {
    const s = Number(k.host.realtimeNs() / 1000000000n);
    if (a.u(0)) {
      try {
        k.cpu.mem.write64(a.u(0), s | 0, 0);
      } catch {
        return -EFAULT;
      }
    }
    return s;
  },
});

function readTimespec(k: Kernel, addr: number): bigint | null {
  try {
    const b = k.cpu.mem.readBytes(addr, 16);
    const dv = new DataView(b.buffer);
    const sec = dv.getBigInt64(0, true);
    const nsec = dv.getBigInt64(8, true);
    if (sec < 0n || nsec < 0n || nsec >= 1000000000n) return -1n;
    return sec * 1000000000n + nsec;
  } catch {
    return null;
  }
}

/**
 * Park until the monotonic deadline; a handled signal ends the sleep with
 * -EINTR (and the time left in `rem`, when given), as nanosleep(2) says.
 */
function sleepUntil(k: Kernel, deadline: number, rem: number): number {
  if (Number(k.host.monotonicNs()) >= deadline) return 0;
  return k.sched.park(k, {
    retry: () => (Number(k.host.monotonicNs()) >= deadline ? 0 : RESULT_BLOCK),
    deadline,
    onSignal: "eintr",
    cancel: () => {
      if (!rem) return;
      const left = Math.max(0, deadline - Number(k.host.monotonicNs()));
      const b = new Uint8Array(16);
      const dv = new DataView(b.buffer);
      dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
      dv.setBigInt64(8, BigInt(Math.floor(left % 1e9)), true);
      k.copyOut(rem, b);
    },
  });
}

defineSyscall({
  nr: 35,
  name: "nanosleep",
  args: ["ptr", "ptr"],
  fn: (k, a) => {
    const ns = readTimespec(k, a.u(0));
    if (ns === null) return -EFAULT;
    if (ns < 0n) return -EINVAL;
    return sleepUntil(k, Number(k.host.monotonicNs() + ns), a.u(1));
  },
});
defineSyscall({
  nr: 230,
  name: "clock_nanosleep",
  args: ["d", "x", "ptr", "ptr"],
  fn: (k, a) => {
    const ns = readTimespec(k, a.u(2));
    if (ns === null) return -EFAULT;
    const clock = a.i32(0);
    const now = nowNs(k, clock);
    if (ns < 0n || now === null) return -EINVAL;
    const abs = (a.i32(1) & 1) !== 0;
    const rel = abs ? ns - now : ns;
    return sleepUntil(k, Number(k.host.monotonicNs() + rel), abs ? 0 : a.u(3));
  },
});

defineSyscall({
  nr: 100,
  name: "times",
  args: ["ptr"],
  fn: (k, a) => {
    const ticks = Number(k.host.monotonicNs() / 10000000n);
    if (a.u(0)) {
      const b = new Uint8Array(32);
      new DataView(b.buffer).setBigInt64(0, BigInt(Math.floor(k.cpu.icount / 1e7)), true);
      if (k.copyOut(a.u(0), b)) return -EFAULT;
    }
    return ticks;
  },
});
