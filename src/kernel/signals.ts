/**
 * Signals: rt_sigaction, rt_sigprocmask, rt_sigreturn, sigaltstack,
 * rt_sigpending, rt_sigsuspend, pause, alarm, setitimer/getitimer, and
 * delivery with real Linux x86-64 signal frames (struct rt_sigframe:
 * pretcode, ucontext with sigcontext and the FXSAVE fpstate pointer,
 * siginfo). Faults, kill/tgkill to ourselves and signals from the host
 * (queued by the CLI) all arrive here. rt_sigtimedwait and sigqueue:
 * sigwait.ts; POSIX timers: timers.ts.
 */
import { YMM_HI, type FaultInfo } from "../cpu/cpu.js";
import { getFlags, setFlags, USER_WRITABLE } from "../cpu/flags.js";
import { fxrstorImage } from "../cpu/fxsave.js";
import { XCR0, xrstorFrom, xsaveInto, XSAVE_SIZE } from "../cpu/xsave.js";
import { fmtSigHow } from "./strace/flags.js";
import { signalLine } from "./strace/lines.js";
import { defaultAction, defineSyscall, ProcessExit, RESULT_BLOCK, RESULT_KEEP, type Kernel } from "./kernel.js";
import { groupStop, isStopSignal, prepareSignal } from "./jobctl.js";
import type { Proc, Task } from "./task.js";
import { getCpuTimer, setCpuTimer } from "./time.js";
import { EFAULT, EINTR, EINVAL, ENOMEM, EPERM } from "./errno.js";


const SIG_DFL = 0;
const SIG_IGN = 1;
const SA_SIGINFO = 4;
const SA_ONSTACK = 0x08000000;
const SA_RESTART = 0x10000000;
const SA_NODEFER = 0x40000000;
const SA_RESETHAND = 0x80000000;
const SS_ONSTACK = 1;
const SS_DISABLE = 2;
const SIGKILL = 9;
const SIGSTOP = 19;
const SIGALRM = 14;
const SIGCHLD = 17;

const SI_USER = 0;
export const SI_TKILL = -6;

/** Default action "ignore" (signal(7)). */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]);

interface Action {
  handler: number;
  flags: number;
  restorer: number;
  mask: bigint;
}

export interface Pending {
  sig: number;
  code: number;
  pid: number;
  uid: number;
  addr: number;
  /** SIGCHLD's si_status: the exit code or the signal. */
  status: number;
  /** An ignored signal kept for --strace, seen once by a parked receiver (see interruptingSignal). */
  parkedSeen?: boolean;
  /** rt_sigqueueinfo's siginfo as the sender gave it (128 bytes; si_signo set to sig). */
  info?: Uint8Array;
  /** Sent to the process, not to one thread (any of its threads may take it in rt_sigtimedwait). */
  shared?: boolean;
  /** A POSIX timer's signal (timers.ts): its siginfo is made as it is taken (si_overrun then). */
  timer?: { siginfo(p: Pending): Uint8Array };
}

export interface SignalState {
  actions: Action[];
  blocked: bigint;
  pending: Pending[];
  altSp: number;
  altSize: number;
  altFlags: number;
  alarmAt: bigint | null;
  /** ITIMER_REAL's interval (ns; 0 or absent: one-shot) */
  alarmInterval?: bigint;
  /** The mask to restore after rt_sigsuspend (recorded in the signal frame instead of the temporary one). */
  savedMask: bigint | null;
  /** While parked in rt_sigtimedwait: the signals it waits for (a process-directed one goes to it, as unblocked). */
  waitSet?: bigint;
  /** Called when the guest changes a disposition (the CLI listens to host signals accordingly). */
  onDisposition: ((sig: number, caught: boolean) => void) | null;
}

export function signalState(k: Kernel): SignalState {
  let s = k.state.signals as SignalState | undefined;
  if (!s) {
    s = {
      actions: Array.from({ length: 65 }, () => ({ handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n })),
      blocked: 0n,
      pending: [],
      altSp: 0,
      altSize: 0,
      altFlags: SS_DISABLE,
      alarmAt: null,
      savedMask: null,
      onDisposition: null,
    };
    k.state.signals = s;
  }
  return s;
}

export const bit = (sig: number) => 1n << BigInt(sig - 1);

