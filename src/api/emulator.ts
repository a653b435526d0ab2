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
import { Kernel, type ExitStatus } from "../kernel/index.js";
import { installAbiNames } from "../kernel/names.js";
import { Process, faultMessage } from "../emulator.js";
import type { ElfSymbol } from "../loader/elf.js";
import { regIndex, readRegister, writeRegister } from "./registers.js";

/** A guest fault that ended a run or a call (SIGSEGV, SIGILL, SIGFPE...). */
export class GuestFault extends Error {
  /** Signal number (11 SIGSEGV, 4 SIGILL, 8 SIGFPE, 5 SIGTRAP, 7 SIGBUS). */
  readonly signal: number;
  /** Faulting address (si_addr) */
  readonly address: bigint;
  /** Address of the faulting instruction */
  readonly rip: bigint;
  /** Intel-syntax text of the faulting instruction, when it could be decoded */
  readonly instruction: string;
  constructor(info: FaultInfo, symbols: ElfSymbol[] = []) {
    super(faultMessage(info, symbols));
    this.name = "GuestFault";
    this.signal = info.sig;
    this.address = BigInt(Math.max(0, Math.round(info.addr)));
    this.rip = BigInt(info.rip);
    this.instruction = info.text;
  }
}

/** How a run ended. */
export type RunResult =
  | { kind: "exit"; code: number }
  | { kind: "signal"; signal: number; fault: GuestFault | null }
  | { kind: "stopped"; reason: "limit" | "until" | "hook" | "stop" };

export interface RunOptions {
  /** Stop after this many instructions (counted from this call). */
  maxInstructions?: number;
  /** Stop before executing the instruction at this address. */
  until?: bigint | number;
}

export interface ElfOptions {
  /** argv (default: ["program"]) */
  argv?: string[];
  /** environment entries "NAME=value" (default: none) */
  envp?: string[];
  /** The outside world (default: a MemoryHost capturing output) */
  host?: Host;
  /** Print syscalls in strace format to this function */
  strace?: (line: string) => void;
}

export interface CodeOptions {
  /** Where the code is mapped (default 0x400000) */
  address?: bigint | number;
  host?: Host;
  /** Stack size in bytes (default 1 MiB) */
  stackSize?: number;
}

/** Memory protection bits for map/protect. */
export const PROT = { NONE: 0, READ: PROT_READ, WRITE: PROT_WRITE, EXEC: PROT_EXEC } as const;

/** Called before each instruction; return false to stop before it runs. */
export type InstructionHook = (address: bigint, text: string) => boolean | void;
/** Called for guest memory accesses in a watched range. */
export type MemoryAccessHook = (kind: "read" | "write", address: bigint, size: number, value: bigint) => void;
/** Called on each syscall; return a value to use as the result (and skip the kernel), or undefined. */
export type SyscallHook = (nr: number, args: bigint[]) => bigint | number | undefined;
/** Called when the guest faults; return "stop" to end the run with the fault instead of delivering it. */
export type FaultHook = (fault: GuestFault) => "stop" | void;

const STACK_TOP = 0x7ffffffff000;

/**
 * One emulated x86-64 Linux process.
 *
 * ```ts
 * const emu = Emulator.fromElf(bytes, { argv: ["prog"] });
 * const result = emu.run();
 * ```
 */
export class Emulator {
  /** The CPU (low-level access). */
  readonly cpu: CPU;
  /** Guest memory (low-level access). */
  readonly memory: Memory;
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
  private faultStopped: GuestFault | null = null;
  private sentinel = 0;

  private constructor(cpu: CPU, kernel: Kernel, host: Host, symbols: ElfSymbol[]) {
    this.cpu = cpu;
    this.memory = cpu.mem;
    this.kernel = kernel;
    this.host = host;
    this.symbols = symbols;
    const deliver = kernel.signalHandlers.fault;
    kernel.signalHandlers.fault = (k, info) => {
      if (this.faultHook && this.faultHook(new GuestFault(info, this.symbols)) === "stop") {
        this.faultStopped = new GuestFault(info, this.symbols);
        this.cpu.stopRequested = true;
        return;
      }
      deliver(k, info);
    };
  }

