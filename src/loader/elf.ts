/**
 * ELF parsing: elfy reads the file header and program headers behind this
 * adapter, which validates everything the loader uses and reads from the raw
 * bytes what elfy gets wrong (unknown p_type values, section headers, symbols).
 * Every problem becomes an ElfError with one clear sentence.
 */
import elfy from "elfy";
import { Buffer } from "buffer";

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_* type: 0 notype, 1 object, 2 func */
  type: number;
  /** STB_* binding: 0 local, 1 global, 2 weak */
  bind: number;
}

export interface ElfFile {
  /** ET_EXEC (2) or ET_DYN (3) */
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  programs: ProgramHeader[];
  interp: string | null;
  symbols: ElfSymbol[];
}

const MACHINES: Record<number, string> = {
  3: "i386",
  8: "MIPS",
  20: "PowerPC",
  21: "PowerPC64",
  22: "S/390",
  40: "ARM",
  62: "x86-64",
  183: "AArch64",
  243: "RISC-V",
  258: "LoongArch",
};

const ET_NAMES: Record<number, string> = { 0: "ET_NONE", 1: "ET_REL (an object file, not linked)", 4: "ET_CORE (a core dump)" };

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
/** 64-bit field as a JS number; values above 2^53 are rejected. */
function u64(b: Uint8Array, o: number, what: string): number {
  const lo = u32(b, o);
  const hi = u32(b, o + 4);
  if (hi >= 0x200000) throw new ElfError(`malformed ELF: ${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is out of range`);
  return hi * 4294967296 + lo;
}

/** 64-bit field as a JS number whatever its size (exact below 2^53): fields of segments Linux ignores. */
function u64any(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * 4294967296 + u32(b, o);
}

/** Highest user address a segment may reach (below the stack area). */
const USER_SPACE = 0x7ff000000000;

/**
 * Bytes or text from the file for a one-line message: as they are when they
 * are plain visible ASCII (a path like /lib64/ld-linux-x86-64.so.2), else
 * quoted with control characters, quotes, backslashes and non-ASCII bytes as
 * escapes; anything past 80 bytes is cut ("...").
 */
