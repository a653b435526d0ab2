/**
 * The task table and the scheduler.
 *
 * A task is a thread: a CPU context, a signal mask and pending signals, a tid.
 * A process (Proc) is a thread group: one Kernel (memory map, descriptor
 * table, signal dispositions, pid), one or more tasks. Threads of a process
 * share its CPU object (and so its decoded blocks and compiled code); a
 * switch between them saves and loads the CPU context. Processes made by
 * fork have their own Memory and CPU; a vfork-style clone (CLONE_VM without
 * CLONE_THREAD) shares the parent's CPU and memory under a Kernel of its own.
 *
 * The scheduler runs runnable tasks in turn, a slice of instructions each,
 * so a spinning thread cannot starve another. A syscall that would block
 * parks its task with a Wait (retried when the scheduler polls; woken early
 * by a signal); when nothing can run the scheduler reports how long it may
 * idle, and its caller sleeps or awaits host events.
 */
import { CpuContext, loadContext, saveContext } from "../cpu/context.js";
import type { CPU } from "../cpu/cpu.js";
import { RESULT_BLOCK, RESULT_RESTART, type ExitStatus, type Kernel } from "./kernel.js";
import { alarmDeadline, deliverPending, hasPendingSignals, interruptingSignal, signalState } from "./signals.js";
import { procExited } from "./wait.js";
import { futexExitRelease } from "./futex-pi.js";
import { endAddressSpace } from "./mm.js";
import { chargeCpuTime, cpuTimerBudget } from "./time.js";

/** Instructions a task runs before the scheduler moves to the next runnable one. */
export const SLICE = 200_000;

/** How a parked syscall waits. */
export interface Wait {
  /**
   * Try the call again: its result, RESULT_BLOCK to go on waiting, or
   * RESULT_RESTART to run the syscall again from the start (it can now
   * complete). Must not rely on the task's registers (capture arguments).
   */
  retry: () => number;
  /** Monotonic time (ns) at which retry should be called even if nothing else happened (timeouts), or null. */
  deadline: number | null;
  /**
   * What a handled signal does to the call: "restart" (ERESTARTSYS: restarted under SA_RESTART),
   * "always" (ERESTARTNOINTR: restarted after the handler whatever its flags) or "eintr" (always -EINTR).
   */
  onSignal: "restart" | "always" | "eintr";
  /** Called when the wait ends early (signal, process death): drop registrations (futex queues). */
  cancel?: () => void;
  /** On a signal: a result to return instead of -EINTR or a restart when nonzero (bytes a pipe write already moved; a requeued requeue-PI wait's -EAGAIN). */
  partial?: () => number;
  /** Waits on the host (a pipe or terminal read): retried every HOST_POLL_NS while idle. */
  hostPoll?: boolean;
}

/** How often a wait on host readiness is retried while nothing else runs (5 ms). */
export const HOST_POLL_NS = 5e6;

export type TaskState = "run" | "blocked" | "dead";

export class Task {
  state: TaskState = "run";
  wait: Wait | null = null;
  /** The saved CPU context (valid while another task's context is loaded in the CPU). */
  ctx = new CpuContext();
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits. */
  clearChildTid = 0;
  robustList = 0;
  robustLen = 0;
  /** strace record of a parked syscall (printed when it completes). */
  parkedTrace: unknown = null;
  /** Syscall number of a parked call (for restart). */
  parkedNr = 0;
  /** Guest CPU time (ns) charged to this thread by ended slices (time.ts: taskCpuNs adds the running slice). */
  cpuNs = 0;
  constructor(
    public readonly tid: number,
    public proc: Proc,
    /** Per-thread signal state (mask, pending, alternate stack; dispositions shared with the process). */
    public sig: unknown,
  ) {}
  get kernel(): Kernel {
    return this.proc.kernel;
  }
}

