/** Addresses as symbols for messages: `name+off`. */
import type { ElfSymbol } from "../loader/elf.js";

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

