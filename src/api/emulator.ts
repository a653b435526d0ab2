/**
 * The embedding API: load an ELF or raw code, run or step it, read and write
 * registers and memory, hook instructions, memory, syscalls and faults, and
 * call guest functions with the SysV calling convention.
 */
import { CPU, type FaultInfo } from "../cpu/cpu.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { formatInsn } from "../decoder/format.js";
import type { Host } from "../host/host.js";
import { MemoryHost } from "../host/memory.js";
import { Kernel, type ExitStatus, installSignals, Scheduler, idleUntil } from "../kernel/index.js";
import { installAbiNames } from "../kernel/names.js";
import { Process } from "../kernel/program.js";
import type { ElfSymbol } from "../loader/elf.js";
import { EmulatorError, GuestFault } from "./errors.js";
import { MemoryFs, type MemoryFsEntry } from "./memfs.js";
import { regIndex, readRegister, writeRegister } from "./registers.js";
import { CPU_MODELS, cpuModel } from "../cpu/cpuid.js";

export { EmulatorError, GuestFault };

/**
 * How a run ended:
 * - `exit`: the process exited with `code` (exit/exit_group);
 * - `signal`: the process died by `signal` (with the fault that caused it, if any);
 * - `stopped`: the run stopped with the process still alive, because of
 *   `maxInstructions` ("limit"), `until` ("until", also the end of a `call()`),
 *   an instruction hook returning false ("hook"), {@link Emulator.stop} ("stop"),
 *   or the guest waiting for a signal that only the host can send ("wait").
 *   `run()` again continues.
 */
export type RunResult =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: number; fault: GuestFault | null }
  | { kind: "stopped"; reason: "limit" | "until" | "hook" | "stop" | "wait" };

/** One guest task, as {@link Emulator.tasks} lists them. */
export interface TaskInfo {
  /** Thread id (gettid) */
  tid: number;
  /** Process id (getpid: the thread group) */
  pid: number;
  /** Parent process id */
  ppid: number;
  /** "run": runnable; "blocked": parked in a waiting syscall (futex, wait4, read of an empty pipe...) */
  state: "run" | "blocked";
  /** Where it is (or resumes) */
  rip: bigint;
}

/** Options of {@link Emulator.run}. */
export interface RunOptions {
  /** Stop after this many instructions (counted from this call). */
  maxInstructions?: number;
  /**
   * Stop before executing the instruction at this address (like a
   * breakpoint; the instruction the run starts at does not count, so a loop
   * of `run({ until })` visits each hit once).
   */
  until?: bigint | number;
}

/** Options of {@link Emulator.fromElf}. */
export interface ElfOptions {
  /** argv (default: ["program"]) */
  argv?: string[];
  /** environment entries "NAME=value" (default: none) */
  envp?: string[];
  /** The outside world (default: a MemoryHost capturing output) */
  host?: Host;
  /**
   * Files the guest sees, when the host has no file system: a {@link MemoryFs}
   * or its contents (path -> bytes or UTF-8 text). Read what the guest
   * wrote with `emu.host.fs`.
   */
  files?: MemoryFs | Record<string, MemoryFsEntry>;
  /** Print syscalls in strace format to this function */
  strace?: (line: string) => void;
  /**
   * CPU model: what CPUID reports, and which instruction set extensions run
   * (the others raise SIGILL): "max" (default, everything implemented),
   * "x86-64", "x86-64-v2", "x86-64-v3".
   */
  cpu?: string;
}

/** Options of {@link Emulator.fromCode}. */
export interface CodeOptions {
  /** Where the code is mapped, read+execute (default 0x400000) */
  address?: bigint | number;
  /** The outside world for syscalls (default: a MemoryHost capturing output) */
  host?: Host;
  /** Files the guest sees, as for {@link ElfOptions.files}. */
  files?: MemoryFs | Record<string, MemoryFsEntry>;
  /** Stack size in bytes (default 1 MiB) */
  stackSize?: number;
  /** CPU model, as for {@link ElfOptions.cpu}. */
  cpu?: string;
}

/** Memory protection bits for map/protect. */
export const PROT = { NONE: 0, READ: PROT_READ, WRITE: PROT_WRITE, EXEC: PROT_EXEC } as const;