/**
 * The signal state of a new thread (shareActions: CLONE_SIGHAND, the
 * dispositions are the same array) or of a forked process (a copy): the
 * mask is inherited, nothing is pending, no alternate stack for threads.
 */
export function newTaskSignals(parent: SignalState, shareActions: boolean, thread: boolean): SignalState {
  return {
    actions: shareActions ? parent.actions : parent.actions.map((a) => ({ ...a })),
    blocked: parent.blocked,
    pending: [],
    altSp: thread ? 0 : parent.altSp,
    altSize: thread ? 0 : parent.altSize,
    altFlags: thread ? SS_DISABLE : parent.altFlags,
    alarmAt: null,
    savedMask: null,
    onDisposition: thread ? parent.onDisposition : null,
  };
}

/** execve: handled signals go back to their default action (ignored ones stay ignored); the mask and pending signals stay. */
export function resetOnExec(s: SignalState): void {
  const actions = s.actions.map((a) => (a.handler === SIG_IGN ? { ...a } : { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n }));
  s.actions = actions;
  s.altFlags = SS_DISABLE;
  s.altSp = 0;
  s.altSize = 0;
}

function isIgnored(s: SignalState, sig: number): boolean {
  const h = s.actions[sig].handler;
  return h === SIG_IGN || (h === SIG_DFL && IGNORED_BY_DEFAULT.has(sig));
}

/**
 * Does a pending signal interrupt the parked task t? "handler-restart": it
 * has a handler with SA_RESTART; "handler": a handler without; "fatal": the
 * default action ends the process; null: nothing deliverable (blocked or ignored).
 */
export function interruptingSignal(t: Task): "handler-restart" | "handler" | "fatal" | null {
  const s = t.sig as SignalState;
  checkAlarmOf(t.kernel, s);
  for (let j = 0; j < s.pending.length; j++) {
    const p = s.pending[j];
    if ((s.blocked & bit(p.sig)) !== 0n && p.sig !== SIGKILL) continue;
    if (isIgnored(s, p.sig) && p.sig !== SIGKILL) {
      if (t.kernel.strace) {
        // queued only because of --strace (a traced task is woken to show it; the call goes on).
        // Seen the first time, it waits one round: when the call can complete now (the child's
        // exit that sent SIGCHLD ends the parent's wait4), strace -f shows it after the call's end.
        if (!p.parkedSeen) {
          p.parkedSeen = true;
          continue;
        }
        s.pending.splice(j--, 1);
        t.kernel.strace(signalLine(t.kernel.sched.tasks.length > 1 ? `[pid ${t.tid}] ` : "", p.sig, p.code, p.pid, p.uid, p.addr, p.status));
      }
      continue;
    }
    const act = s.actions[p.sig];
    if (act.handler === SIG_DFL && isStopSignal(p.sig) && t.proc !== t.kernel.sched.root) {
      // taken while parked: the process stops and the call stays parked (it goes on after SIGCONT, as a restart would)
      s.pending.splice(j, 1);
      const k = t.kernel;
      if (k.strace) k.strace(signalLine(k.sched.tasks.length > 1 ? `[pid ${t.tid}] ` : "", p.sig, p.code, p.pid, p.uid, p.addr, p.status));
      groupStop(k, t.proc, p.sig);
      if (t.proc.stopped) return null;
      j--;
      continue;
    }
    if (act.handler === SIG_DFL || p.sig === SIGKILL) return p.sig === 18 ? null : "fatal";
    return act.flags & SA_RESTART ? "handler-restart" : "handler";
  }
  return null;
}

/** The alarm deadline of a task (monotonic ns) or null. */
export function alarmDeadline(t: Task): number | null {
  const a = (t.sig as SignalState).alarmAt;
  const p = posixTimerHooks.deadline ? posixTimerHooks.deadline(t.proc) : null;
  if (a === null) return p;
  return p === null ? Number(a) : Math.min(p, Number(a));
}

/** POSIX timers (timers.ts) expire where ITIMER_REAL does: checkAlarmOf runs their check, alarmDeadline adds their deadline. */
export const posixTimerHooks: { check: ((p: Proc) => void) | null; deadline: ((p: Proc) => number | null) | null } = { check: null, deadline: null };

/**
 * Queue a signal for one thread (status: SIGCHLD's si_status). Job control
 * acts at once (prepareSignal). An ignored signal that is not blocked is
 * discarded, except under --strace: as for a traced process, it is queued
 * and shown when taken (strace -f prints `--- SIGCHLD ...` for a parent
 * that ignores it).
 */
