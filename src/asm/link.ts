/**
 * Links one assembled object into a static x86-64 ELF executable with the
 * layout `ld -static` gives with its default script (-z separate-code, 4 KiB
 * pages): headers in a read-only segment at 0x400000, .text at 0x401000, the
 * read-only data on the next page, .data/.bss after it (on the next page, at
 * the same offset within the page as where the read-only data ended), the
 * symbols (locals, globals, __bss_start, _edata, _end) in .symtab, entry at
 * _start. So programs see the same addresses as when built with as + ld.
 */
import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, type ObjectFile, type ObjSection } from "./assemble.js";
import { AsmError, type AsmDiagnostic } from "./preprocess.js";

const BASE = 0x400000;
const PAGE = 0x1000;
const EHDR = 64, PHDR = 56, SHDR = 64, SYM = 24;
const SHN_ABS = 0xfff1;
const SHF_MERGE = 0x10, SHF_STRINGS = 0x20;

const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;

type SegKind = "text" | "ro" | "rw";

interface OutSection {
  name: string;
  flags: number;
  nobits: boolean;
  align: number;
  kind: SegKind;
  inputs: { index: number; offset: number }[];
  size: number;
  addr: number;
  fileOff: number;
}

function outputName(name: string): string {
  for (const base of [".text", ".rodata", ".data", ".bss"]) if (name === base || name.startsWith(base + ".")) return base;
  return name;
}

function kindOf(s: ObjSection): SegKind {
  if (s.flags & SHF_EXECINSTR) return "text";
  if (s.flags & SHF_WRITE || s.nobits) return "rw";
  return "ro";
}

export interface LinkOptions {
  /** Name of the object file recorded as the FILE symbol ("prog.o"). */
  objectName?: string;
  /** Called with ld's warnings (a missing _start). */
  warn?: (msg: string) => void;
}

/** A line table entry: the code of source `file:line` is at [addr, addr+size). */
export interface LineEntry {
  addr: number;
  size: number;
  file: string;
  line: number;
}

export interface Linked {
  /** The executable (the bytes of an ELF file). */
  elf: Uint8Array;
  /** Address -> source line for code, in address order. */
  lines: LineEntry[];
}

