/**
 * The first process of an emulation: its CPU, memory and kernel, the loaded
 * image, and the scheduler that runs it and every task it makes (threads,
 * children). The CLI and the public API (src/api) are thin layers over this.
 */
import { CPU } from "../cpu/cpu.js";
import { CPU_MODELS, cpuModel } from "../cpu/cpuid.js";
import { Memory } from "../cpu/memory.js";
import type { Host } from "../host/host.js";
import type { LoadedImage } from "../loader/load.js";
import { Kernel, type ExitStatus, type KernelOptions } from "./kernel.js";
import { installSignals } from "./signals.js";
import { Scheduler, idleUntil } from "./task.js";
import { loadProgram } from "./exec.js";
import { symbolize } from "./symbols.js";
import "./index.js"; // every syscall family

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
  readonly kernel: Kernel;
  readonly sched: Scheduler;
  private readonly firstImage: LoadedImage;
  /**
   * When nothing can run and only an outside event (a host signal) or a
   * timer can help: "sync" sleeps until the timer (or returns null when
   * there is none); "async" returns null at once and the caller awaits
   * (see Scheduler.idleDeadline).
   */
  waitMode: "sync" | "async" = "sync";

  constructor(bytes: Uint8Array, opts: ProcessOptions) {
    const cpu = new CPU(new Memory(undefined, { maxBytes: opts.maxMemory }));
    const model = cpuModel(opts.cpu ?? "max");
    if (!model) throw new Error(`unknown CPU model '${opts.cpu}' (known: ${CPU_MODELS.join(", ")})`);
    cpu.features = model;
    this.kernel = new Kernel(cpu, opts.host, opts);
    installSignals(this.kernel);
    const image = loadProgram(this.kernel, cpu, bytes, { argv: opts.argv, envp: opts.envp, execfn: opts.execfn ?? opts.argv[0] ?? "", exePath: opts.exePath, stackSize: opts.stackSize });
    this.firstImage = image;
    this.kernel.state.brk = image.brk;
    this.kernel.state.image = image;
    if (opts.exePath) this.kernel.state.exePath = opts.exePath;
    if (opts.stackSize) this.kernel.state.stackSize = opts.stackSize;
    if (opts.maxMemory) this.kernel.state.maxMemory = opts.maxMemory;
    // rdx = 0 at entry (no rtld fini function); other registers are zero
    this.sched = new Scheduler(this.kernel);
  }

  /** The CPU of the first process (a new one after it calls execve). */
  get cpu(): CPU {
    return this.kernel.cpu;
  }
  get mem(): Memory {
    return this.kernel.cpu.mem;
  }
  /** The program image of the first process. */
  get image(): LoadedImage {
    return (this.kernel.state.image as LoadedImage | undefined) ?? this.firstImage;
  }

  /**
   * Run every task until the first process has ended and every task of its
   * session with it (returns how the first process ended: orphans, such as
   * a shell's background jobs, run to their end first; see
   * Scheduler.finished), `maxInstructions` have run in all (null), or, in
   * "async" wait mode, nothing can run before an outside event or a timer
   * (null, with `sched.idle` set). Once the first process has ended,
   * orphans that nothing but a signal could wake are abandoned.
   */
  run(maxInstructions = Infinity): ExitStatus | null {
    const s = this.sched;
    const end = s.executed + maxInstructions;
    s.idle = false;
    while (!s.finished() && s.executed < end) {
      const r = s.step(Math.min(end - s.executed, 20_000_000));
      if (r === "done") break;
      if (r === "idle") {
        const host = this.kernel.host;
        if (s.root.status && s.idleDeadline === null) return s.root.status;
        if (this.waitMode === "async" || s.idleDeadline === null) {
          s.idle = true;
          return null;
        }
        idleUntil(host, s.idleDeadline);
      }
    }
    return s.finished() ? s.root.status : null;
  }

  symbolize(addr: number): string {
    return symbolize(this.image.symbols, addr);
  }
}

