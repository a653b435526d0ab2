/**
 * Instruction handler registry: the decoder's OpDef.key -> executor function.
 * Each instruction family (src/cpu/isa/*.ts) registers its handlers here.
 */
import { INVALID } from "../decoder/decode.js";
import { ATTR_PRIV, type Insn, type OpDef } from "../decoder/insn.js";
import type { CPU } from "./cpu.js";
import { CpuException, ILL_ILLOPN, SIGILL, SIGSEGV, SI_KERNEL } from "./exceptions.js";

export type Handler = (c: CPU, i: Insn) => void;

const registry = new Map<string, Handler>();

/** Register the handler for a table key (mnemonic or `@key`). */
export function register(key: string, fn: Handler): void {
  registry.set(key, fn);
}

/** Register one handler under several keys. */
export function registerAll(keys: string[], fn: Handler): void {
  for (const k of keys) registry.set(k, fn);
}

/** The handler registered for a key, if any. */
export function handlerByKey(key: string): Handler | undefined {
  return registry.get(key);
}

export function hasHandler(key: string): boolean {
  return registry.has(key);
}

/** Keys with handlers (for the README / tests). */
export function handlerKeys(): string[] {
  return [...registry.keys()].sort();
}

/** #UD: an invalid opcode. */
export const invalidOpcode: Handler = (c, i) => {
  // 62 in 64-bit mode is the EVEX prefix: name the extension rather than calling it a decoding error
  if (i.map === 0 && i.opcode === 0x62) throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "invalid instruction: AVX-512 (EVEX-encoded) is not implemented, and CPUID does not advertise it");
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, "invalid instruction");
};

/** A valid instruction the emulator does not implement: SIGILL with a clear message. */
const unsupported: Handler = (c, i) => {
  throw new CpuException(SIGILL, ILL_ILLOPN, i.addr, `unsupported instruction '${i.mnem}'`);
};

/** Privileged instruction in user mode: #GP -> SIGSEGV (si_code SI_KERNEL, si_addr 0), as Linux. */
const privileged: Handler = (c, i) => {
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, `privileged instruction '${i.mnem}' in user mode`);
};

export function handlerFor(def: OpDef): Handler {
  if (def.fn) return def.fn as Handler;
  let fn = def.attrs & ATTR_PRIV ? privileged : registry.get(def.key);
  if (!fn) fn = def === INVALID ? invalidOpcode : unsupported;
  def.fn = fn;
  return fn;
}

/** Is this decoded definition implemented? */
export function isSupported(def: OpDef): boolean {
  return def !== INVALID && registry.has(def.key);
}
