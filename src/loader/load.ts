/**
 * Map an ELF executable into guest memory and build the initial process stack
 * (SysV x86-64 ABI: argc, argv, envp, auxv; 16-byte aligned; strings at the top).
 */
import type { Memory } from "../cpu/memory.js";
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { ElfError, printable, PF_R, PF_W, PF_X, PT_LOAD, type ElfFile, type ElfSymbol } from "./elf.js";

/** Where a position-independent (ET_DYN) executable is placed (Linux's ELF_ET_DYN_BASE without ASLR). */
export const PIE_BASE = 0x555555554000;
/** Top of the initial stack (Linux x86-64 without ASLR). */
export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 8 * 1024 * 1024;

export const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
  MINSIGSTKSZ: 51,
} as const;

export interface LoadOptions {
  argv: string[];
  envp: string[];
  /** AT_EXECFN string (the path as given) */
  execfn: string;
  /** The program's absolute path (for /proc/self/maps; default execfn) */
  exePath?: string;
  /** 16 bytes for AT_RANDOM */
  random: Uint8Array;
  uid?: number;
  gid?: number;
  hwcap?: number;
  /** Size of the initial stack mapping (default STACK_SIZE; qemu's -s) */
  stackSize?: number;
}

export interface LoadedImage {
  /** Where execution starts: the interpreter's entry when there is one, else the program's */
  entry: number;
  /** The program's own entry point (AT_ENTRY) */
  programEntry: number;
  /** Load bias of the interpreter (AT_BASE; 0 without one) */
  interpBase: number;
  /** Files the loader mapped and the stack (for /proc/self/maps) */
  files: MappedFile[];
  /** argv strings [argStart, envStart), environment strings [envStart, envEnd) on the stack */
  argStart: number;
  envStart: number;
  envEnd: number;
  /** Initial rsp */
  sp: number;
  /** Load bias (0 for ET_EXEC) */
  base: number;
  /** Initial program break (page-aligned end of the highest segment) */
  brk: number;
  phdr: number;
  /** auxv as [type, value] pairs, as placed on the stack */
  auxv: Array<[number, number]>;
  /** Symbols with the load bias applied */
  symbols: ElfSymbol[];
  stackTop: number;
  stackBottom: number;
}

/** Largest image we map (segments' total size): 1 GiB. */
const MAX_IMAGE_PAGES = 262144;