export class Proc {
  readonly tasks: Task[] = [];
  readonly children: Proc[] = [];
  /** Set when every thread has ended (a zombie until reaped). */
  status: ExitStatus | null = null;
  reaped = false;
  /** Signal sent to the parent on exit (clone's low byte; SIGCHLD for fork). */
  exitSignal = 17;
  /** The parent's task waiting for this vfork child to exec or exit. */
  vforkParent: Task | null = null;
  pgid: number;
  sid: number;
  /** Its parent ended: it was reparented (to a subreaper, or to init outside the emulation when parent is null). */
  orphaned = false;
  /** Job control (jobctl.ts): the process is stopped; the scheduler runs none of its threads. */
  stopped = false;
  /** The stop signal wait reports under WUNTRACED (0: none, or reported). */
  stopReport = 0;
  /** Continued since it stopped and not yet reported (WCONTINUED). */
  contReport = false;
  /** Guest CPU time (ns) of all its threads, ended ones included, charged by ended slices (time.ts: procCpuNs). */
  cpuNs = 0;
  /** CPU time of its waited-for children (their own and their children's), added as wait reaps them. */
  childCpuNs = 0;
  /** ITIMER_VIRTUAL and ITIMER_PROF (index 1, 2): guest CPU ns left (0: disarmed) and interval (time.ts). Not inherited by fork; kept by execve. */
  readonly cpuTimers = [
    { left: 0, interval: 0 },
    { left: 0, interval: 0 },
    { left: 0, interval: 0 },
  ];
  constructor(
    public readonly pid: number,
    public kernel: Kernel,
    public parent: Proc | null,
  ) {
    this.pgid = parent ? parent.pgid : pid;
    this.sid = parent ? parent.sid : pid;
  }
  /** The parent's pid: init's (1) for an orphan without a subreaper, -1 for the first process (its parent is the host's). */
  get ppid(): number {
    return this.parent ? this.parent.pid : this.orphaned ? 1 : -1;
  }
  liveTasks(): number {
    let n = 0;
    for (const t of this.tasks) if (t.state !== "dead") n++;
    return n;
  }
}

/** What one scheduler step did. */
export type StepResult = "ran" | "idle" | "done";

export class Scheduler {
  readonly tasks: Task[] = [];
  readonly procs = new Map<number, Proc>();
  readonly root: Proc;
  private nextId: number;
  private rr = 0;
  /** The task whose context each CPU holds. */
  private readonly loaded = new Map<CPU, Task>();
  /** When idle: the earliest deadline among parked tasks (monotonic ns), or null when only an outside event can help. */
  idleDeadline: number | null = null;
  /** The last run stopped because nothing could run (see idleDeadline). */
  idle = false;
  /** Instructions executed by all tasks. */
  executed = 0;
  /** While a slice runs: its CPU and that CPU's icount at the start (the running task's CPU time so far); null between slices. */
  sliceCpu: CPU | null = null;
  sliceStart = 0;
  /** Leave pending signals alone after a slice (the API stopped the run). */
  holdSignals = false;
  /** Called when a process ends (parents, vfork, SIGCHLD). */
  onProcExit: ((p: Proc) => void) | null = procExited;
  /** Called as a thread ends, before it is marked dead (robust list, PI futexes it owns). */
  onTaskExit: ((t: Task) => void) | null = futexExitRelease;
  /** Checks a parked task's signals: whether one interrupts its wait. */
  interrupts: ((t: Task) => "handler-restart" | "handler" | "fatal" | null) | null = interruptingSignal;
  /** After a slice (signal delivery), and before one when the task has signals pending. */
  afterResume: ((k: Kernel) => void) | null = deliverPending;
  /** Whether a task has pending signals (delivered before its slice: a SIGKILL to a stopped process runs none of it). */
  hasPending: ((t: Task) => boolean) | null = hasPendingSignals;
  /** Extra deadline sources (alarm timers) for idling: monotonic ns or null. */
  timerDeadline: ((t: Task) => number | null) | null = alarmDeadline;
  /** The task whose slice runs now, or ran last (the gdb stub attributes breakpoints and watchpoints to it). */
  current: Task | null = null;
  /** The terminal's foreground process group as a guest set it (TIOCSPGRP), or null: the first process's (tty.ts). */
  ttyPgrp: number | null = null;
  /** Called as a task makes a new process (fork, vfork, clone without CLONE_THREAD): the gdb stub's fork events. */
  onFork: ((parent: Task, child: Task, vfork: boolean) => void) | null = null;
  /** Called after a successful execve by `t` (the gdb stub's exec events). */
  onExec: ((t: Task) => void) | null = null;
  /** Runnable tasks this returns true for are not picked (a debugger keeps them stopped). */
  hold: ((t: Task) => boolean) | null = null;

  constructor(kernel: Kernel) {
    const pid = kernel.host.getpid();
    this.nextId = pid + 1;
    this.root = new Proc(pid, kernel, null);
    const ids = kernel.host.processIds?.(pid);
    if (ids !== undefined && typeof ids !== "number") {
      // the emulator's own group and session, as the shell made them
      this.root.pgid = ids.pgid;
      this.root.sid = ids.sid;
    }
    this.procs.set(pid, this.root);
    const t = new Task(pid, this.root, signalState(kernel));
    this.root.tasks.push(t);
    this.tasks.push(t);
    kernel.sched = this;
    kernel.proc = this.root;
    kernel.task = t;
    this.loaded.set(kernel.cpu, t);
  }

  allocId(): number {
    while (this.procs.has(this.nextId) || this.tasks.some((t) => t.tid === this.nextId)) this.nextId++;
    return this.nextId++;
  }