export function queueSignalTo(t: Task, sig: number, code: number, pid: number, status = 0): void {
  enqueueSignal(t, { sig, code, pid, uid: t.kernel.host.getuid(), addr: 0, status });
}

/** Queue `p` for thread t (see queueSignalTo); false when it was not queued (a standard one already pending, or ignored). */
export function enqueueSignal(t: Task, p: Pending): boolean {
  const s = t.sig as SignalState;
  const sig = p.sig;
  prepareSignal(t.proc, sig);
  if (sig < 32 && s.pending.some((q) => q.sig === sig)) return false; // standard signals do not queue twice
  // an ignored signal is discarded at once, unless blocked (its disposition may change before it is unblocked: Linux's sig_ignored)
  if (isIgnored(s, sig) && sig !== SIGKILL && !t.kernel.strace && (s.blocked & bit(sig)) === 0n) return false;
  s.pending.push(p);
  if (t.kernel.task === t) t.kernel.cpu.stopRequested = true; // let the run loop deliver it
  return true;
}

/** The thread of p a process-directed signal goes to: the first that does not block it (or waits for it in rt_sigtimedwait), else the main thread; null when none is left. */
export function signalTarget(p: Proc, sig: number): Task | null {
  const live = p.tasks.filter((t) => t.state !== "dead");
  if (live.length === 0) return null;
  const open = (x: Task) => {
    const s = x.sig as SignalState;
    return ((s.blocked & ~(s.waitSet ?? 0n)) & bit(sig)) === 0n;
  };
  return live.find(open) ?? live[0];
}

/** Queue a signal for a process: to a thread that does not block it (the first such), else the main thread. */
export function queueSignalToProc(p: Proc, sig: number, code: number, pid: number, status = 0): void {
  const t = signalTarget(p, sig);
  if (t) enqueueSignal(t, { sig, code, pid, uid: t.kernel.host.getuid(), addr: 0, status, shared: true });
}

/** Does t have a signal it would take now (pending and not blocked)? */
export function hasPendingSignals(t: Task): boolean {
  const s = t.sig as SignalState;
  for (const p of s.pending) if ((s.blocked & bit(p.sig)) === 0n || p.sig === SIGKILL) return true;
  return false;
}

function put64(dv: DataView, o: number, v: number | bigint): void {
  dv.setBigUint64(o, BigInt.asUintN(64, BigInt(typeof v === "number" ? Math.round(v) : v)), true);
}

/** Linux's struct _fpx_sw_bytes (in the legacy region's bytes 464-511) and the magic word after the XSAVE area. */
const FP_XSTATE_MAGIC1 = 0x46505853;
const FP_XSTATE_MAGIC2 = 0x46505845;
const FPSTATE_SIZE = XSAVE_SIZE + 4;

/** The signal frame's fpstate: xsave of x87|SSE|AVX (XSTATE_BV always has x87 and SSE, as Linux sets them). */
function fpstateImage(c: Kernel["cpu"]): Uint8Array {
  const fp = new Uint8Array(FPSTATE_SIZE);
  xsaveInto(c, fp, XCR0, false);
  fp[512] |= 3;
  const dv = new DataView(fp.buffer);
  dv.setUint32(464, FP_XSTATE_MAGIC1, true);
  dv.setUint32(468, FPSTATE_SIZE, true); // extended_size
  dv.setUint32(472, XCR0, true); // xfeatures
  dv.setUint32(480, XSAVE_SIZE, true); // xstate_size
  dv.setUint32(XSAVE_SIZE, FP_XSTATE_MAGIC2, true);
  return fp;
}

/**
 * rt_sigreturn's fpstate: the XSAVE image when its software bytes and magic
 * words are Linux's (ymm upper halves included), else the FXSAVE part alone
 * with the AVX state initialized, as Linux's fx-only restore.
 */
