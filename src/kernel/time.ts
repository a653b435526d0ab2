/** Time syscalls: clock_gettime, clock_getres, gettimeofday, time, nanosleep, times, the CPU-time itimers (getrusage: procinfo.ts; ITIMER_REAL: signals.ts). */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { queueSignalToProc } from "./signals.js";
import type { Proc } from "./task.js";
import { EFAULT, EINVAL } from "./errno.js";


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

// ---- ITIMER_VIRTUAL, ITIMER_PROF ---------------------------------------------------------------

/**
 * The CPU-time interval timers run on the process's retired instructions,
 * one nanosecond each (a 1 GHz CPU doing one instruction per cycle: the
 * same scale as times()). Both count the same time: the emulated kernel's
 * work is not charged as system time, so ITIMER_PROF runs like
 * ITIMER_VIRTUAL. The scheduler charges each slice to its process and ends
 * a slice where the nearest timer expires (cpuTimerBudget), so the signal
 * comes at the instruction it is due.
 */
export const NS_PER_INSN = 1;
const ITIMER_VIRTUAL = 1;
const ITIMER_SIGNALS = [0, 26, 27]; // SIGVTALRM, SIGPROF
const SI_KERNEL = 0x80;
const USEC = 1000;

/** Instructions the process may run before its nearest CPU timer expires (Infinity: none armed). */
export function cpuTimerBudget(p: Proc): number {
  let n = Infinity;
  for (const t of p.cpuTimers) if (t.left > 0) n = Math.min(n, Math.ceil(t.left / NS_PER_INSN));
  return n;
}

/** Charge `insns` retired instructions to the process's CPU timers: the expired ones signal it and re-arm or disarm. */
export function chargeCpuTime(p: Proc, insns: number): void {
  const ns = insns * NS_PER_INSN;
  for (let which = ITIMER_VIRTUAL; which < p.cpuTimers.length; which++) {
    const t = p.cpuTimers[which];
    if (t.left <= 0) continue;
    t.left -= ns;
    if (t.left > 0) continue;
    t.left = t.interval > 0 ? Math.max(1, t.left + t.interval) : 0;
    queueSignalToProc(p, ITIMER_SIGNALS[which], SI_KERNEL, 0);
  }
}

/** struct itimerval of a CPU timer: interval, then the time left (timevals; an armed timer never reads as 0). */
function cpuItimerval(t: { left: number; interval: number }): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const put = (o: number, ns: number) => {
    const us = Math.ceil(ns / USEC);
    dv.setBigInt64(o, BigInt(Math.floor(us / 1e6)), true);
    dv.setBigInt64(o + 8, BigInt(us % 1e6), true);
  };
  put(0, t.interval);
  put(16, t.left);
  return b;
}

/** setitimer for ITIMER_VIRTUAL / ITIMER_PROF (signals.ts keeps ITIMER_REAL and the argument checks). */
export function setCpuTimer(k: Kernel, which: number, newAddr: number, oldAddr: number): number {
  const t = k.proc.cpuTimers[which];
  let next: [number, number] | null = null;
  if (newAddr) {
    try {
      const dv = new DataView(k.cpu.mem.readBytes(newAddr, 32).buffer);
      const [is, ius, vs, vus] = [0, 8, 16, 24].map((o) => Number(dv.getBigInt64(o, true)));
      if (is < 0 || vs < 0 || ius < 0 || vus < 0 || ius >= 1e6 || vus >= 1e6) return -EINVAL;
      next = [is * 1e9 + ius * USEC, vs * 1e9 + vus * USEC];
    } catch {
      return -EFAULT;
    }
  }
  if (oldAddr && k.copyOut(oldAddr, cpuItimerval(t))) return -EFAULT;
  if (next) {
    t.left = next[1];
    t.interval = next[1] === 0 ? 0 : next[0];
  }
  return 0;
}

/** getitimer for ITIMER_VIRTUAL / ITIMER_PROF. */
export function getCpuTimer(k: Kernel, which: number, addr: number): number {
  return k.copyOut(addr, cpuItimerval(k.proc.cpuTimers[which]));
}