/** Called before each instruction; return false to stop before it runs. */
export type InstructionHook = (address: bigint, text: string) => boolean | void;
/**
 * Called after each guest memory access that overlaps a watched range, with
 * the value read or written. Accesses wider than 4 bytes (64-bit and SSE
 * operands) are reported as 4-byte pieces; rep movs/stos/scas/cmps report each
 * element. Kernel copies (syscall buffers) and `Emulator.read`/`write` are not reported.
 */
export type MemoryAccessHook = (kind: "read" | "write", address: bigint, size: number, value: bigint) => void;
/** Called on each syscall; return a value to use as the result (and skip the kernel), or undefined. */
export type SyscallHook = (nr: number, args: bigint[]) => bigint | number | undefined;
/** Called when the guest faults; return "stop" to end the run with the fault instead of delivering it. */
export type FaultHook = (fault: GuestFault) => "stop" | void;
/**
 * Called for each signal sent to the guest: by a fault (with `fault`), by
 * kill/tgkill/raise to itself, a timer or a broken pipe. Observation only: the
 * guest's handler or the default action follows.
 */
export type SignalHook = (signal: number, fault: GuestFault | null) => void;

const STACK_TOP = 0x7ffffffff000;

function withFiles(host: Host, files: MemoryFs | Record<string, MemoryFsEntry> | undefined): Host {
  if (files === undefined) return host;
  if (host.fs) throw new EmulatorError("the host already has a file system: give either files or a host with fs");
  host.fs = files instanceof MemoryFs ? files : new MemoryFs(files);
  return host;
}

/**
 * One emulated x86-64 Linux process.
 *
 * ```ts
 * const emu = Emulator.fromElf(bytes, { argv: ["prog"] });
 * const result = emu.run();
 * ```
 */
export class Emulator {
  /** The CPU (low-level access: registers as lo/hi int32 halves, flags, tiers). */
  get cpu(): CPU {
    return this.kernel.cpu;
  }
  /** Guest memory (low-level access). */
  get memory(): Memory {
    return this.kernel.cpu.mem;
  }
  /** The syscall layer. */
  readonly kernel: Kernel;
  /** The host the guest talks to. */
  readonly host: Host;
  /** ELF symbols (empty for raw code). */
  readonly symbols: ElfSymbol[];
  private stopFlag = false;
  private hookStop = false;
  private instrHook: InstructionHook | null = null;
  private faultHook: FaultHook | null = null;
  private signalHook: SignalHook | null = null;
  private jitWanted = true;
  private faultStopped: GuestFault | null = null;
  private sentinel = 0;

  private constructor(cpu: CPU, kernel: Kernel, host: Host, symbols: ElfSymbol[]) {
    this.kernel = kernel;
    this.host = host;
    this.symbols = symbols;
    const deliver = kernel.signalHandlers.fault;
    const raise = kernel.signalHandlers.raise;
    kernel.signalHandlers.fault = (k, info) => {
      const fault = new GuestFault(info, this.symbols);
      if (this.faultHook && this.faultHook(fault) === "stop") {
        this.faultStopped = fault;
        this.cpu.stopRequested = true;
        return;
      }
      if (this.signalHook) this.signalHook(info.sig, fault);
      deliver(k, info);
    };
    kernel.signalHandlers.raise = (k, sig, code, pid) => {
      if (this.signalHook) this.signalHook(sig, null);
      raise(k, sig, code, pid);
    };
  }

  /**
   * Load a static x86-64 Linux ELF executable with its initial stack (argc,
   * argv, envp, auxv), ready to run from its entry point.
   * @throws {@link ElfError} for input that is not a loadable x86-64 ELF executable.
   */
  static fromElf(bytes: Uint8Array, opts: ElfOptions = {}): Emulator {
    installAbiNames();
    const host = withFiles(opts.host ?? new MemoryHost(), opts.files);
    if (opts.cpu !== undefined && !cpuModel(opts.cpu)) throw new EmulatorError(`unknown CPU model '${opts.cpu}' (known: ${CPU_MODELS.join(", ")})`);
    const p = new Process(bytes, { argv: opts.argv ?? ["program"], envp: opts.envp ?? [], host, strace: opts.strace ?? null, cpu: opts.cpu });
    return new Emulator(p.cpu, p.kernel, host, p.image.symbols);
  }

