/**
 * The process model lives in src/kernel/program.ts (Process) and the task
 * table in src/kernel/task.ts; this module keeps the old import path and the
 * fault message.
 */
import { type FaultInfo, hexAddr } from "./cpu/cpu.js";
import { formatBytes } from "./decoder/format.js";
import { sigName } from "./kernel/index.js";
import type { ElfSymbol } from "./loader/elf.js";
import { symbolize } from "./kernel/symbols.js";

export { Process, type ProcessOptions } from "./kernel/program.js";
export { symbolize };

/** The one-line message for a fatal fault: `SIGSEGV at 0x401003 (_start+3): mov rbx, qword ptr [rax] — read of unmapped address 0x0`. */
export function faultMessage(f: FaultInfo, symbols: ElfSymbol[]): string {
  const sym = symbolize(symbols, f.rip);
  const where = `0x${hexAddr(f.rip)}${sym ? ` (${sym})` : ""}`;
  const insn = f.text ? f.text : f.bytes.length ? `bytes ${formatBytes(f.bytes)}` : "";
  return `${sigName(f.sig)} at ${where}: ${insn ? insn + " — " : ""}${f.message}${f.text && f.bytes.length ? ` [${formatBytes(f.bytes)}]` : ""}`;
}
