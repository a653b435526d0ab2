/**
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete, as Linux's kernel/time/posix-timers.c.
 *
 * A timer runs on CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
 * CLOCK_TAI or a CPU clock (the process's or a thread's, time.ts). It
 * expires where ITIMER_REAL does (signals.ts checkAlarmOf, through
 * posixTimerHooks: at syscall returns, between run slices and for parked
 * tasks; the scheduler idles until the nearest deadline), so CPU-clock
 * timers fire at the first slice end or syscall after their time.
 * SIGEV_SIGNAL signals the process, SIGEV_THREAD_ID one of its threads
 * (libc's SIGEV_THREAD is built on it), SIGEV_NONE only counts. Each timer
 * has one signal (Linux's preallocated sigqueue): expirations while it is
 * pending are counted as overruns, handed over in si_overrun as it is
 * taken (and by timer_getoverrun after). Timers are not inherited by fork
 * and end at execve and exit.
 */
import { defineSyscall, exitHooks, type Kernel } from "./kernel.js";
import { enqueueSignal, posixTimerHooks, signalTarget, type Pending, type SignalState } from "./signals.js";
import type { Proc, Task } from "./task.js";
import { cpuClockNs, cpuClockOwner, readTimespec } from "./time.js";
import { EFAULT, EINVAL, EPERM } from "./errno.js";

const EOPNOTSUPP = 95;
const SIGEV_SIGNAL = 0;
const SIGEV_NONE = 1;
const SIGEV_THREAD_ID = 4;
const SI_TIMER = -2;
const SIGALRM = 14;
const TIMER_ABSTIME = 1;
const NS = 1000000000n;
const INT_MAX = 0x7fffffff;
/** The clocks a timer may run on besides the CPU clocks: REALTIME, MONOTONIC, BOOTTIME, TAI. */
const WALL_CLOCKS = new Set([0, 1, 7, 11]);
/** Of those, the ones that follow the wall clock (REALTIME, TAI); the others run on the monotonic one. */
const onRealtime = (clock: number) => clock === 0 || clock === 11;

interface PosixTimer {
  id: number;
  clock: number;
  /** The CPU clock's thread or process (null: a wall or monotonic clock). */
  cpu: { task: Task } | { proc: Proc } | null;
  notify: number;
  sig: number;
  value: bigint;
  /** SIGEV_THREAD_ID's thread. */
  thread: Task | null;
  /** Next expiry on the timer's clock (ns), null: disarmed. */
  at: bigint | null;
  interval: bigint;
  /** Expirations not signalled (the signal was pending), handed over as it is taken. */
  overrun: number;
  /** The overrun count of the last signal taken (timer_getoverrun). */
  lastOverrun: number;
  /** Its one signal and the thread whose queue holds it. */
  pending: Pending;
  queuedIn: SignalState | null;
}

interface Timers {
  next: number;
  list: Map<number, PosixTimer>;
}

/** Per process (not in Kernel.state: fork copies that, and timers are not inherited). */
const procTimers = new WeakMap<Proc, Timers>();

function timersOf(p: Proc): Timers {
  let t = procTimers.get(p);
  if (!t) {
    t = { next: 0, list: new Map() };
    procTimers.set(p, t);
  }
  return t;
}

function clockNow(k: Kernel, tm: PosixTimer): bigint {
  if (tm.cpu) return BigInt(Math.round(cpuClockNs(tm.cpu)));
  return onRealtime(tm.clock) ? k.host.realtimeNs() : k.host.monotonicNs();
}

function isQueued(tm: PosixTimer): boolean {
  return tm.queuedIn !== null && tm.queuedIn.pending.includes(tm.pending);
}

function dropSignal(tm: PosixTimer): void {
  if (tm.queuedIn) {
    const j = tm.queuedIn.pending.indexOf(tm.pending);
    if (j >= 0) tm.queuedIn.pending.splice(j, 1);
  }
  tm.queuedIn = null;
}