  /** Load a static x86-64 Linux ELF executable (throws ElfError for bad input). */
  static fromElf(bytes: Uint8Array, opts: ElfOptions = {}): Emulator {
    installAbiNames();
    const host = opts.host ?? new MemoryHost();
    const p = new Process(bytes, { argv: opts.argv ?? ["program"], envp: opts.envp ?? [], host, strace: opts.strace ?? null });
    return new Emulator(p.cpu, p.kernel, host, p.image.symbols);
  }

  /** Map raw machine code at an address (default 0x400000) with a stack; rip points at the code. */
  static fromCode(code: Uint8Array, opts: CodeOptions = {}): Emulator {
    installAbiNames();
    const host = opts.host ?? new MemoryHost();
    const mem = new Memory();
    const cpu = new CPU(mem);
    const kernel = new Kernel(cpu, host);
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

  /** Run until the process exits or dies, or a stop condition is met. */
  run(opts: RunOptions = {}): RunResult {
    const c = this.cpu;
    const until = opts.until !== undefined ? Number(opts.until) : undefined;
    const limit = opts.maxInstructions !== undefined ? c.icount + opts.maxInstructions : Infinity;
    this.stopFlag = false;
    this.hookStop = false;
    const userHook = this.instrHook;
    const needHook = until !== undefined || userHook !== null;
    const saved = c.insnHook;
    if (needHook) {
      c.insnHook = (cpu, i) => {
        if (until !== undefined && i.addr === until) return false;
        if (userHook && userHook(BigInt(i.addr), formatInsn(i)) === false) {
          this.hookStop = true;
          return false;
        }
        return true;
      };
    }
    try {
      while (!this.kernel.status && c.icount < limit && !this.stopFlag) {
        c.run(limit);
        if (this.faultStopped) {
          const f = this.faultStopped;
          this.faultStopped = null;
          return { kind: "signal", signal: f.signal, fault: f };
        }
        if (c.lastFault && !this.kernel.status) {
          const f = c.lastFault;
          c.lastFault = null;
          this.kernel.terminate({ kind: "signal", signal: f.sig, core: true, fault: f });
        }
        if (this.kernel.status) break;
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

  /** Execute one instruction; returns the result if the process ended, else null. */
  step(): RunResult | null {
    const r = this.run({ maxInstructions: 1 });
    return r.kind === "stopped" ? null : r;
  }

  /** Stop a run from inside a hook (takes effect after the current instruction). */
  stop(): void {
    this.stopFlag = true;
    this.cpu.stopRequested = true;
  }

  private toResult(s: ExitStatus): RunResult {
    if (s.kind === "exit") return { kind: "exit", code: s.code };
    return { kind: "signal", signal: s.signal, fault: s.fault ? new GuestFault(s.fault, this.symbols) : null };
  }

  // ---- registers ----------------------------------------------------------------------

  /** Read a register by name (rax..r15, eax.., ax.., al.., ah..dh, rip, rflags, fs_base, gs_base, xmm0..xmm15). */
  reg(name: string): bigint {
    return readRegister(this.cpu, regIndex(name));
  }

  /** Write a register by name; sub-registers merge (8/16-bit) or zero-extend (32-bit) like the CPU. */
  setReg(name: string, value: bigint | number): void {
    writeRegister(this.cpu, regIndex(name), BigInt(value));
  }

  // ---- memory -------------------------------------------------------------------------

  /** Read guest memory (throws MemoryFault on an unmapped page; ignores protection). */
  read(addr: bigint | number, len: number): Uint8Array {
    return this.memory.readBytes(Number(addr), len, false);
  }
  /** Write guest memory (ignores page protection, like a debugger). */
  write(addr: bigint | number, bytes: Uint8Array): void {
    this.memory.writeBytes(Number(addr), bytes, false);
  }
  readU8(addr: bigint | number): number {
    return this.read(addr, 1)[0];
  }
  readU16(addr: bigint | number): number {
    return new DataView(this.read(addr, 2).buffer).getUint16(0, true);
  }
  readU32(addr: bigint | number): number {
    return new DataView(this.read(addr, 4).buffer).getUint32(0, true);
  }
  readU64(addr: bigint | number): bigint {
    return new DataView(this.read(addr, 8).buffer).getBigUint64(0, true);
  }
  writeU8(addr: bigint | number, v: number): void {
    this.write(addr, Uint8Array.of(v));
  }
  writeU32(addr: bigint | number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(addr, b);
  }
  writeU64(addr: bigint | number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.write(addr, b);
  }
  /** Read a NUL-terminated string (UTF-8). */
  readCString(addr: bigint | number, max = 1 << 16): string {
    const out: number[] = [];
    for (let k = 0; k < max; k++) {
      const b = this.readU8(Number(addr) + k);
      if (b === 0) break;
      out.push(b);
    }
    return new TextDecoder().decode(Uint8Array.from(out));
  }
  /** Map fresh zeroed pages (page-rounded) with PROT.* bits. */
  map(addr: bigint | number, size: number, prot: number): void {
    this.memory.map(Number(addr), size, prot);
  }
  unmap(addr: bigint | number, size: number): void {
    this.memory.unmap(Number(addr), size);
    for (let a = Number(addr); a < Number(addr) + size; a += 4096) this.cpu.invalidatePage(Math.floor(a / 4096));
  }
  protect(addr: bigint | number, size: number, prot: number): boolean {
    return this.memory.protect(Number(addr), size, prot);
  }

  // ---- hooks --------------------------------------------------------------------------------

  /** Call `fn` before every instruction (single-steps while set); null removes it. */
  onInstruction(fn: InstructionHook | null): void {
    this.instrHook = fn;
  }

  /** Watch [start, end) for reads, writes or both. Returns a function that removes the hook. */
  onMemory(range: { start: bigint | number; end: bigint | number }, kind: "read" | "write" | "access", fn: MemoryAccessHook): () => void {
    const hook = {
      start: Number(range.start),
      end: Number(range.end),
      fn: (addr: number, size: number, k: "read" | "write", value: bigint) => {
        if (kind === "access" || kind === k) fn(k, BigInt(addr), size, value);
      },
    };
    this.memory.hooks.push(hook);
    this.memory.flushTlb();
    return () => {
      const i = this.memory.hooks.indexOf(hook);
      if (i >= 0) this.memory.hooks.splice(i, 1);
      this.memory.flushTlb();
    };
  }

  /** Intercept syscalls: return a result to skip the kernel, or undefined to let it run. */
  onSyscall(fn: SyscallHook | null): void {
    this.kernel.syscallHook = fn
      ? (nr, a) => {
          const r = fn(nr, [0, 1, 2, 3, 4, 5].map((k) => a.big(k)));
          return r === undefined ? undefined : Number(BigInt.asIntN(64, BigInt(r)));
        }
      : null;
  }

  /** Observe faults; returning "stop" ends the run with the fault instead of delivering the signal. */
  onFault(fn: FaultHook | null): void {
    this.faultHook = fn;
  }

  // ---- calling guest functions ----------------------------------------------------------

  /** Address of an ELF symbol, or undefined. */
  symbol(name: string): bigint | undefined {
    const s = this.symbols.find((x) => x.name === name);
    return s ? BigInt(s.value) : undefined;
  }

  /**
   * Call a guest function with the SysV x86-64 calling convention: integer
   * arguments in rdi rsi rdx rcx r8 r9, the rest on the stack; returns rax.
   * Registers other than rax/rdx and the stack pointer are restored afterwards.
   */
  call(fn: string | bigint | number, ...args: Array<bigint | number>): bigint {
    const target = typeof fn === "string" ? this.symbol(fn) : BigInt(fn);
    if (target === undefined) throw new Error(`no symbol '${fn}'`);
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
      if (r.kind === "signal") throw r.fault ?? new Error(`guest died by signal ${r.signal}`);
      if (r.kind === "exit") throw new Error(`guest exited (${r.code}) during call`);
      if (c.rip !== this.sentinel) throw new Error(`call stopped at 0x${c.rip.toString(16)} (${r.reason})`);
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