  /** The task with this tid, if alive. */
  task(tid: number): Task | null {
    for (const t of this.tasks) if (t.tid === tid && t.state !== "dead") return t;
    return null;
  }

  /** A new task (thread or process leader) whose CPU context is `ctx`. */
  addTask(proc: Proc, tid: number, ctx: CpuContext, sig: unknown): Task {
    const t = new Task(tid, proc, sig);
    t.ctx = ctx;
    proc.tasks.push(t);
    this.tasks.push(t);
    return t;
  }

  addProc(pid: number, kernel: Kernel, parent: Proc): Proc {
    const p = new Proc(pid, kernel, parent);
    parent.children.push(p);
    this.procs.set(pid, p);
    kernel.sched = this;
    kernel.proc = p;
    return p;
  }

  /** Make t the task running on its kernel's CPU (saving the context it replaces). */
  switchTo(t: Task): void {
    const k = t.kernel;
    const cpu = k.cpu;
    const cur = this.loaded.get(cpu);
    if (cur !== t) {
      if (cur !== undefined && cur.state !== "dead" && cur.kernel.cpu === cpu) saveContext(cpu, cur.ctx);
      loadContext(cpu, t.ctx);
      this.loaded.set(cpu, t);
    }
    k.task = t;
    k.state.signals = t.sig;
    cpu.onSyscall = k.syscallEntry;
    cpu.onFault = k.faultEntry;
  }

  /** The CPU now belongs to a fresh context (exec): forget what it held. */
  forgetCpu(cpu: CPU): void {
    this.loaded.delete(cpu);
  }

  /** Claim `cpu` for `t` without loading a saved context (its registers are already t's: a new exec image). */
  adopt(cpu: CPU, t: Task): void {
    this.loaded.set(cpu, t);
  }

  /** Park the running task of k (the syscall returns RESULT_BLOCK). */
  park(k: Kernel, w: Wait): number {
    const t = k.task;
    t.wait = w;
    t.state = "blocked";
    k.cpu.stopRequested = true;
    return RESULT_BLOCK;
  }

  /** End one thread (exit, or its process dying). */
  endTask(t: Task): void {
    if (t.state === "dead") return;
    this.onTaskExit?.(t);
    if (t.wait?.cancel) t.wait.cancel();
    t.wait = null;
    t.state = "dead";
    const i = this.tasks.indexOf(t);
    if (i >= 0) this.tasks.splice(i, 1);
    if (this.loaded.get(t.kernel.cpu) === t) this.loaded.delete(t.kernel.cpu);
  }

  /** The process of k has ended with k.status: end its threads, make it a zombie, tell its parent. */
  endProc(p: Proc): void {
    if (p.status) return;
    p.status = p.kernel.status;
    for (const t of p.tasks) this.endTask(t);
    endAddressSpace(p.kernel); // after the threads' robust lists were released into it
    this.onProcExit?.(p);
  }

  /** Complete a parked task's syscall with `res` (its context gets loaded). */
  private complete(t: Task, res: number): void {
    t.wait = null;
    t.state = "run";
    this.switchTo(t);
    if (res === RESULT_RESTART) t.kernel.restartParked(t, null);
    else t.kernel.finishParked(t, res);
  }

  /** Poll parked tasks: completed waits, timeouts, signals. Returns true if any became runnable. */
  pollBlocked(): boolean {
    let woke = false;
    for (let j = 0; j < this.tasks.length; j++) {
      const t = this.tasks[j];
      if (t.state !== "blocked" || !t.wait || t.proc.stopped) continue;
      // Linux's wait loops test their condition before signal_pending(): a call that can complete now
      // (the child's exit that sent SIGCHLD also ends the parent's wait4; a PI lock handed over) returns
      // its result, and a pending signal is taken on the way back to user mode
      const r = t.wait.retry();
      if (r !== RESULT_BLOCK) {
        this.complete(t, r);
        if (t.kernel.status) this.endProc(t.proc);
        woke = true;
        continue;
      }
      const intr = this.interrupts ? this.interrupts(t) : null;
      if (t.proc.stopped) continue; // the signal stopped it: the call stays parked until SIGCONT
      if (intr === null) continue;
      const w = t.wait;
      w.cancel?.();
      const part = w.partial ? w.partial() : 0;
      if (part !== 0) this.complete(t, part);
      else if ((intr === "handler-restart" && w.onSignal === "restart") || (intr !== "fatal" && w.onSignal === "always")) {
        t.wait = null;
        t.state = "run";
        this.switchTo(t);
        t.kernel.restartParked(t, w.onSignal === "always" ? -513 : -512); // ERESTARTNOINTR, ERESTARTSYS
      } else this.complete(t, -4); // EINTR (a fatal signal kills the process when delivered)
      if (t.kernel.status) this.endProc(t.proc);
      woke = true;
    }
    return woke;
  }