/** Expire p's due timers: re-arm periodic ones at their next multiple, queue the signal or count an overrun. */
function checkTimers(p: Proc): void {
  const ts = procTimers.get(p);
  if (!ts || ts.list.size === 0) return;
  for (const tm of ts.list.values()) {
    if (tm.at === null) continue;
    const now = clockNow(p.kernel, tm);
    if (now < tm.at) continue;
    const n = tm.interval > 0n ? 1n + (now - tm.at) / tm.interval : 1n;
    tm.at = tm.interval > 0n ? tm.at + n * tm.interval : null;
    if (tm.notify === SIGEV_NONE) continue;
    const missed = Number(n) - 1;
    if (isQueued(tm)) {
      tm.overrun = Math.min(INT_MAX, tm.overrun + missed + 1);
      continue;
    }
    const target = tm.thread ?? signalTarget(p, tm.sig);
    if (!target || target.state === "dead") continue;
    tm.overrun = Math.min(INT_MAX, tm.overrun + missed);
    if (enqueueSignal(target, tm.pending)) tm.queuedIn = target.sig as SignalState;
    else tm.overrun = 0;
  }
}

/** The nearest expiry of p's signalling wall/monotonic timers, monotonic ns (the scheduler idles until then). */
function timersDeadline(p: Proc): number | null {
  const ts = procTimers.get(p);
  if (!ts || ts.list.size === 0) return null;
  let d: number | null = null;
  const k = p.kernel;
  for (const tm of ts.list.values()) {
    if (tm.at === null || tm.cpu || tm.notify === SIGEV_NONE) continue;
    const at = onRealtime(tm.clock) ? tm.at - k.host.realtimeNs() + k.host.monotonicNs() : tm.at;
    const v = Number(at);
    if (d === null || v < d) d = v;
  }
  return d;
}

posixTimerHooks.check = checkTimers;
posixTimerHooks.deadline = timersDeadline;
exitHooks.push((k) => {
  // execve and exit end the process's timers (and their pending signals)
  if (!k.proc) return;
  const ts = procTimers.get(k.proc);
  if (!ts) return;
  for (const tm of ts.list.values()) dropSignal(tm);
  procTimers.delete(k.proc);
});

/** The siginfo of a timer's signal as it is taken: SI_TIMER, si_timerid, si_overrun (then reset), si_value. */
function timerSiginfo(tm: PosixTimer): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, tm.sig, true);
  dv.setInt32(8, SI_TIMER, true);
  dv.setInt32(16, tm.id, true);
  dv.setInt32(20, tm.overrun, true);
  dv.setBigUint64(24, tm.value, true);
  tm.lastOverrun = tm.overrun;
  tm.overrun = 0;
  tm.queuedIn = null;
  return b;
}

/** Clocks timer_create takes: null, or the errno (the alarm clocks need CAP_WAKE_ALARM; raw and coarse ones have no timers). */
function clockError(k: Kernel, clock: number): number | null {
  if (WALL_CLOCKS.has(clock)) return null;
  if (clock === 8 || clock === 9) return -EPERM;
  if (clock === 4 || clock === 5 || clock === 6) return -EOPNOTSUPP;
  return cpuClockOwner(k, clock) === null ? -EINVAL : null;
}