/** Links `obj` into an executable image. */
export function link(obj: ObjectFile, opts: LinkOptions = {}): Linked {
  const errors: AsmDiagnostic[] = [];
  // group input sections into output sections, in ld's order
  const outs: OutSection[] = [];
  const byName = new Map<string, OutSection>();
  const placeOf: { out: OutSection; offset: number }[] = [];
  obj.sections.forEach((s, index) => {
    if (!(s.flags & SHF_ALLOC) || s.size === 0) return;
    const name = outputName(s.name);
    let o = byName.get(name);
    if (!o) {
      o = { name, flags: 0, nobits: s.nobits, align: 1, kind: kindOf(s), inputs: [], size: 0, addr: 0, fileOff: 0 };
      byName.set(name, o);
      outs.push(o);
    }
    o.flags |= s.flags & ~(SHF_MERGE | SHF_STRINGS); // ld's output sections are not merge sections
    o.nobits &&= s.nobits;
    o.size = alignUp(o.size, s.align);
    o.align = Math.max(o.align, s.align);
    o.inputs.push({ index, offset: o.size });
    placeOf[index] = { out: o, offset: o.size };
    o.size += s.size;
  });
  const rank = (o: OutSection) =>
    ({ text: 0, ro: 2, rw: 4 })[o.kind] + ([".text", ".rodata", ".data"].includes(o.name) ? 0 : 1) + (o.nobits ? 10 : 0) - (o.name === ".bss" ? 1 : 0);
  const ordered = outs.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map((x) => x.o);

  const kinds: SegKind[] = ["text", "ro", "rw"];
  const present = kinds.filter((k) => ordered.some((o) => o.kind === k));
  // .note.GNU-stack in the input: ld adds PT_GNU_STACK (RW, or RWE when the note is executable)
  const stackNote = obj.sections.find((s) => s.name === ".note.GNU-stack");
  const phnum = 1 + present.length + (stackNote ? 1 : 0);
  const segs: { kind: SegKind; vaddr: number; off: number; filesz: number; memsz: number; flags: number }[] = [];

  // addresses
  let cursor = alignUp(BASE + EHDR + PHDR * phnum, PAGE);
  let fileEnd = EHDR + PHDR * phnum;
  let edata = 0, bssStart = 0, end = 0;
  for (const kind of kinds) {
    if (kind === "ro") cursor = alignUp(cursor, PAGE);
    // ld's DATA_SEGMENT_ALIGN: the next page plus the offset in the page. With nothing writable, GNU ld gives the bare
    // next page when that offset is a multiple of 8 (measured with ld 2.40 on .rodata of 1..0x80c bytes)
    if (kind === "rw") {
      const offset = cursor & (PAGE - 1);
      cursor = alignUp(cursor, PAGE) + (ordered.some((o) => o.kind === "rw") || offset % 8 !== 0 ? offset : 0);
    }
    const list = ordered.filter((o) => o.kind === kind);
    let segStart = -1, fileTop = 0;
    for (const o of list) {
      if (kind === "rw" && o.nobits && bssStart === 0) edata = bssStart = cursor;
      cursor = alignUp(cursor, o.align);
      o.addr = cursor;
      if (segStart < 0) segStart = cursor;
      // ld's script ends .bss aligned to 8 (". = ALIGN(. != 0 ? 64 / 8 : 1)" inside it)
      if (o.name === ".bss") o.size = alignUp(cursor + o.size, 8) - cursor;
      cursor += o.size;
      if (!o.nobits) fileTop = cursor;
    }
    if (kind === "rw") {
      if (bssStart === 0) edata = bssStart = cursor;
      end = alignUp(cursor, 8);
    }
    if (segStart < 0) continue;
    const off = fileEnd + ((((segStart - fileEnd) % PAGE) + PAGE) % PAGE);
    const filesz = Math.max(0, (fileTop || segStart) - segStart);
    // sections without file contents get the offset where the file contents end, as ld gives them
    for (const o of list) o.fileOff = off + (o.nobits ? filesz : o.addr - segStart);
    segs.push({ kind, vaddr: segStart, off, filesz, memsz: cursor - segStart, flags: kind === "text" ? 5 : kind === "ro" ? 4 : 6 });
    fileEnd = off + filesz;
  }

  // symbols
  const sectionAddr = (index: number) => {
    const p = placeOf[index];
    return p ? p.out.addr + p.offset : 0;
  };
  const symAddr = new Map<string, { value: number; shndx: number }>();
  const shndxOf = (index: number) => {
    const p = placeOf[index];
    return p ? ordered.indexOf(p.out) + 1 : SHN_ABS;
  };
  for (const s of obj.symbols) {
    if (s.section === "undef") continue;
    if (s.section === "abs") symAddr.set(s.name, { value: Number(s.value), shndx: SHN_ABS });
    else symAddr.set(s.name, { value: sectionAddr(s.section) + Number(s.value), shndx: shndxOf(s.section) });
  }
  const linkerSyms: [string, number][] = [["__bss_start", bssStart], ["_edata", edata], ["_end", end]];
  const lastIndex = (pred: (o: OutSection) => boolean) => {
    for (let i = ordered.length - 1; i >= 0; i--) if (pred(ordered[i])) return i + 1;
    return Math.max(1, ordered.length);
  };
  const bssIndex = ordered.some((o) => o.nobits) ? lastIndex((o) => o.nobits) : lastIndex((o) => !o.nobits);
  // _edata belongs to the last writable section with contents; without one, to .bss as in ld's output
  const rwData = lastIndex((o) => o.kind === "rw" && !o.nobits), firstBss = ordered.findIndex((o) => o.nobits) + 1;
  const edataIndex = ordered.some((o) => o.kind === "rw" && !o.nobits) ? rwData : firstBss > 0 ? firstBss : lastIndex((o) => !o.nobits);
  const linkerIndex: Record<string, number> = { __bss_start: bssIndex, _edata: edataIndex, _end: lastIndex(() => true) };
  for (const [n, v] of linkerSyms) if (!symAddr.has(n)) symAddr.set(n, { value: v, shndx: linkerIndex[n] });

  // section contents with relocations applied
  const image = new Map<OutSection, Uint8Array>();
  for (const o of ordered) if (!o.nobits) image.set(o, new Uint8Array(o.size));
  obj.sections.forEach((s, index) => {
    const p = placeOf[index];
    if (p && !p.out.nobits) image.get(p.out)!.set(s.bytes, p.offset);
  });
  const reported = new Set<string>();
  for (const r of obj.relocs) {
    const p = placeOf[r.section];
    if (!p) continue;
    let S: number;
    if (typeof r.symbol === "number") S = sectionAddr(r.symbol);
    else {
      const a = symAddr.get(r.symbol);
      if (!a) {
        const weak = obj.symbols.find((s) => s.name === r.symbol)?.weak;
        if (!weak) {
          const key = `${r.loc.file}:${r.loc.line}:${r.symbol}`;
          if (!reported.has(key)) errors.push({ ...r.loc, message: `undefined reference to \`${r.symbol}'` });
          reported.add(key);
          continue;
        }
        S = 0;
      } else S = a.value;
    }
    const P = p.out.addr + p.offset + r.offset;
    let v = BigInt(S) + r.addend - (r.pcRelative ? BigInt(P) : 0n);
    const bits = BigInt(r.size);
    const signedOk = v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n);
    const unsignedOk = v >= 0n && v < 1n << bits;
    const ok = r.size === 64 || (r.pcRelative || r.signed ? signedOk : r.size === 32 ? unsignedOk : signedOk || unsignedOk);
    if (!ok) {
      errors.push({ ...r.loc, message: `relocation truncated to fit: ${r.size}-bit value 0x${v.toString(16)}` });
      continue;
    }
    const buf = image.get(p.out);
    if (!buf) continue;
    v = BigInt.asUintN(r.size, v);
    for (let i = 0; i < r.size / 8; i++) {
      buf[p.offset + r.offset + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  if (errors.length) throw new AsmError(errors);

  let entry = symAddr.get("_start");
  const startSym = obj.symbols.find((s) => s.name === "_start");
  if (!entry || !startSym?.global) {
    const text = ordered.find((o) => o.kind === "text");
    const fallback = text ? text.addr : 0x401000;
    opts.warn?.(`warning: cannot find entry symbol _start; defaulting to 0x${fallback.toString(16)}`);
    entry = { value: fallback, shndx: 0 };
  }

  // .symtab / .strtab / .shstrtab
  const strtab: number[] = [0];
  const addStr = (s: string, table: number[]) => {
    const at = table.length;
    for (const c of new TextEncoder().encode(s)) table.push(c);
    table.push(0);
    return at;
  };
  const syms: { name: number; info: number; shndx: number; value: number; size: number }[] = [{ name: 0, info: 0, shndx: 0, value: 0, size: 0 }];
  const defined = obj.symbols.filter((s) => s.section !== "undef");
  const locals = defined.filter((s) => !s.global && !s.weak && !s.name.startsWith(".L"));
  // like ld: a FILE symbol heads the object's local symbols, if it has any
  if (locals.length) syms.push({ name: addStr(opts.objectName ?? "a.o", strtab), info: 4, shndx: SHN_ABS, value: 0, size: 0 });
  for (const s of locals) {
    const a = symAddr.get(s.name)!;
    syms.push({ name: addStr(s.name, strtab), info: s.type & 0xf, shndx: a.shndx, value: a.value, size: Number(s.size) });
  }
  const firstGlobal = syms.length;
  for (const s of defined.filter((s) => s.global || s.weak)) {
    const a = symAddr.get(s.name)!;
    syms.push({ name: addStr(s.name, strtab), info: ((s.weak ? 2 : 1) << 4) | (s.type & 0xf), shndx: a.shndx, value: a.value, size: Number(s.size) });
  }
  for (const [n] of linkerSyms) {
    if (defined.some((s) => s.name === n)) continue;
    const a = symAddr.get(n)!;
    syms.push({ name: addStr(n, strtab), info: 1 << 4, shndx: a.shndx, value: a.value, size: 0 });
  }
  const shstr: number[] = [0];
  const outNames = ordered.map((o) => addStr(o.name, shstr));
  const nSymtab = addStr(".symtab", shstr), nStrtab = addStr(".strtab", shstr), nShstr = addStr(".shstrtab", shstr);

  const symOff = alignUp(fileEnd, 8);
  const strOff = symOff + syms.length * SYM;
  const shstrOff = strOff + strtab.length;
  const shOff = alignUp(shstrOff + shstr.length, 8);
  const shnum = 1 + ordered.length + 3;
  const total = shOff + shnum * SHDR;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  /** Little-endian fields packed from offset o, one layout letter each: B u8, H u16, I u32, Q u64. */
  const struct = (o: number, layout: string, ...values: number[]) => {
    for (let i = 0; i < layout.length; i++) {
      const c = layout[i];
      if (c === "B") out[o++] = values[i];
      else if (c === "H") (dv.setUint16(o, values[i], true), (o += 2));
      else if (c === "I") (dv.setUint32(o, values[i], true), (o += 4));
      else (dv.setBigUint64(o, BigInt(values[i]), true), (o += 8));
    }
  };

  // ELF header
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  // ET_EXEC, EM_X86_64, version, entry, phoff, shoff, flags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx
  struct(16, "HHIQQQIHHHHHH", 2, 62, 1, entry.value, EHDR, shOff, 0, EHDR, PHDR, phnum, SHDR, shnum, shnum - 1);

  // program headers: the headers' own read-only segment, then text, read-only data, data
  const phdr = (i: number, flags: number, off: number, vaddr: number, filesz: number, memsz: number) => {
    struct(EHDR + i * PHDR, "IIQQQQQQ", 1 /* PT_LOAD */, flags, off, vaddr, vaddr, filesz, memsz, PAGE);
  };
  phdr(0, 4, 0, BASE, EHDR + PHDR * phnum, EHDR + PHDR * phnum);
  segs.forEach((s, i) => phdr(i + 1, s.flags, s.off, s.vaddr, s.filesz, s.memsz));
  if (stackNote) {
    struct(EHDR + (segs.length + 1) * PHDR, "IIQQQQQQ", 0x6474e551 /* PT_GNU_STACK */, stackNote.flags & SHF_EXECINSTR ? 7 : 6, 0, 0, 0, 0, 0, 16);
  }

  for (const o of ordered) if (!o.nobits) out.set(image.get(o)!, o.fileOff);
  syms.forEach((s, i) => struct(symOff + i * SYM, "IBBHQQ", s.name, s.info, 0, s.shndx, s.value, s.size));
  out.set(strtab, strOff);
  out.set(shstr, shstrOff);

  const shdr = (i: number, name: number, type: number, flags: number, addr: number, off: number, size: number, link: number, info: number, align: number, entsize: number) =>
    struct(shOff + i * SHDR, "IIQQQQIIQQ", name, type, flags, addr, off, size, link, info, align, entsize);
  ordered.forEach((o, i) => shdr(i + 1, outNames[i], o.nobits ? 8 : 1, o.flags, o.addr, o.fileOff, o.size, 0, 0, o.align, 0));
  const k = ordered.length + 1;
  shdr(k, nSymtab, 2, 0, 0, symOff, syms.length * SYM, k + 1, firstGlobal, 8, SYM);
  shdr(k + 1, nStrtab, 3, 0, 0, strOff, strtab.length, 0, 0, 1, 0);
  shdr(k + 2, nShstr, 3, 0, 0, shstrOff, shstr.length, 0, 0, 1, 0);
  const lines = obj.lines
    .filter((l) => placeOf[l.section])
    .map((l) => ({ addr: sectionAddr(l.section) + l.offset, size: l.size, file: l.loc.file, line: l.loc.line }))
    .sort((a, b) => a.addr - b.addr);
  return { elf: out, lines };
}
