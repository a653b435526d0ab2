import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";
import { ElfError, parseElf } from "../src/loader/elf.js";
import { AT, loadElf, PIE_BASE, STACK_TOP } from "../src/loader/load.js";
import { assemble, HAS_AS } from "./helpers/asm.js";

const SRC = `
.globl _start
.text
_start:
  mov $60, %eax
  mov $1, %edi
  syscall
.data
value: .quad 0x1122334455667788
.bss
buf: .space 8192
`;

let exe: Uint8Array;

beforeAll(() => {
  if (!HAS_AS) return;
  exe = fs.readFileSync(assemble("loader-sample", SRC));
});

function expectElfError(bytes: Uint8Array, re: RegExp): void {
  let err: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ElfError);
  expect((err as Error).message).toMatch(re);
}

function patched(f: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = Uint8Array.from(exe);
  f(b, new DataView(b.buffer));
  return b;
}

describe.skipIf(!HAS_AS)("ELF validation", () => {
  it("parses a static executable", () => {
    const elf = parseElf(exe);
    expect(elf.type).toBe(2);
    expect(elf.entry).toBeGreaterThan(0x400000);
    expect(elf.programs.some((p) => p.type === 1)).toBe(true);
    expect(elf.symbols.find((s) => s.name === "_start")?.value).toBe(elf.entry);
  });
  it("rejects a non-ELF file", () => expectElfError(new TextEncoder().encode("#!/bin/sh\necho hi\n"), /not an ELF file/));
  it("rejects an empty file", () => expectElfError(new Uint8Array(0), /not an ELF file/));
  it("rejects a truncated header", () => expectElfError(exe.subarray(0, 40), /truncated ELF/));
  it("rejects 32-bit ELF", () => expectElfError(patched((b) => (b[4] = 1)), /32-bit ELF/));
  it("rejects big-endian ELF", () => expectElfError(patched((b) => (b[5] = 2)), /big-endian/));
  it("rejects another machine", () => expectElfError(patched((b, dv) => dv.setUint16(18, 183, true)), /AArch64, not x86-64/));
  it("rejects relocatable objects", () => expectElfError(patched((b, dv) => dv.setUint16(16, 1, true)), /ET_REL/));
  it("rejects program headers past the end of the file", () => expectElfError(patched((b, dv) => dv.setUint32(32, exe.length - 10, true)), /program headers .* past the end/));
  it("rejects a truncated file whose segment data is missing", () => {
    const elf = parseElf(exe);
    const load = elf.programs.find((p) => p.type === 1 && p.filesz > 0)!;
    expectElfError(exe.subarray(0, load.offset + load.filesz - 1), /truncated ELF|past the end/);
  });
  it("rejects filesz > memsz", () =>
    expectElfError(
      patched((b, dv) => {
        const phoff = Number(dv.getBigUint64(32, true));
        dv.setBigUint64(phoff + 40, 0n, true);
        dv.setBigUint64(phoff + 32, 16n, true);
      }),
      /p_filesz .* > p_memsz/,
    ));
  it("rejects a file with no program headers", () => expectElfError(patched((b, dv) => dv.setUint16(56, 0, true)), /no program headers/));
  it("accepts a file without section headers", () => {
    const b = patched((b, dv) => {
      dv.setBigUint64(40, 0n, true);
      dv.setUint16(60, 0, true);
      dv.setUint16(62, 0, true);
    });
    expect(parseElf(b).symbols).toEqual([]);
  });
  it("refuses a PT_INTERP program when no interpreter is given", () => {
    const b = patched((b, dv) => {
      const phoff = Number(dv.getBigUint64(32, true));
      // turn the first non-LOAD header (or the last one) into PT_INTERP pointing at a string in the file
      const n = dv.getUint16(56, true);
      const k = n - 1;
      dv.setUint32(phoff + k * 56, 3, true);
      // e_ident[6..7]: EI_VERSION 1 and EI_OSABI 0, a NUL-terminated name as Linux requires
      dv.setBigUint64(phoff + k * 56 + 8, 6n, true);
      dv.setBigUint64(phoff + k * 56 + 32, 2n, true);
      dv.setBigUint64(phoff + k * 56 + 40, 2n, true);
    });
    const elf = parseElf(b);
    expect(() => loadElf(new Memory(), elf, b, { argv: ["x"], envp: [], execfn: "x", random: new Uint8Array(16) })).toThrow(/need their program interpreter/);
  });
});

