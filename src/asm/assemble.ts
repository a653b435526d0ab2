/**
 * Assembles preprocessed source with @defasm/core (instruction encoding,
 * expressions, sections, symbols) and collects what the linker needs: each
 * section's bytes and alignment, relocations with the source line they come
 * from, and the symbols. Alignment padding is found by iterating: assemble,
 * read where each alignment marker landed, pad, assemble again, until no
 * padding changes (branch relaxation may move later code).
 */
import { AssemblyState, type DefasmSection, type DefasmSymbol } from "@defasm/core";
import { RelocEntry } from "@defasm/core/relocations.js";
import { AsmError, byteDirective, nopFill, type AsmDiagnostic, type Preprocessed, type SourceLoc } from "./preprocess.js";

export const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const SHT_NOBITS = 8;

export interface ObjSection {
  name: string;
  flags: number;
  nobits: boolean;
  bytes: Uint8Array;
  size: number;
  align: number;
}

export interface ObjReloc {
  section: number;
  offset: number;
  /** Symbol name, or the section index for a section-relative reference. */
  symbol: string | number;
  addend: bigint;
  size: number;
  signed: boolean;
  pcRelative: boolean;
  loc: SourceLoc;
}

export interface ObjSymbol {
  name: string;
  /** Section index, "abs" for a constant, "undef" when not defined. */
  section: number | "abs" | "undef";
  value: bigint;
  global: boolean;
  weak: boolean;
  type: number;
  size: bigint;
}

/** Where the bytes of a source line went (for debuggers: address -> line). */
export interface ObjLine {
  section: number;
  offset: number;
  size: number;
  loc: SourceLoc;
}

export interface ObjectFile {
  sections: ObjSection[];
  relocs: ObjReloc[];
  symbols: ObjSymbol[];
  lines: ObjLine[];
}

const MAX_PASSES = 20;
const STT_SECTION = 3;
const isInternal = (name: string) => name.startsWith(".Lx64emu_");

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], pos: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function compile(pp: Preprocessed, pads: number[][]): AssemblyState {
  const lines = pp.lines.slice();
  pp.aligns.forEach((a, i) => {
    if (pads[i].length) lines[a.line] = `${a.marker}: ` + byteDirective(pads[i]).join("; ");
  });
  const state = new AssemblyState();
  // the library reports its internal errors on the console (with a stack) and as the statement's error
  const consoleError = console.error;
  console.error = () => undefined;
  try {
    state.compile(lines.join("\n"));
  } finally {
    console.error = consoleError;
  }
  return state;
}