export function printable(v: Uint8Array | string): string {
  const b = typeof v === "string" ? new TextEncoder().encode(v) : v;
  if (b.length > 0 && b.length <= 80 && b.every((c) => c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c)) return String.fromCharCode(...b);
  let s = '"';
  for (let k = 0; k < Math.min(b.length, 80); k++) {
    const c = b[k];
    if (c === 0x22 || c === 0x5c) s += "\\" + String.fromCharCode(c);
    else if (c === 10) s += "\\n";
    else if (c === 9) s += "\\t";
    else if (c === 13) s += "\\r";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s + '"' + (b.length > 80 ? "..." : "");
}

/** Parse and validate an x86-64 Linux ELF executable. */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new ElfError("not an ELF file (bad magic number)");
  if (bytes.length < 64) throw new ElfError(`truncated ELF: ${bytes.length} bytes is shorter than the ELF header`);
  if (bytes[4] === 1) {
    const m = u16(bytes, 18);
    throw new ElfError(`32-bit ELF (${MACHINES[m] ?? `machine ${m}`}) is not supported: x64emu runs x86-64 (ELF64) programs`);
  }
  if (bytes[4] !== 2) throw new ElfError(`malformed ELF: invalid class ${bytes[4]}`);
  if (bytes[5] !== 1) throw new ElfError(bytes[5] === 2 ? "big-endian ELF is not supported: x64emu runs little-endian x86-64 programs" : `malformed ELF: invalid data encoding ${bytes[5]}`);
  const machine = u16(bytes, 18);
  if (machine !== 62) throw new ElfError(`ELF for ${MACHINES[machine] ?? `machine ${machine}`}, not x86-64: x64emu runs x86-64 programs only`);
  const type = u16(bytes, 16);
  if (type !== 2 && type !== 3) throw new ElfError(`not an executable: ELF type ${ET_NAMES[type] ?? type}`);

  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parser = new elfy.Parser();
  let header;
  try {
    header = parser.parseHeader(buf);
  } catch (e) {
    throw new ElfError(`malformed ELF header: ${(e as Error).message}`);
  }
  const phoff = u64(bytes, 32, "e_phoff");
  const phentsize = u16(bytes, 54);
  const phnum = u16(bytes, 56);
  const entry = u64(bytes, 24, "e_entry");
  if (phnum === 0) throw new ElfError("malformed ELF: no program headers");
  if (phentsize !== 56) throw new ElfError(`malformed ELF: program header size ${phentsize}, expected 56`);
  // Linux reads at most one page of program headers (load_elf_phdrs: ENOEXEC beyond)
  if (phnum * phentsize > 4096) throw new ElfError(`malformed ELF: ${phnum} program headers (${phnum * phentsize} bytes) exceed the 4096 bytes Linux reads`);
  if (phoff + phnum * phentsize > bytes.length) throw new ElfError(`truncated ELF: program headers (offset 0x${phoff.toString(16)}, ${phnum} entries) extend past the end of the file (${bytes.length} bytes)`);
  try {
    parser.parsePrograms(buf, header);
  } catch (e) {
    throw new ElfError(`malformed ELF program headers: ${(e as Error).message}`);
  }

  // Read from the raw bytes (elfy loses unknown types and reads 64-bit fields as doubles). Linux
  // looks only at PT_LOAD and PT_INTERP sizes (a PT_TLS or PT_DYNAMIC is the C library's and the
  // dynamic linker's business): only theirs must be in range.
  const programs: ProgramHeader[] = [];
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize;
    const type = u32(bytes, o);
    const used = type === PT_LOAD ? [8, 16, 32, 40] : type === PT_INTERP ? [8, 32] : [];
    const field = (at: number, what: string) => (used.includes(at) ? u64(bytes, o + at, what) : u64any(bytes, o + at));
    programs.push({
      type,
      flags: u32(bytes, o + 4),
      offset: field(8, "p_offset"),
      vaddr: field(16, "p_vaddr"),
      filesz: field(32, "p_filesz"),
      memsz: field(40, "p_memsz"),
      align: u64any(bytes, o + 48),
    });
  }

  const loads = programs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) throw new ElfError("malformed ELF: no loadable (PT_LOAD) segments");
  programs.forEach((p, k) => {
    // PT_TLS is the C library's business (Linux does not look at it): a huge one fails there, cleanly
    if (p.type !== PT_LOAD && p.type !== PT_INTERP) return;
    if (p.type === PT_INTERP && (p.filesz < 2 || p.filesz > 4096)) throw new ElfError(`malformed ELF: program interpreter name of ${p.filesz} bytes`);
    if (p.filesz > p.memsz && p.type !== PT_INTERP) throw new ElfError(`malformed ELF: segment ${k} has p_filesz 0x${p.filesz.toString(16)} > p_memsz 0x${p.memsz.toString(16)}`);
    if (p.offset + p.filesz > bytes.length) throw new ElfError(`truncated ELF: segment ${k} (file offset 0x${p.offset.toString(16)}, size 0x${p.filesz.toString(16)}) extends past the end of the file (${bytes.length} bytes)`);
    if (p.type === PT_LOAD && p.vaddr % 4096 !== p.offset % 4096) throw new ElfError(`malformed ELF: segment ${k} address and file offset are not congruent modulo the page size`);
    if (p.type === PT_LOAD && p.vaddr + p.memsz > USER_SPACE) throw new ElfError(`malformed ELF: segment ${k} at 0x${p.vaddr.toString(16)} lies outside the user address space`);
  });
  // overlapping segments are allowed, as by Linux: a later one maps over an earlier one (load.ts)

  let interp: string | null = null;
  const pi = programs.find((p) => p.type === PT_INTERP);
  if (pi) {
    const raw = bytes.subarray(pi.offset, pi.offset + pi.filesz);
    // Linux: the name must end in its NUL (ENOEXEC otherwise)
    if (raw[raw.length - 1] !== 0) throw new ElfError(`malformed ELF: program interpreter name ${printable(raw)} is not NUL-terminated`);
    const end = raw.indexOf(0);
    interp = new TextDecoder().decode(raw.subarray(0, end));
  }

  return { type, entry, phoff, phentsize, phnum, programs, interp, symbols: readSymbols(bytes) };
}

/** Read .symtab (or .dynsym) symbols from the raw section headers; a broken table yields none. */
function readSymbols(b: Uint8Array): ElfSymbol[] {
  try {
    const shoff = u64(b, 40, "e_shoff");
    const shentsize = u16(b, 58);
    const shnum = u16(b, 60);
    if (shoff === 0 || shnum === 0 || shentsize !== 64 || shoff + shnum * 64 > b.length) return [];
    const sec = (k: number) => {
      const o = shoff + k * 64;
      return { type: u32(b, o + 4), offset: u64(b, o + 24, "sh_offset"), size: u64(b, o + 32, "sh_size"), link: u32(b, o + 40), entsize: u64(b, o + 56, "sh_entsize") };
    };
    let symIdx = -1;
    for (let k = 0; k < shnum; k++) if (sec(k).type === 2) symIdx = k; // SHT_SYMTAB
    if (symIdx < 0) for (let k = 0; k < shnum; k++) if (sec(k).type === 11) symIdx = k; // SHT_DYNSYM
    if (symIdx < 0) return [];
    const st = sec(symIdx);
    if (st.link >= shnum) return [];
    const str = sec(st.link);
    if (st.offset + st.size > b.length || str.offset + str.size > b.length) return [];
    const out: ElfSymbol[] = [];
    const dec = new TextDecoder();
    for (let o = st.offset; o + 24 <= st.offset + st.size; o += 24) {
      const nameOff = u32(b, o);
      const info = b[o + 4];
      const shndx = u16(b, o + 6);
      const value = u64(b, o + 8, "st_value");
      const size = u64(b, o + 16, "st_size");
      const type = info & 15;
      if (nameOff === 0 || shndx === 0 || type > 2 || nameOff >= str.size) continue;
      let e = str.offset + nameOff;
      while (e < str.offset + str.size && b[e] !== 0) e++;
      const name = dec.decode(b.subarray(str.offset + nameOff, e));
      if (name) out.push({ name, value, size, type, bind: info >> 4 });
    }
    return out;
  } catch {
    return [];
  }
}
