/**
 * GNU as source -> static x86-64 ELF executable, in memory: what `as` + `ld
 * -static` would build, so `x64emu prog.s` runs the program as the lesson's
 * toolchain would. Browser-safe (no node:*): included files come from a callback.
 */
import { assemble } from "./assemble.js";
import { link, type Linked } from "./link.js";
import { preprocess, type ReadSource } from "./preprocess.js";

export type { LineEntry, Linked } from "./link.js";
export { AsmError, type AsmDiagnostic, type SourceLoc, type ReadSource } from "./preprocess.js";

export interface AssembleOptions {
  /** Reads files named by `.include` (resolved against the including file's directory, then includeDirs). */
  readFile?: ReadSource;
  includeDirs?: string[];
  /** ld's warnings (no _start). */
  warn?: (msg: string) => void;
}

/** Assembles and links `source` (the contents of `file`) into an ELF; throws AsmError with file:line diagnostics. */
export function assembleProgram(source: string, file: string, opts: AssembleOptions = {}): Uint8Array {
  return buildProgram(source, file, opts).elf;
}

/** As {@link assembleProgram}, with the line table (address -> source line) for debuggers. */
export function buildProgram(source: string, file: string, opts: AssembleOptions = {}): Linked {
  const pp = preprocess(source, file, { readFile: opts.readFile, includeDirs: opts.includeDirs });
  const obj = assemble(pp);
  const base = file.slice(file.lastIndexOf("/") + 1).replace(/\.(s|S|asm)$/, "");
  return link(obj, { objectName: `${base}.o`, warn: opts.warn });
}