function restoreFpstate(c: Kernel["cpu"], addr: number): void {
  const legacy = c.mem.readBytes(addr, 512);
  const dv = new DataView(legacy.buffer);
  if (dv.getUint32(464, true) === FP_XSTATE_MAGIC1 && dv.getUint32(480, true) >= XSAVE_SIZE) {
    const size = dv.getUint32(468, true);
    const img = c.mem.readBytes(addr, XSAVE_SIZE);
    const magic2 = size >= FPSTATE_SIZE ? new DataView(c.mem.readBytes(addr + size - 4, 4).buffer).getUint32(0, true) : 0;
    if (magic2 === FP_XSTATE_MAGIC2 && xrstorFrom(c, img, dv.getUint32(472, true) & XCR0)) return;
  }
  fxrstorImage(c, legacy);
  c.xmm.fill(0, YMM_HI * 4, (YMM_HI + 16) * 4);
}

/** The siginfo_t (128 bytes) of a signal being taken (a timer's overrun count is taken with it). */
export function siginfoOf(p: Pending): Uint8Array {
  if (p.timer) return p.timer.siginfo(p);
  const b = new Uint8Array(128);
  if (p.info) b.set(p.info);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, p.sig, true);
  if (p.info) return b;
  dv.setInt32(8, p.code, true);
  if (p.code <= 0 || (p.sig === SIGCHLD && p.code !== 0x80)) {
    dv.setInt32(16, p.pid, true);
    dv.setInt32(20, p.uid, true);
    if (p.code > 0) dv.setInt32(24, p.status, true); // SIGCHLD's si_status (si_utime, si_stime: 0)
  } else put64(dv, 16, p.addr);
  return b;
}

/** Build the signal frame and redirect execution to the handler. Returns false if the frame cannot be written. */
function deliver(k: Kernel, p: Pending, act: Action): boolean {
  const c = k.cpu;
  const s = signalState(k);
  let sp = c.regNum(4);
  const onAlt = s.altFlags === 0 && sp > s.altSp && sp <= s.altSp + s.altSize;
  if (act.flags & SA_ONSTACK && s.altFlags === 0 && !onAlt) sp = s.altSp + s.altSize;
  else sp -= 128; // red zone
  // fpstate (the XSAVE image with Linux's software bytes and FP_XSTATE_MAGIC2 after it, 64-byte aligned), then the frame
  sp = Math.floor((sp - FPSTATE_SIZE) / 64) * 64;
  const fpAddr = sp;
  const FRAME = 8 + 304 + 128;
  const frame = Math.floor((sp - FRAME) / 16) * 16 - 8;
  const buf = new Uint8Array(FRAME);
  const dv = new DataView(buf.buffer);
  put64(dv, 0, act.restorer);
  // ucontext at 8
  const uc = 8;
  put64(dv, uc, 7); // UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
  put64(dv, uc + 8, 0);
  put64(dv, uc + 16, s.altSp);
  dv.setInt32(uc + 24, s.altFlags | (onAlt ? SS_ONSTACK : 0), true);
  put64(dv, uc + 32, s.altSize);
  const mc = uc + 40;
  const order = [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4]; // r8..r15 rdi rsi rbp rbx rdx rax rcx rsp
  order.forEach((r, j) => put64(dv, mc + 8 * j, c.getReg64(r)));
  put64(dv, mc + 128, c.rip);
  put64(dv, mc + 136, getFlags(c));
  dv.setUint16(mc + 144, 0x33, true); // cs
  dv.setUint16(mc + 150, 0x2b, true); // ss
  const fault = p.code > 0 && (p.sig === 11 || p.sig === 7);
  put64(dv, mc + 152, fault ? ((k.state.lastFaultErr as number) ?? 4) : 0); // err
  // trapno: #PF, #GP (SIGSEGV with SI_KERNEL: a non-canonical address), #DE, #UD, #BP
  put64(dv, mc + 160, fault ? (p.code === 0x80 ? 13 : 14) : p.sig === 8 ? 0 : p.sig === 4 ? 6 : p.sig === 5 ? 3 : 0);
  put64(dv, mc + 168, s.blocked & 0xffffffffn); // oldmask
  put64(dv, mc + 176, fault ? p.addr : 0); // cr2
  put64(dv, mc + 184, fpAddr);
  put64(dv, uc + 296, s.savedMask ?? s.blocked); // uc_sigmask (rt_sigsuspend: the mask to return to)
  s.savedMask = null;
  // siginfo at 8 + 304
  const si = 8 + 304;
  buf.set(siginfoOf(p), si);
  const fp = fpstateImage(c);
  try {
    c.mem.writeBytes(fpAddr, fp);
    c.mem.writeBytes(frame, buf);
  } catch {
    return false;
  }
  s.blocked |= act.mask | (act.flags & SA_NODEFER ? 0n : bit(p.sig));
  s.blocked &= ~(bit(SIGKILL) | bit(SIGSTOP));
  if (act.flags & SA_RESETHAND) s.actions[p.sig] = { ...act, handler: SIG_DFL }; // Linux resets only the handler
  c.setRegNum(4, frame);
  c.setReg64(7, p.sig, 0);
  c.setRegNum(6, frame + si);
  c.setRegNum(2, frame + uc);
  c.setReg64(0, 0, 0);
  c.rip = act.handler;
  setFlags(c, getFlags(c) & ~0x500); // clear DF and TF
  return true;
}