  /**
   * Map raw machine code (read+execute) at an address (default 0x400000) with
   * a 1 MiB read+write stack below 0x7ffffffff000; rip points at the code, rsp
   * into the stack, other registers are zero. Syscalls work as for an ELF.
   */
  static fromCode(code: Uint8Array, opts: CodeOptions = {}): Emulator {
    installAbiNames();
    const host = withFiles(opts.host ?? new MemoryHost(), opts.files);
    const mem = new Memory();
    const cpu = new CPU(mem);
    const model = cpuModel(opts.cpu ?? "max");
    if (!model) throw new EmulatorError(`unknown CPU model '${opts.cpu}' (known: ${CPU_MODELS.join(", ")})`);
    cpu.features = model;
    const kernel = new Kernel(cpu, host);
    installSignals(kernel);
    new Scheduler(kernel);
    const at = Number(opts.address ?? 0x400000);
    mem.map(at, Math.max(code.length, 1), PROT_READ | PROT_EXEC);
    mem.writeBytes(at, code, false);
    const stack = opts.stackSize ?? 1 << 20;
    mem.map(STACK_TOP - stack, stack, PROT_READ | PROT_WRITE);
    cpu.rip = at;
    cpu.setRegNum(4, STACK_TOP - 64);
    kernel.state.brk = Math.ceil((at + code.length) / 4096) * 4096 + 0x100000;
    return new Emulator(cpu, kernel, host, []);
  }

  // ---- running ------------------------------------------------------------------------

  /**
   * Run until the process exits or dies, or a stop condition is met (see
   * {@link RunResult}). A fault the guest does not handle ends the run with
   * kind "signal"; `run()` itself only throws for emulator bugs.
   */
  run(opts: RunOptions = {}): RunResult {
    const c = this.cpu;
    const until = opts.until !== undefined ? Number(opts.until) : undefined;
    const limit = opts.maxInstructions !== undefined ? this.kernel.sched.executed + opts.maxInstructions : Infinity;
    this.stopFlag = false;
    this.hookStop = false;
    const userHook = this.instrHook;
    // single-step while memory hooks exist too, so that stop() from one is exact
    const needHook = until !== undefined || userHook !== null || this.memory.hooks.length > 0;
    const saved = c.insnHook;
    if (needHook) {
      let first = true; // the instruction the run starts at is never an `until` stop
      c.insnHook = (cpu, i) => {
        if (until !== undefined && i.addr === until && !first) return false;
        first = false;
        if (userHook && userHook(BigInt(i.addr), formatInsn(i)) === false) {
          this.hookStop = true;
          return false;
        }
        return true;
      };
    }
    const sched = this.kernel.sched;
    try {
      while (!this.kernel.status && sched.executed < limit && !this.stopFlag) {
        // slices of each runnable task, so that timers and queued signals are delivered in long computations
        sched.holdSignals = false;
        const r = sched.step(Math.min(limit - sched.executed, 20_000_000));
        if (this.faultStopped) {
          const f = this.faultStopped;
          this.faultStopped = null;
          return { kind: "signal", signal: f.signal, fault: f };
        }
        if (this.kernel.status) break;
        if (r === "idle") {
          // nothing can run: sleep until the next timer, or report that only the host can wake the guest
          const d = sched.idleDeadline;
          if (d === null) return { kind: "stopped", reason: "wait" };
          idleUntil(this.host, d);
          continue;
        }
        if (needHook && c.stopRequested) {
          if (this.hookStop) return { kind: "stopped", reason: "hook" };
          if (until !== undefined && c.rip === until) return { kind: "stopped", reason: "until" };
        }
        if (this.sentinel && c.rip === this.sentinel) return { kind: "stopped", reason: "until" };
      }
    } finally {
      if (needHook) c.insnHook = saved;
    }
    if (this.kernel.status) return this.toResult(this.kernel.status);
    if (this.stopFlag) return { kind: "stopped", reason: "stop" };
    return { kind: "stopped", reason: "limit" };
  }