  /** The earliest deadline of parked tasks, or null. */
  private earliestDeadline(): number | null {
    let d: number | null = null;
    for (const t of this.tasks) {
      if (t.state !== "blocked" || !t.wait || t.proc.stopped) continue;
      const w = t.wait.hostPoll ? Math.min(t.wait.deadline ?? Infinity, Number(t.kernel.host.monotonicNs()) + HOST_POLL_NS) : t.wait.deadline;
      if (w !== null && (d === null || w < d)) d = w;
      const a = this.timerDeadline ? this.timerDeadline(t) : null;
      if (a !== null && (d === null || a < d)) d = a;
    }
    return d;
  }

  /** The next runnable task, round robin; null when none. */
  private pick(): Task | null {
    const n = this.tasks.length;
    for (let j = 0; j < n; j++) {
      const t = this.tasks[(this.rr + j) % n];
      if (t.state === "run" && !t.proc.stopped && (this.hold === null || !this.hold(t))) {
        this.rr = (this.rr + j + 1) % Math.max(1, n);
        return t;
      }
    }
    return null;
  }

  /**
   * Run one slice of one runnable task (at most `budget` instructions).
   * "done": the emulation is over (see finished); "idle": nothing can run now
   * (idleDeadline tells until when); "ran": call again.
   */
  step(budget: number): StepResult {
    if (this.finished()) return "done";
    let t = this.pick();
    if (t === null) {
      this.pollBlocked();
      if (this.finished()) return "done";
      t = this.pick();
      if (t === null) {
        if (this.tasks.length === 0) return "done";
        this.idleDeadline = this.earliestDeadline();
        return "idle";
      }
    }
    this.switchTo(t);
    this.current = t;
    const k = t.kernel;
    const cpu = k.cpu;
    if (this.afterResume && !this.holdSignals && this.hasPending && this.hasPending(t)) {
      // signals sent while it was not running are delivered before it runs on (as on the return to user mode)
      this.afterResume(k);
      if (k.status) this.endProc(t.proc);
      if (k.status || t.proc.stopped || t.state !== "run") return this.finished() ? "done" : "ran";
    }
    const before = cpu.icount;
    const timers = t.proc.cpuTimers[1].left > 0 || t.proc.cpuTimers[2].left > 0;
    this.sliceCpu = cpu;
    this.sliceStart = before;
    cpu.run(before + Math.max(1, Math.min(SLICE, budget, timers ? cpuTimerBudget(t.proc) : SLICE)));
    this.sliceCpu = null;
    this.executed += cpu.icount - before;
    chargeCpuTime(t, cpu.icount - before);
    this.afterSlice(t);
    if (this.tasks.length > 1) this.pollBlocked();
    return this.finished() ? "done" : "ran";
  }

  /**
   * The emulation is over: the first process has ended and so has every
   * task it waits for. Orphans still running (a shell's background jobs)
   * keep it going until they end, as their output and a pipe reader
   * waiting for its end expect; processes that left the first process's
   * session (setsid: daemons) are not waited for.
   */
  finished(): boolean {
    if (!this.root.status) return false;
    const sid = this.root.sid;
    for (const t of this.tasks) if (t.state !== "dead" && t.proc.sid === sid) return false;
    return true;
  }

  /** Settle what a slice left: an unhandled fault, a process end, signals. */
  afterSlice(t: Task): void {
    const k = t.kernel;
    const cpu = k.cpu;
    if (cpu.lastFault && !k.status) {
      const f = cpu.lastFault;
      cpu.lastFault = null;
      k.terminate({ kind: "signal", signal: f.sig, core: true, fault: f });
    }
    if (k.status) {
      this.endProc(t.proc);
      return;
    }
    if (t.state === "run" && this.afterResume && !this.holdSignals) {
      this.afterResume(k);
      if (k.status) this.endProc(t.proc);
    }
  }
}

/** Wait (synchronously) until a monotonic deadline, at most 50 ms at a time: the host's sleep, or a spin where it has none. */
export function idleUntil(host: { monotonicNs(): bigint; sleepMs?(ms: number): void }, deadline: number): void {
  const ms = (deadline - Number(host.monotonicNs())) / 1e6;
  if (ms <= 0) return;
  if (host.sleepMs) host.sleepMs(Math.min(Math.ceil(ms), 50));
  else {
    const end = Math.min(deadline, Number(host.monotonicNs()) + 50e6);
    while (Number(host.monotonicNs()) < end) {
      /* no way to sleep here (a browser's main thread): wait out the time */
    }
  }
}