/** Handle one signal now: the guest's handler, or the default action. */
function dispatch(k: Kernel, p: Pending, fault: FaultInfo | null): void {
  if (k.strace && p.sig !== SIGKILL) k.strace(signalLine(k.stracePrefix(), p.sig, p.code, p.pid, p.uid, p.addr, p.status));
  const s = signalState(k);
  const act = s.actions[p.sig];
  const blocked = (s.blocked & bit(p.sig)) !== 0n;
  if (fault && (blocked || act.handler === SIG_IGN)) {
    // a synchronous fault that cannot be handled kills the process (force_sig)
    k.terminate({ kind: "signal", signal: p.sig, core: true, fault });
    return;
  }
  if (act.handler === SIG_IGN) return;
  if (act.handler === SIG_DFL) {
    if (fault) {
      k.terminate({ kind: "signal", signal: p.sig, core: true, fault });
      return;
    }
    if (IGNORED_BY_DEFAULT.has(p.sig)) return;
    if (isStopSignal(p.sig) && k.proc && k.proc !== k.sched.root) {
      groupStop(k, k.proc, p.sig);
      return;
    }
    try {
      defaultAction(k, p.sig);
    } catch (e) {
      if (!(e instanceof ProcessExit)) throw e;
    }
    return;
  }
  if (!deliver(k, p, act)) k.terminate({ kind: "signal", signal: 11, core: true, fault });
}

/** Signals Linux dequeues before the others (SYNCHRONOUS_MASK: SIGSEGV SIGBUS SIGILL SIGTRAP SIGFPE SIGSYS). */
export const SYNCHRONOUS = new Set([11, 7, 4, 5, 8, 31]);

/**
 * The index of the pending signal of `want` to take next, as Linux's
 * next_signal: SIGKILL, then the synchronous ones, then the lowest number
 * (real-time ones of one number in the order sent); -1 when none is in
 * `want`. sharedOnly: only process-directed ones (rt_sigtimedwait looking
 * at another thread's queue).
 */
export function firstPending(s: SignalState, want: bigint, sharedOnly = false): number {
  let best = -1;
  let bestKey = Infinity;
  for (let j = 0; j < s.pending.length; j++) {
    const p = s.pending[j];
    if ((want & bit(p.sig)) === 0n || (sharedOnly && !p.shared)) continue;
    const key = p.sig === SIGKILL ? -200 : SYNCHRONOUS.has(p.sig) ? p.sig - 100 : p.sig;
    if (key < bestKey) [best, bestKey] = [j, key];
  }
  return best;
}

/** The pending signal to deliver next: the first one not blocked (SIGKILL and SIGSTOP never are). */
function nextSignal(s: SignalState): number {
  return firstPending(s, ~s.blocked | bit(SIGKILL) | bit(SIGSTOP));
}

/**
 * Deliver pending, unblocked signals (at syscall return or between run
 * slices): as Linux on the way back to user mode, every one that is not
 * blocked gets its frame, in next_signal's order, each on top of the last
 * (the last one's handler runs first, and returns into the one before).
 */
export function deliverPending(k: Kernel): void {
  const s = signalState(k);
  checkAlarm(k);
  while (!k.status && !k.proc?.stopped) {
    const j = nextSignal(s);
    if (j < 0) break;
    const p = s.pending[j];
    s.pending.splice(j, 1);
    dispatch(k, p, null);
  }
  if (s.savedMask !== null && !k.status) {
    // rt_sigsuspend ended without a handler frame recording the mask: restore it now
    s.blocked = s.savedMask;
    s.savedMask = null;
  }
}

