/** Addresses as symbols for messages (`name+off`) and the one-line message of a fatal fault. */
import { type FaultInfo, hexAddr } from "../cpu/cpu.js";
import { formatBytes } from "../decoder/format.js";
import type { ElfSymbol } from "../loader/elf.js";
import { sigName } from "./kernel.js";

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