describe.skipIf(!HAS_AS)("loading and the initial stack", () => {
  it("maps segments with their permissions and zeroes the bss", () => {
    const elf = parseElf(exe);
    const mem = new Memory();
    const img = loadElf(mem, elf, exe, { argv: ["prog"], envp: [], execfn: "prog", random: new Uint8Array(16) });
    expect(mem.protOf(img.entry)).toBe(PROT_READ | PROT_EXEC);
    const value = elf.symbols.find((s) => s.name === "value")!.value;
    expect(mem.protOf(value)).toBe(PROT_READ | PROT_WRITE);
    expect(mem.read32(value)).toBe(0x55667788);
    const buf = elf.symbols.find((s) => s.name === "buf")!.value;
    expect(mem.read32(buf + 8000)).toBe(0);
    expect(img.brk % 4096).toBe(0);
    expect(img.brk).toBeGreaterThanOrEqual(buf + 8192);
  });

  it("builds argc, argv, envp and auxv per the SysV ABI", () => {
    const elf = parseElf(exe);
    const mem = new Memory();
    const random = Uint8Array.from({ length: 16 }, (_, k) => k + 1);
    const img = loadElf(mem, elf, exe, { argv: ["prog", "a b", ""], envp: ["X=1", "HOME=/h"], execfn: "./prog", random, uid: 1000, gid: 100 });
    expect(img.sp % 16).toBe(0);
    expect(img.sp).toBeLessThan(STACK_TOP);
    const u64 = (a: number) => (mem.read32(a) >>> 0) + (mem.read32(a + 4) >>> 0) * 2 ** 32;
    const str = (a: number) => new TextDecoder().decode(mem.readCString(a));
    expect(u64(img.sp)).toBe(3);
    expect([1, 2, 3].map((k) => str(u64(img.sp + 8 * k)))).toEqual(["prog", "a b", ""]);
    expect(u64(img.sp + 32)).toBe(0);
    expect(str(u64(img.sp + 40))).toBe("X=1");
    expect(str(u64(img.sp + 48))).toBe("HOME=/h");
    expect(u64(img.sp + 56)).toBe(0);
    const aux = new Map<number, number>();
    for (let a = img.sp + 64; ; a += 16) {
      const t = u64(a);
      aux.set(t, u64(a + 8));
      if (t === 0) break;
    }
    expect(aux.get(AT.PAGESZ)).toBe(4096);
    expect(aux.get(AT.ENTRY)).toBe(elf.entry);
    expect(aux.get(AT.PHNUM)).toBe(elf.phnum);
    expect(aux.get(AT.PHENT)).toBe(56);
    expect(mem.read32(aux.get(AT.PHDR)!)).toBe(elf.programs[0].type);
    expect(aux.get(AT.UID)).toBe(1000);
    expect(aux.get(AT.EGID)).toBe(100);
    expect(aux.get(AT.SECURE)).toBe(0);
    expect(aux.get(AT.CLKTCK)).toBe(100);
    expect(aux.has(AT.HWCAP)).toBe(true);
    expect(Array.from(mem.readBytes(aux.get(AT.RANDOM)!, 16))).toEqual(Array.from(random));
    expect(str(aux.get(AT.EXECFN)!)).toBe("./prog");
    expect(aux.get(AT.NULL)).toBe(0);
  });

  it("places position-independent executables at a fixed base", () => {
    if (!HAS_AS) return;
    const b = patched((b, dv) => dv.setUint16(16, 3, true)); // pretend ET_DYN (addresses are then offsets from the base)
    const elf = parseElf(b);
    const img = loadElf(new Memory(), elf, b, { argv: ["p"], envp: [], execfn: "p", random: new Uint8Array(16) });
    expect(img.base).toBe(PIE_BASE);
    expect(img.entry).toBe(PIE_BASE + elf.entry);
  });
});