/** Queue a signal for this process (kill/tgkill to itself, host signals, timers). */
export function queueSignal(k: Kernel, sig: number, code: number, pid: number): void {
  if (k.proc) return queueSignalToProc(k.proc, sig, code, pid);
  const s = signalState(k);
  if (s.pending.some((p) => p.sig === sig)) return; // standard signals do not queue twice
  s.pending.push({ sig, code, pid, uid: k.host.getuid(), addr: 0, status: 0 });
  k.cpu.stopRequested = true; // let the run loop deliver it
}

function checkAlarm(k: Kernel): void {
  checkAlarmOf(k, signalState(k));
}

function checkAlarmOf(k: Kernel, s: SignalState): void {
  if (posixTimerHooks.check && k.proc) posixTimerHooks.check(k.proc);
  const now = k.host.monotonicNs();
  if (s.alarmAt !== null && now >= s.alarmAt) {
    const iv = s.alarmInterval ?? 0n;
    // a periodic timer re-arms at its next multiple (expirations missed meanwhile merge into one SIGALRM)
    s.alarmAt = iv > 0n ? s.alarmAt + iv * (1n + (now - s.alarmAt) / iv) : null;
    if (!s.pending.some((p) => p.sig === SIGALRM)) s.pending.push({ sig: SIGALRM, code: 0x80, pid: 0, uid: 0, addr: 0, status: 0 });
  }
}

/** Install signal handling into a kernel (called by Kernel users: the Process). */
export function installSignals(k: Kernel): void {
  k.signalHandlers = {
    fault: (kk, info) => {
      kk.state.lastFaultErr = info.err;
      dispatch(kk, { sig: info.sig, code: info.code, pid: 0, uid: 0, addr: info.addr, status: 0 }, info);
    },
    raise: (kk, sig, _code, pid) => {
      queueSignal(kk, sig, SI_USER, pid);
    },
  };
  k.afterSyscall = deliverPending;
}

// ---- syscalls -------------------------------------------------------------------------

defineSyscall({
  nr: 13,
  name: "rt_sigaction",
  args: ["sig", "ptr", "ptr", "u"],
  fn: (k, a) => {
    const sig = a.i32(0);
    if (sig < 1 || sig > 64 || a.u(3) !== 8) return -EINVAL;
    const s = signalState(k);
    const m = k.cpu.mem;
    const old = s.actions[sig];
    if (a.u(2)) {
      const b = new Uint8Array(32);
      const dv = new DataView(b.buffer);
      put64(dv, 0, old.handler);
      put64(dv, 8, old.flags);
      put64(dv, 16, old.restorer);
      put64(dv, 24, old.mask);
      try {
        m.writeBytes(a.u(2), b);
      } catch {
        return -EFAULT;
      }
    }
    if (a.u(1)) {
      if (sig === SIGKILL || sig === SIGSTOP) return -EINVAL;
      let b: Uint8Array;
      try {
        b = m.readBytes(a.u(1), 32);
      } catch {
        return -EFAULT;
      }
      const dv = new DataView(b.buffer);
      const act: Action = { handler: Number(dv.getBigUint64(0, true)), flags: Number(dv.getBigUint64(8, true) & 0xffffffffn), restorer: Number(dv.getBigUint64(16, true)), mask: dv.getBigUint64(24, true) };
      s.actions[sig] = act;
      s.onDisposition?.(sig, act.handler !== SIG_DFL);
      if (act.handler === SIG_IGN) s.pending = s.pending.filter((p) => p.sig !== sig);
    }
    return 0;
  },
});

defineSyscall({
  nr: 14,
  name: "rt_sigprocmask",
  args: [fmtSigHow, "ptr", "ptr", "u"],
  fn: (k, a) => {
    const s = signalState(k);
    if (a.u(3) !== 8) return -EINVAL;
    const m = k.cpu.mem;
    const old = s.blocked;
    if (a.u(1)) {
      let set: bigint;
      try {
        const b = m.readBytes(a.u(1), 8);
        set = new DataView(b.buffer).getBigUint64(0, true);
      } catch {
        return -EFAULT;
      }
      const how = a.i32(0);
      if (how === 0) s.blocked |= set;
      else if (how === 1) s.blocked &= ~set;
      else if (how === 2) s.blocked = set;
      else return -EINVAL;
      s.blocked &= ~(bit(SIGKILL) | bit(SIGSTOP));
    }
    if (a.u(2)) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, old, true);
      try {
        m.writeBytes(a.u(2), b);
      } catch {
        return -EFAULT;
      }
    }
    return 0;
  },
});