defineSyscall({
  nr: 222,
  name: "timer_create",
  args: ["d", "ptr", "ptr"],
  fn: (k, a) => {
    const clock = a.i32(0);
    const err = clockError(k, clock);
    if (err !== null) return err;
    const ts = timersOf(k.proc);
    const id = ts.next;
    let notify = SIGEV_SIGNAL;
    let sig = SIGALRM;
    let value = BigInt(id);
    let thread: Task | null = null;
    if (a.u(1)) {
      let dv: DataView;
      try {
        dv = new DataView(k.cpu.mem.readBytes(a.u(1), 64).buffer);
      } catch {
        return -EFAULT;
      }
      value = dv.getBigUint64(0, true);
      sig = dv.getInt32(8, true);
      notify = dv.getInt32(12, true);
      // Linux's good_sigevent
      if (notify & SIGEV_THREAD_ID) {
        const t = k.sched.task(dv.getInt32(16, true));
        if (!t || t.proc !== k.proc || t.state === "dead") return -EINVAL;
        thread = t;
      }
      const kind = notify & ~SIGEV_THREAD_ID;
      if (kind === SIGEV_SIGNAL) {
        if (sig <= 0 || sig > 64) return -EINVAL;
      } else if (kind !== SIGEV_NONE) return -EINVAL;
      if (kind === SIGEV_NONE) notify = SIGEV_NONE;
    }
    const tm: PosixTimer = {
      id,
      clock,
      cpu: WALL_CLOCKS.has(clock) ? null : cpuClockOwner(k, clock),
      notify,
      sig,
      value,
      thread,
      at: null,
      interval: 0n,
      overrun: 0,
      lastOverrun: 0,
      pending: { sig, code: SI_TIMER, pid: 0, uid: 0, addr: 0, status: 0, shared: thread === null },
      queuedIn: null,
    };
    tm.pending.timer = { siginfo: () => timerSiginfo(tm) };
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, id, true);
    if (k.copyOut(a.u(2), b)) return -EFAULT;
    ts.next++;
    ts.list.set(id, tm);
    return 0;
  },
});

function timerOf(k: Kernel, id: number): PosixTimer | null {
  return procTimers.get(k.proc)?.list.get(id) ?? null;
}

/** struct itimerspec now: the interval, then the time to the next expiry (an armed signalling timer never reads as 0). */
function itimerspec(k: Kernel, tm: PosixTimer): Uint8Array {
  checkTimers(k.proc);
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, tm.interval / NS, true);
  dv.setBigInt64(8, tm.interval % NS, true);
  if (tm.at !== null) {
    let left = tm.at - clockNow(k, tm);
    if (left <= 0n) left = tm.notify === SIGEV_NONE && tm.interval === 0n ? 0n : 1n;
    dv.setBigInt64(16, left / NS, true);
    dv.setBigInt64(24, left % NS, true);
  }
  return b;
}

defineSyscall({
  nr: 223,
  name: "timer_settime",
  args: ["d", "x", "ptr", "ptr"],
  fn: (k, a) => {
    const tm = timerOf(k, a.i32(0));
    if (!a.u(2)) return -EINVAL;
    // struct itimerspec: the interval, then the value (both read before either is checked)
    const iv = readTimespec(k, a.u(2));
    const val = readTimespec(k, a.u(2) + 16);
    if (iv === null || val === null) return -EFAULT;
    if (iv < 0n || val < 0n) return -EINVAL;
    if (!tm) return -EINVAL;
    if (a.u(3) && k.copyOut(a.u(3), itimerspec(k, tm))) return -EFAULT;
    // re-arming drops a signal still pending from before (Linux ignores such a stale signal as it is dequeued)
    dropSignal(tm);
    tm.overrun = 0;
    tm.lastOverrun = 0;
    tm.interval = val === 0n ? 0n : iv;
    tm.at = val === 0n ? null : a.i32(1) & TIMER_ABSTIME ? val : clockNow(k, tm) + val;
    checkTimers(k.proc); // an absolute time already past expires at once
    return 0;
  },
});

defineSyscall({
  nr: 224,
  name: "timer_gettime",
  args: ["d", "ptr"],
  fn: (k, a) => {
    const tm = timerOf(k, a.i32(0));
    if (!tm) return -EINVAL;
    return k.copyOut(a.u(1), itimerspec(k, tm));
  },
});

defineSyscall({
  nr: 225,
  name: "timer_getoverrun",
  args: ["d"],
  fn: (k, a) => {
    const tm = timerOf(k, a.i32(0));
    return tm ? tm.lastOverrun : -EINVAL;
  },
});

defineSyscall({
  nr: 226,
  name: "timer_delete",
  args: ["d"],
  fn: (k, a) => {
    const tm = timerOf(k, a.i32(0));
    if (!tm) return -EINVAL;
    dropSignal(tm);
    procTimers.get(k.proc)?.list.delete(tm.id);
    return 0;
  },
});