function prot(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** A file mapped by the loader (for /proc/self/maps): [start, end) holds the file from `offset`. */
export interface MappedFile {
  start: number;
  end: number;
  offset: number;
  path: string;
}

/** The program interpreter (PT_INTERP) to load with the program. */
export interface Interpreter {
  elf: ElfFile;
  bytes: Uint8Array;
  /** Its path, for /proc/self/maps */
  path: string;
}

/** Where the interpreter goes: just below this, like Linux's first mmap without ASLR. */
export const INTERP_TOP = 0x7ffff7fff000;

/** Lowest and highest virtual address of the PT_LOAD segments, page-aligned. */
function span(elf: ElfFile): [number, number] {
  const loads = elf.programs.filter((p) => p.type === PT_LOAD && p.memsz > 0);
  const lo = Math.min(...loads.map((p) => p.vaddr));
  const hi = Math.max(...loads.map((p) => p.vaddr + p.memsz));
  return [Math.floor(lo / PAGE_SIZE) * PAGE_SIZE, Math.ceil(hi / PAGE_SIZE) * PAGE_SIZE];
}

/**
 * Map an ELF's PT_LOAD segments at load bias `base` as Linux's elf_load does, segment after
 * segment with MAP_FIXED: a later segment replaces an earlier one's pages (protection and
 * contents); the file part is mapped in whole pages (the bytes around it in its first and last
 * page come from the file too); the rest of the last file page is zeroed when the segment has
 * bss and is writable (padzero's error is ignored otherwise); bss pages past it are
 * brk-style anonymous memory, read/write (plus exec when the segment is). Returns the end of
 * the highest segment.
 */
function mapSegments(mem: Memory, elf: ElfFile, bytes: Uint8Array, base: number, path: string, files: MappedFile[]): number {
  const loads = elf.programs.filter((p) => p.type === PT_LOAD);
  const total = loads.reduce((n, p) => n + p.memsz, 0);
  if (total > MAX_IMAGE_PAGES * PAGE_SIZE) throw new ElfError(`cannot load: the segments need ${Math.round(total / 1048576)} MiB of memory (the limit is ${(MAX_IMAGE_PAGES * PAGE_SIZE) / 1048576} MiB)`);
  const pageDown = (a: number) => Math.floor(a / PAGE_SIZE) * PAGE_SIZE;
  const pageUp = (a: number) => Math.ceil(a / PAGE_SIZE) * PAGE_SIZE;
  // where each segment's file pages end and its bss pages end
  const parts = loads.map((p) => {
    const va = base + p.vaddr;
    const start = pageDown(va);
    const fileEnd = p.filesz > 0 ? pageUp(va + p.filesz) : start;
    return { p, va, start, fileEnd, bssEnd: p.memsz > p.filesz ? Math.max(fileEnd, pageUp(va + p.memsz)) : fileEnd };
  });
  const pageProt = new Map<number, number>();
  for (const { p, start, fileEnd, bssEnd } of parts) {
    const anon = PROT_READ | PROT_WRITE | (p.flags & PF_X ? PROT_EXEC : 0);
    for (let a = start; a < bssEnd; a += PAGE_SIZE) pageProt.set(a / PAGE_SIZE, a < fileEnd ? prot(p.flags) : anon);
  }
  if (pageProt.size > MAX_IMAGE_PAGES) throw new ElfError(`cannot load: the segments need ${Math.round((pageProt.size * PAGE_SIZE) / 1048576)} MiB of memory (the limit is ${(MAX_IMAGE_PAGES * PAGE_SIZE) / 1048576} MiB)`);
  for (const [pg, pr] of pageProt) mem.map(pg * PAGE_SIZE, PAGE_SIZE, pr);
  // pages an earlier segment wrote: a later one's bss or a page past the end of the file there reads as zeros again
  const written = new Set<number>();
  const clear = (from: number, to: number) => {
    for (let a = pageDown(from); a < to; a += PAGE_SIZE) {
      if (!written.has(a / PAGE_SIZE)) continue;
      const s = Math.max(a, from);
      const e = Math.min(a + PAGE_SIZE, to);
      mem.writeBytes(s, new Uint8Array(e - s), false);
    }
  };
  let end = 0;
  for (const { p, va, start, fileEnd, bssEnd } of parts) {
    if (p.filesz > 0) {
      const from = p.offset - (va - start);
      const data = bytes.subarray(from, Math.min(bytes.length, from + (fileEnd - start)));
      mem.writeBytes(start, data, false);
      clear(start + data.length, fileEnd); // past the end of the file: zeros, as mmap gives them
      for (let a = start; a < fileEnd; a += PAGE_SIZE) written.add(a / PAGE_SIZE);
      if (p.memsz > p.filesz && p.flags & PF_W) mem.writeBytes(va + p.filesz, new Uint8Array(fileEnd - (va + p.filesz)), false);
      files.push({ start, end: fileEnd, offset: from, path });
    }
    clear(fileEnd, bssEnd);
    for (let a = fileEnd; a < bssEnd; a += PAGE_SIZE) written.delete(a / PAGE_SIZE);
    end = Math.max(end, va + p.memsz);
  }
  return end;
}

/** Map PT_LOAD segments (bss zeroed), the interpreter when there is one, and build the stack. */
export function loadElf(mem: Memory, elf: ElfFile, bytes: Uint8Array, opts: LoadOptions, interp: Interpreter | null = null): LoadedImage {
  if (elf.interp !== null && !interp) throw new ElfError(`dynamic executables need their program interpreter ${printable(elf.interp)}, which was not given`);
  const base = elf.type === 3 ? PIE_BASE : 0;
  const loads = elf.programs.filter((p) => p.type === PT_LOAD);
  const files: MappedFile[] = [];
  let brk = mapSegments(mem, elf, bytes, base, opts.exePath ?? opts.execfn, files);
  brk = Math.ceil(brk / PAGE_SIZE) * PAGE_SIZE;

  let interpBase = 0;
  if (interp) {
    if (interp.elf.type !== 3) throw new ElfError(`the program interpreter ${printable(interp.path)} is not a shared object`);
    const [lo, hi] = span(interp.elf);
    interpBase = mem.findFree(hi - lo, INTERP_TOP, PIE_BASE) - lo;
    if (interpBase + lo < 0) throw new ElfError(`no room for the program interpreter ${printable(interp.path)}`);
    mapSegments(mem, interp.elf, interp.bytes, interpBase, interp.path, files);
  }

  // AT_PHDR as Linux computes it (not from PT_PHDR): where the PT_LOAD whose file range holds
  // e_phoff puts it (the last such segment), else 0
  let phdr = 0;
  for (const p of loads) if (p.offset <= elf.phoff && elf.phoff < p.offset + p.filesz) phdr = base + p.vaddr + (elf.phoff - p.offset);

  const entry = base + elf.entry;
  const stackSize = Math.ceil((opts.stackSize ?? STACK_SIZE) / PAGE_SIZE) * PAGE_SIZE;
  mem.map(STACK_TOP - stackSize, stackSize, PROT_READ | PROT_WRITE);
  const enc = new TextEncoder();
  let sp = STACK_TOP;
  const putBytes = (data: Uint8Array): number => {
    sp -= data.length;
    mem.writeBytes(sp, data, false);
    return sp;
  };
  const putString = (s: string): number => {
    const b = enc.encode(s);
    const z = new Uint8Array(b.length + 1);
    z.set(b);
    return putBytes(z);
  };
  sp -= 8; // end marker
  const execfnAddr = putString(opts.execfn);
  // argv and environment strings in one block, in order, as Linux lays them out
  // (/proc/self/cmdline and environ read them back from here)
  const strs = [...opts.argv, ...opts.envp].map((s) => enc.encode(s));
  const block = new Uint8Array(strs.reduce((n, b) => n + b.length + 1, 0));
  const addrs: number[] = [];
  let o = 0;
  for (const b of strs) {
    addrs.push(o);
    block.set(b, o);
    o += b.length + 1;
  }
  const argStart = putBytes(block);
  const argAddrs = addrs.slice(0, opts.argv.length).map((a) => argStart + a);
  const envAddrs = addrs.slice(opts.argv.length).map((a) => argStart + a);
  const envStart = opts.envp.length ? envAddrs[0] : argStart + block.length;
  const platform = putString("x86_64");
  sp = Math.floor(sp / 16) * 16;
  const randomAddr = putBytes(opts.random.subarray(0, 16));
  sp = Math.floor(sp / 16) * 16;

  const auxv: Array<[number, number]> = [
    [AT.HWCAP, opts.hwcap ?? 0],
    [AT.PAGESZ, PAGE_SIZE],
    [AT.CLKTCK, 100],
    [AT.PHDR, phdr],
    [AT.PHENT, elf.phentsize],
    [AT.PHNUM, elf.phnum],
    [AT.BASE, interpBase],
    [AT.FLAGS, 0],
    [AT.ENTRY, entry],
    [AT.UID, opts.uid ?? 0],
    [AT.EUID, opts.uid ?? 0],
    [AT.GID, opts.gid ?? 0],
    [AT.EGID, opts.gid ?? 0],
    [AT.SECURE, 0],
    [AT.RANDOM, randomAddr],
    [AT.HWCAP2, 0],
    [AT.EXECFN, execfnAddr],
    [AT.PLATFORM, platform],
    [AT.MINSIGSTKSZ, 2048],
    [AT.NULL, 0],
  ];
  const words: number[] = [opts.argv.length, ...argAddrs, 0, ...envAddrs, 0];
  for (const [t, v] of auxv) words.push(t, v);
  if (words.length % 2) sp -= 8; // keep rsp 16-byte aligned at entry
  sp -= words.length * 8;
  const view = new Uint8Array(words.length * 8);
  const dv = new DataView(view.buffer);
  words.forEach((w, k) => {
    dv.setUint32(k * 8, w % 4294967296, true);
    dv.setUint32(k * 8 + 4, Math.floor(w / 4294967296), true);
  });
  mem.writeBytes(sp, view, false);

  const symbols = elf.symbols.map((s) => ({ ...s, value: s.value + (s.value ? base : 0) }));
  files.push({ start: STACK_TOP - stackSize, end: STACK_TOP, offset: 0, path: "[stack]" });
  const start = interp ? interpBase + interp.elf.entry : entry;
  return { entry: start, programEntry: entry, sp, base, interpBase, brk, phdr, auxv, symbols, stackTop: STACK_TOP, stackBottom: STACK_TOP - stackSize, files, argStart, envStart, envEnd: argStart + block.length };
}
