/**
 * The Linux system-call layer: a table by syscall number, the x86-64 syscall
 * ABI (number in rax; args rdi rsi rdx r10 r8 r9; result in rax, -errno on
 * failure), strace output, signals' default actions and process exit.
 * Syscall families live in their own modules and register here.
 */
import type { CPU, FaultInfo } from "../cpu/cpu.js";
import type { Host } from "../host/host.js";
import type { ArgFormat } from "./strace/format.js";
import { callFormat, straceEnd, threadExitLine, straceEnter, straceHead, straceOut, type StraceOut, type TracedCall } from "./strace/index.js";
import type { Proc, Scheduler, Task } from "./task.js";
import { ENOSYS } from "./errno.js";
export { ENOSYS } from "./errno.js";


/** How the guest process ended. @internal */
export type ExitStatus =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: number; core: boolean; fault: FaultInfo | null };

/** Formats for strace arguments (src/kernel/strace/format.ts). */
export type { ArgFormat } from "./strace/format.js";

export interface SyscallArgs {
  /** Raw 64-bit argument k (0..5) as unsigned bigint (cold paths, strace). */
  big(k: number): bigint;
}

export type SyscallFn = (k: Kernel, a: Args) => number;

export interface SyscallDef {
  nr: number;
  name: string;
  args: ArgFormat[];
  fn: SyscallFn;
  /** Result format (default: decimal, -errno decoded). */
  ret?: "d" | "x" | "none";
}

const ARG_REGS = [7, 6, 2, 10, 8, 9]; // rdi rsi rdx r10 r8 r9

/** Syscall arguments read from the CPU registers. @internal */
export class Args {
  constructor(private readonly cpu: CPU) {}
  /** Low 32 bits as a signed int (ints, fds, flags). */
  i32(k: number): number {
    return this.cpu.r[2 * ARG_REGS[k]];
  }
  /** Unsigned 32 bits. */
  u32(k: number): number {
    return this.cpu.r[2 * ARG_REGS[k]] >>> 0;
  }
  /** 64-bit unsigned as a JS number (addresses, sizes; exact below 2^53). */
  u(k: number): number {
    return this.cpu.regNum(ARG_REGS[k]);
  }
  /** 64-bit signed as a JS number (offsets, pids, timeouts). */
  i(k: number): number {
    const r = this.cpu.r;
    const n = ARG_REGS[k];
    return r[2 * n + 1] * 4294967296 + (r[2 * n] >>> 0);
  }
  big(k: number): bigint {
    return this.cpu.getReg64(ARG_REGS[k]);
  }
}

const table: (SyscallDef | undefined)[] = [];

/** Run once when a process's address space ends, before its memory goes: at exit, and at an execve replacing it (mm.ts writes MAP_SHARED file pages back). */
export const exitHooks: Array<(k: Kernel) => void> = [];

/** Register a syscall (families call this at module load). */
export function defineSyscall(def: SyscallDef): void {
  table[def.nr] = def;
}

/** The syscall table (for README generation and tests). */
export function syscallTable(): SyscallDef[] {
  return table.filter((d): d is SyscallDef => d !== undefined);
}

/** Thrown by exit paths to unwind out of the syscall into the run loop. */
export class ProcessExit {
  constructor(public readonly status: ExitStatus) {}
}

export interface KernelOptions {
  /** strace-format lines (no newline) go here when set. */
  strace?: ((line: string) => void) | null;
  /** A syscall hook (API): return a number to override the result, or undefined to let the kernel run. */
  syscallHook?: ((nr: number, args: Args, k: Kernel) => number | undefined) | null;
}

export class Kernel {
  /** The CPU running this process's threads (replaced by execve). */
  cpu: CPU;
  readonly host: Host;
  args: Args;
  /** The task table (shared by every process of one emulation). */
  sched!: Scheduler;
  /** This process (thread group). */
  proc!: Proc;
  /** The thread running now (or last) on this process's CPU. */
  task!: Task;
  status: ExitStatus | null = null;
  strace: ((line: string) => void) | null;
  /** Where strace lines go, keeping blocked calls' lines open (`<unfinished ...>`); shared by every process of a run. */
  private straceSink: StraceOut | null;
  /** strace -s: the longest string shown */
  straceStringLimit = 32;
  syscallHook: ((nr: number, args: Args, k: Kernel) => number | undefined) | null;
  /** Per-family state (memory map, file table, signal state...) */
  readonly state: Record<string, unknown> = {};
  /** Names of signals for messages; filled by the signals module. */
  syscallCount = 0;