defineSyscall({
  nr: 15,
  name: "rt_sigreturn",
  args: [],
  fn: (k) => {
    const c = k.cpu;
    const s = signalState(k);
    const uc = c.regNum(4); // the restorer's syscall runs with rsp at the ucontext (pretcode popped)
    let b: Uint8Array;
    try {
      b = c.mem.readBytes(uc, 304);
    } catch {
      k.terminate({ kind: "signal", signal: 11, core: true, fault: null });
      return RESULT_KEEP;
    }
    const dv = new DataView(b.buffer);
    const mc = 40;
    const order = [8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4];
    order.forEach((r, j) => c.setReg64Big(r, dv.getBigUint64(mc + 8 * j, true)));
    c.rip = Number(dv.getBigUint64(mc + 128, true));
    const fl = Number(dv.getBigUint64(mc + 136, true) & 0xffffffffn);
    setFlags(c, (getFlags(c) & ~USER_WRITABLE) | (fl & USER_WRITABLE));
    const fp = Number(dv.getBigUint64(mc + 184, true));
    if (fp) {
      try {
        restoreFpstate(c, fp);
      } catch {
        /* a bad fpstate pointer leaves the FPU state alone */
      }
    }
    s.blocked = dv.getBigUint64(296, true) & ~(bit(SIGKILL) | bit(SIGSTOP));
    return RESULT_KEEP;
  },
});

defineSyscall({
  nr: 131,
  name: "sigaltstack",
  args: ["ptr", "ptr"],
  fn: (k, a) => {
    const s = signalState(k);
    const m = k.cpu.mem;
    const sp = k.cpu.regNum(4);
    const onAlt = s.altFlags === 0 && sp > s.altSp && sp <= s.altSp + s.altSize;
    if (a.u(1)) {
      const b = new Uint8Array(24);
      const dv = new DataView(b.buffer);
      put64(dv, 0, s.altSp);
      dv.setInt32(8, s.altFlags === SS_DISABLE ? SS_DISABLE : onAlt ? SS_ONSTACK : 0, true);
      put64(dv, 16, s.altSize);
      try {
        m.writeBytes(a.u(1), b);
      } catch {
        return -EFAULT;
      }
    }
    if (a.u(0)) {
      if (onAlt) return -EPERM;
      let b: Uint8Array;
      try {
        b = m.readBytes(a.u(0), 24);
      } catch {
        return -EFAULT;
      }
      const dv = new DataView(b.buffer);
      const flags = dv.getInt32(8, true);
      if (flags & ~(SS_DISABLE | 0x80000000)) return -EINVAL;
      if (flags & SS_DISABLE) {
        s.altFlags = SS_DISABLE;
        s.altSp = 0;
        s.altSize = 0;
      } else {
        const size = Number(dv.getBigUint64(16, true));
        if (size < 2048) return -ENOMEM;
        s.altSp = Number(dv.getBigUint64(0, true));
        s.altSize = size;
        s.altFlags = 0;
      }
    }
    return 0;
  },
});

defineSyscall({
  nr: 127,
  name: "rt_sigpending",
  args: ["ptr", "u"],
  fn: (k, a) => {
    const s = signalState(k);
    let set = 0n;
    for (const p of s.pending) if (s.blocked & bit(p.sig)) set |= bit(p.sig);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, set, true);
    try {
      k.cpu.mem.writeBytes(a.u(0), b);
    } catch {
      return -EFAULT;
    }
    return 0;
  },
});

/**
 * pause / rt_sigsuspend: park until a signal is delivered (the scheduler
 * ends the wait with -EINTR when one arrives that is not blocked or ignored).
 * rt_sigsuspend waits with a temporary mask; the handler's frame records the
 * saved one, which rt_sigreturn restores.
 */
function waitForSignal(k: Kernel, mask: bigint | null): number {
  const s = signalState(k);
  if (mask !== null) {
    s.savedMask = s.blocked;
    s.blocked = mask & ~(bit(SIGKILL) | bit(SIGSTOP));
  }
  return k.sched.park(k, { retry: () => RESULT_BLOCK, deadline: null, onSignal: "eintr" });
}