  /**
   * Execute one instruction (a syscall counts as one; a fault delivered to a
   * guest handler moves rip to the handler). Returns how the process ended if
   * it did, else null.
   */
  step(): RunResult | null {
    const r = this.run({ maxInstructions: 1 });
    return r.kind === "stopped" ? null : r;
  }

  /**
   * Stop a run from inside a hook: `run()` returns `{ kind: "stopped", reason: "stop" }`
   * after the current instruction (from an instruction or memory hook; from a
   * syscall or signal hook, after the current basic block).
   */
  stop(): void {
    this.stopFlag = true;
    this.cpu.stopRequested = true;
    this.kernel.sched.holdSignals = true;
  }

  private toResult(s: ExitStatus): RunResult {
    if (s.kind === "exit") return { kind: "exit", code: s.code };
    return { kind: "signal", signal: s.signal, fault: s.fault ? new GuestFault(s.fault, this.symbols) : null };
  }

  // ---- tasks --------------------------------------------------------------------------

  /**
   * The guest's living tasks (threads and processes, see the README's
   * "Tasks"): tid, pid (thread group), parent pid, state ("run", or
   * "blocked" in a waiting syscall) and rip. The first is the thread
   * `reg()` and `step()` see, the one that ran last in the first process.
   */
  tasks(): TaskInfo[] {
    const s = this.kernel.sched;
    const cur = this.kernel.task;
    const list = [cur, ...s.tasks.filter((t) => t !== cur && t.state !== "dead")];
    return list.map((t) => ({
      tid: t.tid,
      pid: t.proc.pid,
      ppid: t.proc.parent ? t.proc.parent.pid : this.host.getppid(),
      state: t.state === "blocked" ? "blocked" : "run",
      rip: BigInt(t.kernel.task === t ? t.kernel.cpu.rip : t.ctx.rip),
    }));
  }

  // ---- registers ----------------------------------------------------------------------

  /**
   * Read a register by name, zero-extended: rax..r15, eax..r15d, ax..r15w,
   * al..r15b (spl bpl sil dil), ah bh ch dh, rip, rflags (eflags), fs_base,
   * gs_base, xmm0..xmm15 (128-bit), ymm0..ymm15 (256-bit).
   * @throws {@link EmulatorError} for an unknown name.
   */
  reg(name: string): bigint {
    return readRegister(this.cpu, regIndex(name));
  }

  /**
   * Write a register by name (see {@link Emulator.reg}); the value is truncated to
   * the register's width. 8/16-bit names merge into the full register and
   * 32-bit names zero the upper half, as instructions do.
   * @throws {@link EmulatorError} for an unknown name.
   */
  setReg(name: string, value: bigint | number): void {
    writeRegister(this.cpu, regIndex(name), BigInt(value));
  }

  // ---- memory -------------------------------------------------------------------------