  constructor(cpu: CPU, host: Host, opts: KernelOptions = {}) {
    this.cpu = cpu;
    this.host = host;
    this.args = new Args(cpu);
    this.straceSink = opts.strace ? straceOut(opts.strace) : null;
    this.strace = this.straceSink ? this.straceSink.line : null;
    this.syscallHook = opts.syscallHook ?? null;
    cpu.onSyscall = this.syscallEntry;
    cpu.onFault = this.faultEntry;
  }

  /** The CPU's syscall and fault entries into this kernel (set again on each task switch: a vfork child shares its parent's CPU). */
  readonly syscallEntry = (c: CPU): void => this.syscall(c);
  readonly faultEntry = (_c: CPU, info: FaultInfo): void => this.fault(info);

  /** Use a new CPU (execve). */
  setCpu(cpu: CPU): void {
    this.cpu = cpu;
    this.args = new Args(cpu);
    cpu.onSyscall = this.syscallEntry;
    cpu.onFault = this.faultEntry;
  }

  /** strace's line prefix: `[pid N] ` while more than one task lives (as strace -f). */
  stracePrefix(): string {
    return this.sched && this.sched.tasks.length > 1 ? `[pid ${this.task.tid}] ` : "";
  }

  /** Entry from the `syscall` instruction. */
  syscall(cpu: CPU): void {
    const nr = cpu.r[0] >>> 0; // Linux takes the number from the low 32 bits of rax
    this.syscallCount++;
    const def = table[nr];
    this.state.currentSyscall = nr;
    let traced: TracedCall | null = null;
    if (this.strace) traced = straceEnter(this, nr, def, callFormat(nr), this.straceStringLimit);
    const prefix = traced ? this.stracePrefix() : ""; // as strace, the line's prefix is the one at entry (fork's has none)
    let res: number;
    try {
      const hooked = this.syscallHook ? this.syscallHook(nr, this.args, this) : undefined;
      if (hooked !== undefined) res = hooked;
      else if (def) res = def.fn(this, this.args);
      else res = -ENOSYS;
    } catch (e) {
      if (e instanceof ProcessExit) {
        if (traced) this.straceDone(traced, null, prefix);
        this.terminate(e.status);
        return;
      }
      throw e;
    }
    if (this.status || (this.task && this.task.state === "dead")) {
      if (traced) {
        this.straceDone(traced, null, prefix);
        // a thread's own exit: strace -f's line for it (the process's last one comes with the process's end)
        if (!this.status && nr === 60) threadExitLine(this.task, prefix, Number(traced.ctx.arg(0) & 0xffn));
      }
      return;
    }
    if (res === RESULT_BLOCK) {
      // parked: the scheduler completes the call later (finishParked) or restarts it; its line stays open
      this.task.parkedTrace = traced;
      this.task.parkedNr = nr;
      if (traced) traced.open = this.straceSink!.park(this.task.tid, straceHead(traced, prefix));
      return;
    }
    this.finish(traced, res, prefix);
  }

  /** A SIGKILL is pending for the current process (it dies before returning to user mode). */
  private sigkillPending(): boolean {
    const p = this.task?.proc;
    return p !== undefined && p.tasks.some((t) => (t.sig as { pending: Array<{ sig: number }> }).pending.some((x) => x.sig === 9));
  }

  /** Write a traced call's line: whole, or `<... NAME resumed>` after its open line was ended by another. */
  private straceDone(t: TracedCall, res: number | null, prefix: string): void {
    const sink = this.straceSink!;
    const open = t.open;
    t.open = null;
    if (open) sink.finish(open, (resumed) => straceEnd(this, t, res, prefix, resumed));
    else sink.line(straceEnd(this, t, res, prefix, this.task !== undefined && sink.resumesRestarted(this.task.tid)));
  }

  private finish(traced: TracedCall | null, res: number, prefix = this.stracePrefix()): void {
    // a call that sent SIGKILL to its own process (tkill(gettid(), SIGKILL)) never returns: strace shows `= ?`
    if (traced) this.straceDone(traced, this.sigkillPending() ? null : res, prefix);
    if (res !== RESULT_KEEP) this.cpu.setRegNum(0, res);
    if (this.afterSyscall) this.afterSyscall(this);
  }

