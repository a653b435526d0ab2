/**
 * Corrupt executables (issue 19): sizes are checked against the file and the
 * address space before anything is mapped, messages quote what comes from the
 * file, and a corrupt PT_TLS fails in the C library as natively (no spinning).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryHost } from "../src/host/memory.js";
import { Process } from "../src/kernel/program.js";
import { Memory } from "../src/cpu/memory.js";
import { ElfError, parseElf } from "../src/loader/elf.js";
import { AT, loadElf } from "../src/loader/load.js";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, tmpDir } from "./helpers/asm.js";
import { makeElf } from "./helpers/elf.js";

const EXIT0 = Uint8Array.from([0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]);

/** Append a program header (replacing the ELF's single one by two). */
function withSecondPhdr(elf: Uint8Array, ph: { type: number; offset: number; vaddr: number; filesz: number; memsz: number; align?: number }, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(elf.length + (payload?.length ?? 0));
  out.set(elf);
  if (payload) out.set(payload, elf.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(56, 2, true);
  const o = 64 + 56;
  dv.setUint32(o, ph.type, true);
  dv.setUint32(o + 4, 4, true);
  dv.setBigUint64(o + 8, BigInt(ph.offset), true);
  dv.setBigUint64(o + 16, BigInt(ph.vaddr), true);
  dv.setBigUint64(o + 24, BigInt(ph.vaddr), true);
  dv.setBigUint64(o + 32, BigInt(ph.filesz), true);
  dv.setBigUint64(o + 40, BigInt(ph.memsz), true);
  dv.setBigUint64(o + 48, BigInt(ph.align ?? 1), true);
  return out;
}

function elfError(b: Uint8Array): string {
  try {
    parseElf(b);
  } catch (e) {
    if (e instanceof ElfError) return e.message;
    throw e;
  }
  return "";
}

describe("ELF validation", () => {
  it("quotes a program interpreter name from the file: one line, escapes for control bytes", () => {
    const base = makeElf(EXIT0);
    const name = new TextEncoder().encode('Hello, "world"!\n\x01\0');
    const b = withSecondPhdr(base, { type: 3, offset: base.length, vaddr: 0, filesz: name.length, memsz: name.length }, name);
    const p = (() => {
      try {
        new Process(b, { argv: ["x"], envp: [], host: new MemoryHost() });
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(p).toContain('program interpreter "Hello, \\"world\\"!\\n\\x01"');
    expect(p).not.toMatch(/\n/);
  });

  it("quotes the interpreter's path from the file when the interpreter is unusable", () => {
    const exe = makeElf(EXIT0);
    const elf = parseElf(exe);
    const interp = { elf: parseElf(exe), bytes: exe, path: "/lib/ld\n\x1b[31m.so" }; // an ET_EXEC, not a shared object
    const msg = (() => {
      try {
        loadElf(new Memory(), { ...elf, interp: interp.path }, exe, { argv: ["x"], envp: [], execfn: "x", random: new Uint8Array(16) }, interp);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(msg).toBe('the program interpreter "/lib/ld\\n\\x1b[31m.so" is not a shared object');
  });

  it("rejects an interpreter name without its NUL, too many program headers, segments past the file or the address space", () => {
    const base = makeElf(EXIT0);
    const name = new TextEncoder().encode("/lib/ld.so");
    expect(elfError(withSecondPhdr(base, { type: 3, offset: base.length, vaddr: 0, filesz: name.length, memsz: name.length }, name))).toMatch(/program interpreter name \/lib\/ld.so is not NUL-terminated/);
    const many = Uint8Array.from(base);
    new DataView(many.buffer).setUint16(56, 74, true);
    expect(elfError(many)).toMatch(/74 program headers .* exceed the 4096 bytes Linux reads/);
    expect(elfError(withSecondPhdr(base, { type: 1, offset: 0x2000, vaddr: 0x802000, filesz: 0x10000000, memsz: 0x10000000 }))).toMatch(/truncated ELF: segment 1/);
    expect(elfError(withSecondPhdr(base, { type: 1, offset: 0, vaddr: 0x7fff00000000, filesz: 0, memsz: 0x100000000 }))).toMatch(/outside the user address space/);
  });

  it("AT_PHDR is where a PT_LOAD maps e_phoff, as Linux computes it; PT_PHDR's p_vaddr is not believed", () => {
    const base = makeElf(EXIT0);
    const atPhdr = (b: Uint8Array) => {
      const img = loadElf(new Memory(), parseElf(b), b, { argv: ["x"], envp: [], execfn: "x", random: new Uint8Array(16) });
      return img.auxv.find(([t]) => t === AT.PHDR)![1];
    };
    // the headers (file offset 64) are mapped by the second segment at 0x800000
    expect(atPhdr(withSecondPhdr(base, { type: 1, offset: 0, vaddr: 0x800000, filesz: 0x100, memsz: 0x100 }))).toBe(0x800040);
    // a PT_PHDR claiming 0x123000 while no segment maps the headers: 0 (a dynamic program whose
    // PT_PHDR lies dies in ld.so's _dl_process_pt_gnu_property at the native address, checked with gdb)
    expect(atPhdr(withSecondPhdr(base, { type: 6, offset: 64, vaddr: 0x123000, filesz: 112, memsz: 112 }))).toBe(0);
  });

  it.skipIf(!IS_X86_64_LINUX)("sizes of segments Linux does not read (PT_TLS p_offset/p_align, PT_NOTE sizes) do not stop the program, as natively", () => {
    const orig = Uint8Array.from(fs.readFileSync(path.join(ROOT, "fixtures/bin/glibc/exitcode")));
    const phoff = Number(new DataView(orig.buffer).getBigUint64(32, true));
    const phnum = new DataView(orig.buffer).getUint16(56, true);
    for (const [type, field] of [
      [7, 8],
      [7, 48],
      [4, 32],
      [4, 40],
    ]) {
      const b = Uint8Array.from(orig);
      const dv = new DataView(b.buffer);
      let patched = 0;
      for (let k = 0; k < phnum; k++) {
        const o = phoff + 56 * k;
        if (dv.getUint32(o, true) === type && !patched++) dv.setBigUint64(o + field, 0xffffffffffffffffn, true);
      }
      expect(patched, `type ${type}`).toBeGreaterThan(0);
      const exe = path.join(tmpDir(), `ignored-${type}-${field}`);
      fs.writeFileSync(exe, b, { mode: 0o755 });
      const nat = runNative(exe, ["3"]);
      const emu = runEmu([exe, "3"]);
      // (a death by a signal: x64emu adds its one fault line on stderr)
      expect({ status: emu.status, signal: emu.signal }, `type ${type} +${field}`).toEqual({ status: nat.status, signal: nat.signal });
      if (!nat.signal) expect(emu.stderr).toBe(nat.stderr);
    }
  });

  it.skipIf(!IS_X86_64_LINUX)("segments map one after another as Linux maps them: a later one's protection wins on a shared page, overlaps are allowed", () => {
    const base = makeElf(EXIT0); // R+X at 0x401000, file offset 0x1000
    const one = Uint8Array.of(0x90);
    const cases: Array<[string, Uint8Array]> = [
      // a read-only segment sharing the code's page: the page is no longer executable (SIGSEGV natively)
      ["shared page", withSecondPhdr(base, { type: 1, offset: base.length, vaddr: 0x400000 + base.length, filesz: 1, memsz: 1 }, one)],
      // the code's bss runs over the next segment: allowed, the next one maps over it (exit 0 natively)
      ["overlap", (() => {
        const b = withSecondPhdr(base, { type: 1, offset: base.length, vaddr: 0x401000 + base.length, filesz: 1, memsz: 1 }, one);
        new DataView(b.buffer).setBigUint64(64 + 40, 0x3000n, true);
        return b;
      })()],
      // bss pages past a read-only segment's file pages are read/write (vm_brk): a store there works natively
      ["bss of a read-only segment", (() => {
        const store = makeElf(Uint8Array.from([0xc6, 0x04, 0x25, 0x00, 0x40, 0x40, 0x00, 0x01, ...EXIT0])); // mov byte [0x404000], 1
        return withSecondPhdr(store, { type: 1, offset: store.length, vaddr: 0x402000 + (store.length % 4096), filesz: 1, memsz: 0x3000 }, one);
      })()],
    ];
    const outcomes: string[] = [];
    for (const [what, b] of cases) {
      const exe = path.join(tmpDir(), what.replace(/ /g, "-"));
      fs.writeFileSync(exe, b, { mode: 0o755 });
      const nat = runNative(exe);
      const emu = runEmu([exe]);
      expect({ status: emu.status, signal: emu.signal }, what).toEqual({ status: nat.status, signal: nat.signal });
      outcomes.push(nat.signal ?? `exit ${nat.status}`);
    }
    expect(outcomes).toEqual(["SIGSEGV", "exit 0", "exit 0"]);
  });

  it("a 1 GiB bss loads without touching it", () => {
    const p = new Process(makeElf(EXIT0, { flags: 7, bss: 0x3fff0000 }), { argv: ["x"], envp: [], host: new MemoryHost() });
    expect(p.run()).toEqual({ kind: "exit", code: 0 });
  });

  it.skipIf(!IS_X86_64_LINUX)("a glibc program whose PT_TLS wants 64 TiB fails in glibc as natively, at once", () => {
    const b = Uint8Array.from(fs.readFileSync(path.join(ROOT, "fixtures/bin/glibc/printf")));
    const dv = new DataView(b.buffer);
    const phoff = Number(dv.getBigUint64(32, true));
    let patched = 0;
    for (let k = 0; k < dv.getUint16(56, true); k++) {
      const o = phoff + 56 * k;
      if (dv.getUint32(o, true) === 7) {
        dv.setBigUint64(o + 40, 0x400000000000n, true);
        patched++;
      }
    }
    expect(patched).toBe(1);
    const exe = path.join(tmpDir(), "tls-huge");
    fs.writeFileSync(exe, b, { mode: 0o755 });
    const nat = runNative(exe);
    const emu = runEmu([exe]);
    expect(emu.status).toBe(nat.status);
    expect(emu.stderr).toBe(nat.stderr);
    expect(emu.stdout).toBe(nat.stdout);
  });
});