/** Assembles preprocessed source into an object: sections, relocations, symbols. */
export function assemble(pp: Preprocessed): ObjectFile {
  let pads: number[][] = pp.aligns.map(() => []);
  let state: AssemblyState | null = null;
  const sectionAlign = new Map<DefasmSection, number>();
  for (let pass = 0; ; pass++) {
    state = compile(pp, pads);
    if (state.errors.length) break;
    let changed = false;
    sectionAlign.clear();
    // walk the markers in order, shifting each by the padding changes before it in its section
    const shift = new Map<DefasmSection, number>();
    const next = pp.aligns.map((a, i) => {
      const sym = state!.symbols.get(a.marker);
      const st = sym?.statement;
      if (!st) return pads[i];
      const sec = st.section;
      sectionAlign.set(sec, Math.max(sectionAlign.get(sec) ?? 1, a.align));
      const at = st.address + (shift.get(sec) ?? 0);
      let need = (a.align - (at % a.align)) % a.align;
      if (a.max !== null && need > a.max) need = 0;
      shift.set(sec, (shift.get(sec) ?? 0) + need - pads[i].length);
      const code = (sec.flags & SHF_EXECINSTR) !== 0;
      // in code, as pads with long NOPs unless told another byte than nop's 0x90
      const bytes = code && (a.fill === null || (a.fill & 0xff) === 0x90) ? nopFill(need) : new Array<number>(need).fill((a.fill ?? 0) & 0xff);
      if (bytes.length !== pads[i].length) changed = true;
      return bytes;
    });
    if (!changed) break;
    if (pass === MAX_PASSES) throw new AsmError([{ ...pp.locs[pp.aligns[0].line], message: "alignment padding does not settle" }]);
    pads = next;
  }

  // errors, mapped back to file:line
  const starts = lineStarts(state.source);
  const locAt = (outLine: number): SourceLoc => pp.locs[Math.min(outLine, pp.locs.length - 1)] ?? { file: "?", line: 0 };
  const diags: AsmDiagnostic[] = [];
  for (const e of state.errors) {
    const pos = e.range ? (e.range.parent ? e.range.parent.start : e.range.start) : 0;
    const line = lineOf(starts, pos);
    const text = pp.texts[Math.min(line, pp.texts.length - 1)] ?? "";
    // a JavaScript error from inside the library: an instruction form it cannot encode
    const message = e instanceof Error ? `cannot encode this instruction (assembler library: ${e.message})` : e.message;
    const d = { ...locAt(line), message: text ? `${message}: \`${text}'` : message };
    // the library can report one statement's error twice
    if (!diags.some((x) => x.file === d.file && x.line === d.line && x.message === d.message)) diags.push(d);
  }

  const secIndex = new Map<DefasmSection, number>();
  const sections: ObjSection[] = state.sections.map((s, i) => {
    secIndex.set(s, i);
    const nobits = s.type === SHT_NOBITS;
    const bytes = s.head.dump();
    return { name: s.name, flags: s.flags, nobits, bytes: nobits ? new Uint8Array(0) : new Uint8Array(bytes), size: bytes.length, align: sectionAlign.get(s) ?? 1 };
  });

  // relocations, with their source lines
  const relocs: ObjReloc[] = [];
  const lines: ObjLine[] = [];
  const used = new Set<string>();
  state.iterate((instr, line) => {
    if (instr.removed) return;
    if (instr.length > 0 && instr.section.flags & SHF_EXECINSTR && !pp.lines[line - 1]?.startsWith(".Lx64emu_align_"))
      lines.push({ section: secIndex.get(instr.section) ?? 0, offset: instr.address, size: instr.length, loc: locAt(line - 1) });
    if (!instr.relocations.length) return;
    for (const raw of instr.relocations) {
      const r = new RelocEntry({ ...raw, offset: instr.address + raw.offset });
      const sym = r.symbol;
      let symbol: string | number;
      if (sym && sym.type === STT_SECTION && sym.statement) symbol = secIndex.get(sym.statement.section) ?? 0;
      else if (sym) {
        symbol = sym.name;
        used.add(sym.name);
      } else symbol = -1;
      relocs.push({ section: secIndex.get(instr.section) ?? 0, offset: r.offset, symbol, addend: r.addend, size: r.size, signed: r.signed, pcRelative: r.pcRelative, loc: locAt(line - 1) });
    }
  });

  // symbols
  const sizeOf = new Map<string, string>(pp.sizes.map((s) => [s.name, s.marker]));
  const resolving = new Set<DefasmSymbol>();
  const resolve = (sym: DefasmSymbol): { section: number | "abs" | "undef"; value: bigint } => {
    const v = sym.value;
    if (!sym.statement || sym.statement.error || resolving.has(sym)) return { section: "undef", value: 0n };
    if (v.symbol && v.symbol.type === STT_SECTION && v.symbol.statement) return { section: secIndex.get(v.symbol.statement.section) ?? "undef", value: v.addend };
    if (v.symbol && v.symbol !== sym) {
      resolving.add(sym);
      const inner = resolve(v.symbol);
      resolving.delete(sym);
      return { section: inner.section, value: inner.value + v.addend };
    }
    if (v.section && "head" in v.section) return { section: secIndex.get(v.section) ?? "undef", value: v.addend };
    if (v.section?.name === "*ABS*") return { section: "abs", value: v.addend };
    return { section: "undef", value: 0n };
  };
  const symbols: ObjSymbol[] = [];
  for (const [name, sym] of state.symbols) {
    if (sym.type === STT_SECTION) continue;
    const { section, value } = resolve(sym);
    if (section === "undef" && !used.has(name) && !sym.bind) continue;
    const sizeMarker = sizeOf.get(name);
    const size = sizeMarker && state.symbols.get(sizeMarker) ? resolve(state.symbols.get(sizeMarker)!).value : 0n;
    symbols.push({ name, section, value, global: sym.bind === 1, weak: sym.bind === 2, type: sym.type ?? 0, size: size < 0n ? 0n : size });
  }
  if (diags.length) throw new AsmError(diags);
  return { sections, relocs, lines, symbols: symbols.filter((s) => !isInternal(s.name)) };
}