  /** Complete the parked syscall of t (its context is loaded) with res. */
  finishParked(t: Task, res: number): void {
    const traced = t.parkedTrace as TracedCall | null;
    t.parkedTrace = null;
    this.finish(this.strace ? traced : null, res);
  }

  /**
   * Run t's parked syscall again: after a signal handler (`restart` is the
   * kernel's code strace shows: -512 ERESTARTSYS under SA_RESTART, -513
   * ERESTARTNOINTR), or quietly (null) once it can complete (a pipe became readable).
   */
  restartParked(t: Task, restart: number | null): void {
    const traced = t.parkedTrace as TracedCall | null;
    t.parkedTrace = null;
    if (this.strace && traced) {
      if (restart !== null) this.straceDone(traced, restart, this.stracePrefix());
      else if (traced.open) this.straceSink!.restart(traced.open); // the same call goes on: its open line too
      traced.open = null;
    }
    this.cpu.rip -= 2; // back onto the syscall instruction
    this.cpu.setRegNum(0, t.parkedNr);
    if (this.afterSyscall) this.afterSyscall(this);
  }

  /** Called after a successful execve (the API and CLI follow the new image: symbols, hooks). */
  onExec: ((k: Kernel) => void) | null = null;

  /** Runs after each syscall completes (signal delivery). */
  afterSyscall: ((k: Kernel) => void) | null = null;

  /** Copy bytes into guest memory for a syscall result: 0, or -EFAULT when the range is not writable. */
  copyOut(addr: number, bytes: Uint8Array): number {
    try {
      this.cpu.mem.writeBytes(addr, bytes);
      return 0;
    } catch {
      return -14; // EFAULT
    }
  }

  /** End the process. */
  terminate(status: ExitStatus): void {
    const first = this.status === null;
    this.status = status;
    this.cpu.stopRequested = true;
    if (first) for (const h of exitHooks) h(this);
  }

  /** A synchronous fault from the CPU: delivered as a signal. */
  fault(info: FaultInfo): void {
    this.signalHandlers.fault(this, info);
  }

  /** Pluggable signal delivery (the signals module replaces the default). */
  signalHandlers: {
    fault: (k: Kernel, info: FaultInfo) => void;
    /** A signal to this process (kill/tgkill to itself, or from the host). */
    raise: (k: Kernel, sig: number, code: number, senderPid: number) => void;
  } = {
    fault: (k, info) => k.terminate({ kind: "signal", signal: info.sig, core: true, fault: info }),
    raise: (k, sig) => defaultAction(k, sig),
  };
}

/** A syscall result meaning "rax was already set" (rt_sigreturn). */
export const RESULT_KEEP = 0x7fffffffffff0;
/** A syscall result meaning "the task is parked" (see Scheduler.park). */
export const RESULT_BLOCK = 0x7fffffffffff1;
/** A parked call's retry result: run the syscall again from the start. */
export const RESULT_RESTART = 0x7fffffffffff2;

/** Signals whose default action is to be ignored, stop or continue (signal(7)). */
const IGNORE = new Set([17, 23, 28]); // SIGCHLD SIGURG SIGWINCH
const STOP = new Set([19, 20, 21, 22]); // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
const CORE = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]); // QUIT ILL TRAP ABRT BUS FPE SEGV XCPU XFSZ SYS

/** Apply the default action of `sig` to the process. */
export function defaultAction(k: Kernel, sig: number): void {
  if (sig === 0 || IGNORE.has(sig) || sig === 18) return; // 18: SIGCONT
  if (STOP.has(sig)) {
    k.host.kill(k.host.getpid(), 19); // stop the emulator itself, as the guest would be
    return;
  }
  k.terminate({ kind: "signal", signal: sig, core: CORE.has(sig), fault: null });
  throw new ProcessExit(k.status!);
}

// ---- names for messages and strace ---------------------------------------------

let signalNames: string[] = [];
export function setSignalNames(names: string[]): void {
  signalNames = names;
}
export function sigName(n: number): string {
  return signalNames[n] ?? (n === 0 ? "0" : `SIG${n}`);
}
