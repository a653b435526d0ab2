/**
 * Crash report (--crash-report): registers, the faulting instruction with a
 * few instructions around it, and the symbol of rip.
 */
import { REG_NAMES, type CPU, type FaultInfo } from "../cpu/cpu.js";
import { decode } from "../decoder/decode.js";
import { formatBytes, formatInsn } from "../decoder/format.js";
import { Insn } from "../decoder/insn.js";
import { symbolize } from "../kernel/symbols.js";
import type { ElfSymbol } from "../loader/elf.js";

function hex16(v: bigint): string {
  return "0x" + v.toString(16).padStart(16, "0");
}

function decodeFrom(cpu: CPU, addr: number, max: number): Insn[] {
  const out: Insn[] = [];
  const fetch = (a: number) => cpu.mem.readBytes(a, 1, false)[0];
  for (let k = 0; k < max; k++) {
    try {
      const i = decode(fetch, addr, new Insn());
      out.push(i);
      addr = i.next;
    } catch {
      break;
    }
  }
  return out;
}

/** Multi-line report for a fatal fault. */
export function crashReport(cpu: CPU, f: FaultInfo, symbols: ElfSymbol[]): string {
  const lines: string[] = [];
  const regs = REG_NAMES.map((n, r) => `${n.padStart(3)} ${hex16(cpu.getReg64(r))}`);
  for (let k = 0; k < 16; k += 4) lines.push(regs.slice(k, k + 4).join("  "));
  lines.push(`rip ${hex16(BigInt(f.rip))}  rflags ${hex16(BigInt(cpu.getRflags()))}  fs_base ${hex16(BigInt(cpu.fsBase))}`);
  // instructions around rip: decode forward from the enclosing symbol (or from rip)
  let start = f.rip;
  const sym = symbols.filter((s) => s.value <= f.rip && f.rip - s.value < 4096).sort((a, b) => b.value - a.value)[0];
  if (sym) start = sym.value;
  let list = decodeFrom(cpu, start, 4096);
  let at = list.findIndex((i) => i.addr === f.rip);
  if (at < 0) {
    list = decodeFrom(cpu, f.rip, 4);
    at = 0;
  }
  if (list.length === 0) lines.push(`code at 0x${f.rip.toString(16)} is not readable`);
  for (const i of list.slice(Math.max(0, at - 3), at + 4)) {
    const s = symbolize(symbols, i.addr);
    const bytes = Array.from(cpu.mem.readBytes(i.addr, i.len, false));
    lines.push(`${i.addr === f.rip ? "=>" : "  "} 0x${i.addr.toString(16)}${s ? ` <${s}>` : ""}: ${formatBytes(bytes).padEnd(24)} ${formatInsn(i)}`);
  }
  return lines.join("\n");
}
