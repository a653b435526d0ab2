/**
 * Instruction trace (--trace): each executed instruction with its address,
 * symbol, bytes and Intel-syntax text, followed by the registers it changed.
 */
import { REG_NAMES, type CPU } from "../cpu/cpu.js";
import { formatBytes, formatInsn } from "../decoder/format.js";
import type { Insn } from "../decoder/insn.js";
import { symbolize } from "../kernel/symbols.js";
import type { ElfSymbol } from "../loader/elf.js";

export interface TraceOptions {
  out: (line: string) => void;
  symbols: ElfSymbol[];
  /** Start tracing when rip first reaches this address (default: at once). */
  from?: number;
  /** Stop tracing after this many instructions. */
  limit?: number;
}

function hex(v: bigint | number): string {
  return "0x" + v.toString(16);
}

/** Install the tracer on the CPU (uses the per-instruction hook, so the JIT stays off while tracing). */
export function installTracer(cpu: CPU, opts: TraceOptions): { flush: () => void } {
  const before = new Array<bigint>(17).fill(0n);
  let pending: string | null = null;
  let active = opts.from === undefined;
  let count = 0;
  const limit = opts.limit ?? Infinity;
  const snapshot = () => {
    for (let r = 0; r < 16; r++) before[r] = cpu.getReg64(r);
    before[16] = BigInt(cpu.getRflags());
  };
  const flush = () => {
    if (pending === null) return;
    const changes: string[] = [];
    for (let r = 0; r < 16; r++) {
      const v = cpu.getReg64(r);
      if (v !== before[r]) changes.push(`${REG_NAMES[r]}=${hex(v)}`);
    }
    const f = BigInt(cpu.getRflags());
    if (f !== before[16]) changes.push(`rflags=${hex(f)}`);
    opts.out(changes.length ? `${pending}  ; ${changes.join(" ")}` : pending);
    pending = null;
  };
  cpu.jitEnabled = false;
  cpu.insnHook = (c: CPU, i: Insn) => {
    flush();
    if (!active) {
      if (i.addr !== opts.from) return;
      active = true;
    }
    if (count >= limit) {
      cpu.insnHook = null; // trace done: run on at full speed
      cpu.jitEnabled = true;
      return;
    }
    count++;
    const sym = symbolize(opts.symbols, i.addr);
    const bytes = Array.from(c.mem.readBytes(i.addr, i.len, false));
    pending = `${hex(i.addr)}${sym ? ` <${sym}>` : ""}: ${formatBytes(bytes).padEnd(24)} ${formatInsn(i)}`;
    snapshot();
  };
  return { flush };
}