  /**
   * Read guest memory, ignoring page protection (like a debugger).
   * @throws {@link MemoryFault} when a page in the range is unmapped.
   */
  read(addr: bigint | number, len: number): Uint8Array {
    return this.memory.readBytes(Number(addr), len, false);
  }
  /**
   * Write guest memory, ignoring page protection (like a debugger); decoded
   * code in the range is invalidated.
   * @throws {@link MemoryFault} when a page in the range is unmapped.
   */
  write(addr: bigint | number, bytes: Uint8Array): void {
    this.memory.writeBytes(Number(addr), bytes, false);
  }
  /** Read an unsigned byte. @throws {@link MemoryFault} when unmapped. */
  readU8(addr: bigint | number): number {
    return this.read(addr, 1)[0];
  }
  /** Read an unsigned little-endian 16-bit value. @throws {@link MemoryFault} when unmapped. */
  readU16(addr: bigint | number): number {
    return new DataView(this.read(addr, 2).buffer).getUint16(0, true);
  }
  /** Read an unsigned little-endian 32-bit value. @throws {@link MemoryFault} when unmapped. */
  readU32(addr: bigint | number): number {
    return new DataView(this.read(addr, 4).buffer).getUint32(0, true);
  }
  /** Read an unsigned little-endian 64-bit value. @throws {@link MemoryFault} when unmapped. */
  readU64(addr: bigint | number): bigint {
    return new DataView(this.read(addr, 8).buffer).getBigUint64(0, true);
  }
  /** Write a byte (the low 8 bits of v). @throws {@link MemoryFault} when unmapped. */
  writeU8(addr: bigint | number, v: number): void {
    this.write(addr, Uint8Array.of(v & 0xff));
  }
  /** Write a little-endian 16-bit value (the low 16 bits of v). @throws {@link MemoryFault} when unmapped. */
  writeU16(addr: bigint | number, v: number): void {
    this.write(addr, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff));
  }
  /** Write a little-endian 32-bit value (the low 32 bits of v). @throws {@link MemoryFault} when unmapped. */
  writeU32(addr: bigint | number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(addr, b);
  }
  /** Write a little-endian 64-bit value (v modulo 2^64; negative values wrap). @throws {@link MemoryFault} when unmapped. */
  writeU64(addr: bigint | number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(addr, b);
  }
  /** Read a NUL-terminated UTF-8 string of at most `max` bytes. @throws {@link MemoryFault} when unmapped. */
  readCString(addr: bigint | number, max = 1 << 16): string {
    const out: number[] = [];
    for (let k = 0; k < max; k++) {
      const b = this.readU8(Number(addr) + k);
      if (b === 0) break;
      out.push(b);
    }
    return new TextDecoder().decode(Uint8Array.from(out));
  }
  /**
   * Map fresh zeroed pages covering [addr, addr+size) (rounded out to 4 KiB
   * pages) with {@link PROT} bits, replacing what was mapped there.
   */
  map(addr: bigint | number, size: number, prot: number): void {
    this.memory.map(Number(addr), size, prot);
  }
  /** Unmap the pages covering [addr, addr+size); later accesses fault. */
  unmap(addr: bigint | number, size: number): void {
    this.memory.unmap(Number(addr), size);
    for (let a = Number(addr); a < Number(addr) + size; a += 4096) this.cpu.invalidatePage(Math.floor(a / 4096));
  }
  /** Change the protection ({@link PROT} bits) of mapped pages; false if some page in the range is unmapped. */
  protect(addr: bigint | number, size: number, prot: number): boolean {
    return this.memory.protect(Number(addr), size, prot);
  }

  // ---- hooks --------------------------------------------------------------------------------

  /**
   * Call `fn` before every instruction with its address and Intel-syntax
   * text; returning false stops the run before that instruction ("hook").
   * While set, the CPU single-steps (much slower). null removes it.
   */
  onInstruction(fn: InstructionHook | null): void {
    this.instrHook = fn;
  }

  /**
   * Watch guest accesses to [start, end): "read", "write" or "access" (both).
   * While any memory hook exists, the TLB and the JIT tier are bypassed and
   * the CPU single-steps, so {@link Emulator.stop} from the hook stops right
   * after the accessing instruction.
   * Returns a function that removes the hook.
   */
  onMemory(range: { start: bigint | number; end: bigint | number }, kind: "read" | "write" | "access", fn: MemoryAccessHook): () => void {
    const hook = {
      start: Number(range.start),
      end: Number(range.end),
      fn: (addr: number, size: number, k: "read" | "write", value: bigint) => {
        if (kind === "access" || kind === k) fn(k, BigInt(addr), size, value);
      },
    };
    if (this.memory.hooks.length === 0) this.jitWanted = this.cpu.jitEnabled;
    this.memory.hooks.push(hook);
    this.memory.flushTlb();
    this.cpu.jitEnabled = false;
    return () => {
      const i = this.memory.hooks.indexOf(hook);
      if (i >= 0) this.memory.hooks.splice(i, 1);
      this.memory.flushTlb();
      if (this.memory.hooks.length === 0) this.cpu.jitEnabled = this.jitWanted;
    };
  }

  /**
   * Intercept syscalls: `fn` gets the number (rax) and the six argument
   * registers (rdi rsi rdx r10 r8 r9); returning a number or bigint skips the
   * kernel and makes it the result in rax (negative: -errno); returning
   * undefined lets the kernel handle the call. null removes the hook.
   */
  onSyscall(fn: SyscallHook | null): void {
    this.kernel.syscallHook = fn
      ? (nr, a) => {
          const r = fn(nr, [0, 1, 2, 3, 4, 5].map((k) => a.big(k)));
          return r === undefined ? undefined : Number(BigInt.asIntN(64, BigInt(r)));
        }
      : null;
  }

  /**
   * Observe faults before they become signals; returning "stop" ends the run
   * with kind "signal" and the fault, leaving rip and all registers at the
   * faulting instruction, instead of delivering the signal. null removes it.
   */
  onFault(fn: FaultHook | null): void {
    this.faultHook = fn;
  }

  /** Observe every signal sent to the guest (see {@link SignalHook}); null removes it. */
  onSignal(fn: SignalHook | null): void {
    this.signalHook = fn;
  }

  // ---- calling guest functions ----------------------------------------------------------

  /** Address of an ELF symbol (from the executable's symbol table), or undefined. */
  symbol(name: string): bigint | undefined {
    const s = this.symbols.find((x) => x.name === name);
    return s ? BigInt(s.value) : undefined;
  }

  /**
   * Call a guest function (an ELF symbol name or an address) with the SysV
   * x86-64 calling convention: integer arguments in rdi rsi rdx rcx r8 r9, the
   * rest on the stack (rsp 16-byte aligned at the call), returning to a
   * sentinel page the emulator recognises; returns rax (unsigned 64-bit; use
   * `BigInt.asIntN(64, r)` for a signed result). Negative arguments are
   * passed modulo 2^64. Afterwards all registers but rax and rdx, rip and
   * rflags are restored; memory changes stay. Hooks stay active during the call.
   * @throws {@link EmulatorError} for an unknown symbol, or when the function
   *   exits the process or the run stops before it returns.
   * @throws {@link GuestFault} when the function faults (and has no handler).
   */
  call(fn: string | bigint | number, ...args: Array<bigint | number>): bigint {
    const target = typeof fn === "string" ? this.symbol(fn) : BigInt(fn);
    if (target === undefined) throw new EmulatorError(`no symbol '${fn}'`);
    const c = this.cpu;
    if (!this.sentinel) {
      const at = this.memory.findFree(4096, 0x7fff00000000, 0x10000);
      this.memory.map(at, 4096, PROT_READ | PROT_EXEC);
      this.memory.writeBytes(at, Uint8Array.of(0xf4), false); // hlt: never executed, calls stop before it
      this.sentinel = at;
      c.stopAt = at;
    }
    const savedRegs = Array.from({ length: 16 }, (_, k) => c.getReg64(k));
    const savedRip = c.rip;
    const savedFlags = c.getRflags();
    const REGS = [7, 6, 2, 1, 8, 9];
    args.slice(0, 6).forEach((v, k) => c.setReg64Big(REGS[k], BigInt.asUintN(64, BigInt(v))));
    const stackArgs = args.slice(6);
    let sp = c.regNum(4) - 256; // leave the red zone alone
    sp = Math.floor(sp / 16) * 16;
    if (stackArgs.length % 2) sp -= 8;
    for (let k = stackArgs.length - 1; k >= 0; k--) {
      sp -= 8;
      this.writeU64(sp, BigInt(stackArgs[k]));
    }
    sp -= 8;
    this.writeU64(sp, BigInt(this.sentinel)); // return address: (rsp + 8) % 16 === 0 at entry
    c.setRegNum(4, sp);
    c.rip = Number(target);
    c.setReg64(0, 0, 0);
    try {
      const r = this.run();
      if (r.kind === "signal") throw r.fault ?? new EmulatorError(`guest died by signal ${r.signal} during call`);
      if (r.kind === "exit") throw new EmulatorError(`guest exited (${r.code}) during call`);
      if (c.rip !== this.sentinel) throw new EmulatorError(`call stopped at 0x${c.rip.toString(16)} (${r.reason})`);
      return c.getReg64(0);
    } finally {
      const rax = c.getReg64(0);
      const rdx = c.getReg64(2);
      savedRegs.forEach((v, k) => c.setReg64Big(k, v));
      c.setReg64Big(0, rax);
      c.setReg64Big(2, rdx);
      c.rip = savedRip;
      c.setRflags(savedFlags);
    }
  }
}
