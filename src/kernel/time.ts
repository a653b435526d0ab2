/**
 * Time syscalls: clock_gettime, clock_getres, gettimeofday, time, nanosleep,
 * clock_nanosleep, times, the CPU-time itimers and the one CPU clock they all
 * read (getrusage: procinfo.ts; wait's rusage: wait.ts; ITIMER_REAL: signals.ts).
 *
 * Guest CPU time is retired instructions at NS_PER_INSN each (a 1 GHz CPU
 * doing one instruction per cycle), charged per thread: a process's time is
 * the sum of its threads' (ended ones included), and a waited-for child's
 * time (its own and its children's) is added to its parent's children time
 * as wait reaps it. The emulated kernel's work is not charged, so system
 * time is always 0. CLOCK_PROCESS/THREAD_CPUTIME_ID, the clock ids of
 * clock_getcpuclockid/pthread_getcpuclockid, times(), getrusage, wait4's
 * rusage, /proc/PID/stat and ITIMER_VIRTUAL/PROF all read this clock.
 */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { queueSignalToProc } from "./signals.js";
import type { Proc, Task } from "./task.js";
import { EFAULT, EINVAL } from "./errno.js";

/** Guest CPU ns of a thread, with the instructions of its running slice. */
export function taskCpuNs(t: Task): number {
  const s = t.kernel.sched;
  const live = s.sliceCpu !== null && s.current === t ? (s.sliceCpu.icount - s.sliceStart) * NS_PER_INSN : 0;
  return t.cpuNs + live;
}

/** Guest CPU ns of a process: all its threads', ended ones included, with the running slice. */
export function procCpuNs(p: Proc): number {
  const s = p.kernel.sched;
  const cur = s.current;
  const live = s.sliceCpu !== null && cur !== null && cur.proc === p ? (s.sliceCpu.icount - s.sliceStart) * NS_PER_INSN : 0;
  return p.cpuNs + live;
}

/** A reaped child's time (its own and its waited-for children's) joins its parent's children time (wait.ts). */
export function addChildCpuTime(parent: Proc, child: Proc): void {
  parent.childCpuNs += child.cpuNs + child.childCpuNs;
}

const CPUCLOCK_PERTHREAD = 4;
const CPUCLOCK_SCHED = 2;

/**
 * The thread or process a CPU clock id names (2 and 3: the caller's process
 * and thread; negative: clock_getcpuclockid's ~pid << 3 | type, bit 2 for a
 * thread), as Linux's lookup_task: a thread clock only of the caller's own
 * threads, a process clock of a thread group leader. Null: no such clock.
 */
export function cpuClockOwner(k: Kernel, clock: number): { task: Task } | { proc: Proc } | null {
  if (clock === 2) return { proc: k.proc };
  if (clock === 3) return { task: k.task };
  if (clock >= 0 || (clock & 3) === 3) return null;
  const id = ~(clock >> 3);
  if (clock & CPUCLOCK_PERTHREAD) {
    if (id === 0) return { task: k.task };
    const t = k.sched.task(id);
    return t !== null && t.proc === k.proc ? { task: t } : null;
  }
  if (id === 0) return { proc: k.proc };
  const t = k.sched.task(id);
  if (t === null || t.state === "dead") return null;
  if (t.proc === k.proc && t === k.task) return { proc: k.proc };
  return t.tid === t.proc.pid ? { proc: t.proc } : null;
}

/** A CPU clock's reading now (ns). */
export function cpuClockNs(o: { task: Task } | { proc: Proc }): number {
  return "task" in o ? taskCpuNs(o.task) : procCpuNs(o.proc);
}

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
    default: {
      const o = cpuClockOwner(k, clock);
      return o === null ? null : BigInt(cpuClockNs(o));
    }
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

/** A struct timespec in ns: null when it cannot be read, -1n when it is not valid (negative, tv_nsec >= 1e9). */
export function readTimespec(k: Kernel, addr: number): bigint | null {
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
      if (rem) k.copyOut(rem, timespecBytes(Math.max(0, deadline - Number(k.host.monotonicNs()))));
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
    const cpu = cpuClockOwner(k, clock);
    if (cpu !== null) {
      // the caller's own thread clock cannot advance while it sleeps (Linux: EINVAL)
      if ("task" in cpu && cpu.task === k.task) return -EINVAL;
      return sleepOnCpuClock(k, cpu, Number(now + rel), abs ? 0 : a.u(3));
    }
    return sleepUntil(k, Number(k.host.monotonicNs() + rel), abs ? 0 : a.u(3));
  },
});

/** clock_nanosleep on a CPU clock: parked until the clock reaches `target` (other threads' or processes' running advances it). */
function sleepOnCpuClock(k: Kernel, o: { task: Task } | { proc: Proc }, target: number, rem: number): number {
  const gone = () => ("task" in o ? o.task.state === "dead" : o.proc.status !== null);
  if (cpuClockNs(o) >= target) return 0;
  return k.sched.park(k, {
    retry: () => (cpuClockNs(o) >= target || gone() ? 0 : RESULT_BLOCK),
    deadline: null,
    onSignal: "eintr",
    cancel: () => {
      if (rem) k.copyOut(rem, timespecBytes(Math.max(0, target - cpuClockNs(o))));
    },
  });
}

function timespecBytes(ns: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
  dv.setBigInt64(8, BigInt(Math.floor(ns % 1e9)), true);
  return b;
}

defineSyscall({
  nr: 100,
  name: "times",
  args: ["ptr"],
  fn: (k, a) => {
    const ticks = Number(k.host.monotonicNs() / 10000000n);
    if (a.u(0)) {
      // struct tms: utime, stime, cutime, cstime in clock ticks (USER_HZ 100); no system time is charged
      const b = new Uint8Array(32);
      const dv = new DataView(b.buffer);
      dv.setBigInt64(0, BigInt(Math.floor(procCpuNs(k.proc) / TICK_NS)), true);
      dv.setBigInt64(16, BigInt(Math.floor(k.proc.childCpuNs / TICK_NS)), true);
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
/** One clock tick of times() and /proc/PID/stat (USER_HZ 100). */
export const TICK_NS = 10_000_000;
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

/** Charge a slice's `insns` retired instructions to its thread and process, and to the process's CPU timers: the expired ones signal it and re-arm or disarm. */
export function chargeCpuTime(t: Task, insns: number): void {
  const ns = insns * NS_PER_INSN;
  const p = t.proc;
  t.cpuNs += ns;
  p.cpuNs += ns;
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

/** Host figures getrusage passes on for the fields the guest clock does not give (memory, faults, I/O, switches). */
export interface HostUsage {
  maxRssKb: number;
  minorFaults: number;
  majorFaults: number;
  fsRead: number;
  fsWrite: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
}

/** struct rusage with ru_utime = `userNs` of guest CPU time, ru_stime 0 (no system time is charged), the rest from `u` or 0. */
export function rusageBytes(userNs: number, u?: HostUsage): Uint8Array {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  const us = Math.floor(userNs / USEC);
  dv.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  dv.setBigInt64(8, BigInt(us % 1e6), true);
  if (u) {
    const longs = [u.maxRssKb, 0, 0, 0, u.minorFaults, u.majorFaults, 0, u.fsRead, u.fsWrite, 0, 0, 0, u.voluntarySwitches, u.involuntarySwitches];
    longs.forEach((v, j) => dv.setBigInt64(32 + 8 * j, BigInt(Math.floor(v)), true));
  }
  return b;
}