defineSyscall({ nr: 34, name: "pause", args: [], fn: (k) => waitForSignal(k, null) });
defineSyscall({
  nr: 130,
  name: "rt_sigsuspend",
  args: ["ptr", "u"],
  fn: (k, a) => {
    let mask: bigint;
    try {
      mask = new DataView(k.cpu.mem.readBytes(a.u(0), 8).buffer).getBigUint64(0, true);
    } catch {
      return -EFAULT;
    }
    return waitForSignal(k, mask);
  },
});

defineSyscall({
  nr: 37,
  name: "alarm",
  args: ["u"],
  fn: (k, a) => {
    const s = signalState(k);
    const now = k.host.monotonicNs();
    const left = s.alarmAt === null ? 0 : Math.max(1, Math.ceil(Number(s.alarmAt - now) / 1e9));
    const secs = a.u32(0);
    s.alarmAt = secs === 0 ? null : now + BigInt(secs) * 1000000000n;
    s.alarmInterval = 0n;
    return left;
  },
});

/** struct itimerval of ITIMER_REAL now: interval, then the time left (timevals). */
function itimerval(k: Kernel, s: SignalState): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const iv = s.alarmInterval ?? 0n;
  dv.setBigInt64(0, iv / 1000000000n, true);
  dv.setBigInt64(8, (iv % 1000000000n) / 1000n, true);
  if (s.alarmAt !== null) {
    const left = s.alarmAt - k.host.monotonicNs();
    const us = left > 1000n ? left / 1000n : 1n; // an armed timer never reads as 0
    dv.setBigInt64(16, us / 1000000n, true);
    dv.setBigInt64(24, us % 1000000n, true);
  }
  return b;
}

defineSyscall({
  nr: 38,
  name: "setitimer",
  args: ["d", "ptr", "ptr"],
  fn: (k, a) => {
    if (a.i32(0) < 0 || a.i32(0) > 2) return -EINVAL;
    if (a.i32(0) !== 0) return setCpuTimer(k, a.i32(0), a.u(1), a.u(2)); // ITIMER_VIRTUAL, ITIMER_PROF
    const s = signalState(k);
    const m = k.cpu.mem;
    let next: [bigint, bigint] | null = null;
    if (a.u(1)) {
      try {
        const dv = new DataView(m.readBytes(a.u(1), 32).buffer);
        const [is, ius, vs, vus] = [0, 8, 16, 24].map((o) => dv.getBigInt64(o, true));
        if (is < 0n || vs < 0n || ius < 0n || vus < 0n || ius >= 1000000n || vus >= 1000000n) return -EINVAL;
        next = [is * 1000000000n + ius * 1000n, vs * 1000000000n + vus * 1000n];
      } catch {
        return -EFAULT;
      }
    }
    if (a.u(2) && k.copyOut(a.u(2), itimerval(k, s))) return -EFAULT;
    if (next) {
      s.alarmInterval = next[1] === 0n ? 0n : next[0];
      s.alarmAt = next[1] === 0n ? null : k.host.monotonicNs() + next[1];
    }
    return 0;
  },
});
defineSyscall({
  nr: 36,
  name: "getitimer",
  args: ["d", "ptr"],
  fn: (k, a) => {
    if (a.i32(0) < 0 || a.i32(0) > 2) return -EINVAL;
    const s = signalState(k);
    return a.i32(0) === 0 ? k.copyOut(a.u(1), itimerval(k, s)) : getCpuTimer(k, a.i32(0), a.u(1));
  },
});

defineSyscall({ nr: 200, name: "tkill", args: ["d", "sig"], fn: (k, a) => threadKill(k, -1, a.i32(0), a.i32(1)) });
defineSyscall({ nr: 234, name: "tgkill", args: ["d", "d", "sig"], fn: (k, a) => threadKill(k, a.i32(0), a.i32(1), a.i32(2)) });

/** tkill/tgkill: a signal to one thread (tgid -1: any thread group). */
function threadKill(k: Kernel, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > 64 || tid <= 0 || (tgid !== -1 && tgid <= 0)) return -EINVAL;
  const t = k.sched.task(tid);
  if (!t || (tgid !== -1 && t.proc.pid !== tgid)) return -3; // ESRCH
  if (sig === 0) return 0;
  queueSignalTo(t, sig, SI_TKILL, k.proc.pid);
  return 0;
}
