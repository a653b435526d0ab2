/**
 * One emulated process: CPU + memory + kernel + loaded image. The CLI and the
 * public API (index.ts) are thin layers over this.
 */
import { CPU, type FaultInfo, hexAddr } from "./cpu/cpu.js";
import { CPU_MODELS, cpuModel } from "./cpu/cpuid.js";
import { Memory } from "./cpu/memory.js";
import { formatBytes } from "./decoder/format.js";
import type { Host } from "./host/host.js";
import { Kernel, type ExitStatus, type KernelOptions, sigName, installSignals, deliverPending } from "./kernel/index.js";
import { ElfError, parseElf, printable, type ElfSymbol } from "./loader/elf.js";
import { loadElf, type Interpreter, type LoadedImage } from "./loader/load.js";

export interface ProcessOptions extends KernelOptions {
  argv: string[];
  envp: string[];
  host: Host;
  /** AT_EXECFN (defaults to argv[0]) */
  execfn?: string;
  /** Absolute path of the program (readlink("/proc/self/exe")) */
  exePath?: string;
  /** Size of the initial stack mapping (default 8 MiB) */
  stackSize?: number;
  /** Most bytes of guest RAM (default: as much as the emulator can hold, 4 GiB less 1 MiB). */
  maxMemory?: number;
  /** CPU model (src/cpu/cpuid.ts CPU_MODELS: max, x86-64, x86-64-v2, x86-64-v3; default max) */
  cpu?: string;
}

export class Process {
  readonly mem: Memory;
  readonly cpu: CPU;
  readonly kernel: Kernel;
  readonly image: LoadedImage;

  constructor(bytes: Uint8Array, opts: ProcessOptions) {
    const elf = parseElf(bytes);
    this.mem = new Memory(undefined, { maxBytes: opts.maxMemory });
    this.cpu = new CPU(this.mem);
    const model = cpuModel(opts.cpu ?? "max");
    if (!model) throw new Error(`unknown CPU model '${opts.cpu}' (known: ${CPU_MODELS.join(", ")})`);
    this.cpu.features = model;
    this.kernel = new Kernel(this.cpu, opts.host, opts);
    installSignals(this.kernel);
    const random = new Uint8Array(16);
    opts.host.randomBytes(random);
    const interp = elf.interp !== null ? readInterpreter(opts.host, elf.interp) : null;
    this.image = loadElf(
      this.mem,
      elf,
      bytes,
      {
        argv: opts.argv,
        envp: opts.envp,
        execfn: opts.execfn ?? opts.argv[0] ?? "",
        exePath: opts.exePath,
        random,
        uid: opts.host.getuid(),
        gid: opts.host.getgid(),
        hwcap: model.leaf1Edx,
        stackSize: opts.stackSize,
      },
      interp,
    );
    this.kernel.state.brk = this.image.brk;
    this.kernel.state.image = this.image;
    if (opts.exePath) this.kernel.state.exePath = opts.exePath;
    this.cpu.rip = this.image.entry;
    this.cpu.setRegNum(4, this.image.sp);
    // rdx = 0 at entry (no rtld fini function); other registers are zero
  }

  /** Run until the process exits or dies; returns how it ended. */
  run(limit = Infinity): ExitStatus | null {
    const k = this.kernel;
    while (!k.status && this.cpu.icount < limit) {
      // slices, so that timers (alarm) and queued signals are delivered in long computations
      this.cpu.run(Math.min(limit, this.cpu.icount + 20_000_000));
      if (this.cpu.lastFault && !k.status) {
        const f = this.cpu.lastFault;
        this.kernel.terminate({ kind: "signal", signal: f.sig, core: true, fault: f });
      }
      if (k.state.waitingForSignal) break; // the runner waits for a host signal, then calls run again
      if (!k.status) deliverPending(k);
    }
    return k.status;
  }

  symbolize(addr: number): string {
    return symbolize(this.image.symbols, addr);
  }
}

/** Read and parse the program interpreter (PT_INTERP) through the host's file system (sysroot first, then /). */
function readInterpreter(host: Host, path: string): Interpreter {
  const name = printable(path); // the name comes from the file: quoted, escaped
  const fs = host.fs;
  const missing = () => new ElfError(`cannot find its program interpreter ${name} (for libraries from another root: -L/--sysroot DIR or X64EMU_LD_PREFIX)`);
  if (!fs) throw missing();
  const h = fs.open(path, 0, 0);
  if (h < 0) throw missing();
  try {
    const st = fs.fstat(h);
    if (typeof st === "number" || (st.mode & 0o170000) !== 0o100000) throw new ElfError(`its program interpreter ${name} is not a regular file`);
    const bytes = new Uint8Array(st.size);
    for (let o = 0; o < st.size; ) {
      const n = fs.pread(h, bytes.subarray(o), o);
      if (n <= 0) throw new ElfError(`cannot read its program interpreter ${name}`);
      o += n;
    }
    let elf;
    try {
      elf = parseElf(bytes);
    } catch (e) {
      throw new ElfError(`its program interpreter ${name}: ${(e as Error).message}`);
    }
    if (elf.interp !== null) throw new ElfError(`its program interpreter ${name} itself needs an interpreter`);
    return { elf, bytes, path };
  } finally {
    fs.close(h);
  }
}

/** `name+off` for an address, or "" when no symbol covers it. */
export function symbolize(symbols: ElfSymbol[], addr: number): string {
  let best: ElfSymbol | null = null;
  for (const s of symbols) {
    if (s.value <= addr && (best === null || s.value > best.value) && (s.size === 0 || addr < s.value + s.size || s.type === 0)) best = s;
  }
  if (!best) return "";
  const off = addr - best.value;
  return off ? `${best.name}+${off}` : best.name;
}

/** The one-line message for a fatal fault: `SIGSEGV at 0x401003 (_start+3): mov rbx, qword ptr [rax] — read of unmapped address 0x0`. */
export function faultMessage(f: FaultInfo, symbols: ElfSymbol[]): string {
  const sym = symbolize(symbols, f.rip);
  const where = `0x${hexAddr(f.rip)}${sym ? ` (${sym})` : ""}`;
  const insn = f.text ? f.text : f.bytes.length ? `bytes ${formatBytes(f.bytes)}` : "";
  return `${sigName(f.sig)} at ${where}: ${insn ? insn + " — " : ""}${f.message}${f.text && f.bytes.length ? ` [${formatBytes(f.bytes)}]` : ""}`;
}
