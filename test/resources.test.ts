/**
 * Resource cases (issue 16, fixtures/c/mmlimits.c against the native run):
 * 64 TiB reservations and 16 TiB unmaps are range operations, 200,000
 * separate single-page mmaps are fast and stop at vm.max_map_count with
 * ENOMEM, RLIMIT_AS and huge MAP_POPULATE/brk requests give ENOMEM; a guest that wants more memory than the
 * emulator holds sees ENOMEM (or SIGBUS for memory it never reserved), never
 * an internal error.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Process } from "../src/kernel/program.js";
import { MemoryHost } from "../src/host/memory.js";
import { Memory, PROT_READ, PROT_WRITE, OutOfMemory } from "../src/cpu/memory.js";
import { VmaList } from "../src/cpu/vma.js";
import { prng } from "./helpers/prng.js";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, tmpDir } from "./helpers/asm.js";
import { makeElf } from "./helpers/elf.js";

const CC = ["musl-gcc", "gcc"].find((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
const CAN = IS_X86_64_LINUX && CC !== undefined;
if (!CAN) console.log("resource tests against native skipped: need an x86-64 Linux host with musl-gcc or gcc");

function build(name: string): string {
  const exe = path.join(tmpDir(), name);
  execFileSync(CC!, ["-static", "-O1", "-o", exe, path.join(ROOT, `test/resources/${name}.c`)]);
  return exe;
}

for (const libc of ["musl", "glibc"]) {
  const exe = path.join(ROOT, "fixtures/bin", libc, "mmlimits");
  describe.skipIf(!IS_X86_64_LINUX || !fs.existsSync(exe))(`fixtures/c/mmlimits.c (${libc}) against native Linux`, () => {
    for (const part of ["huge", "maxmap", "big", "rlimit", "heap"]) {
      it(`${part}: same output as natively`, () => {
        const want = runNative(exe, [part]);
        expect(want.status).toBe(0);
        const emu = runEmu([exe, part]);
        expect(emu.stderr).toBe("");
        expect(emu.stdout).toBe(want.stdout);
        expect(emu.status).toBe(0);
      }, 60000);
    }
  });
}

describe("mapping ranges at scale", () => {
  it("131,072 separate ranges made top-down and unmapped from the top take well under a second each way", () => {
    // a flat array would move every range on each unmap: quadratic, about 16 s here
    const v = new VmaList();
    const top = 0x7ffff7fff;
    const t0 = performance.now();
    for (let n = 0; n < 131072; n++) {
      const p = v.findFreeDown(1, top, 16);
      v.set(p, p + 1, n & 1 ? 1 : 3);
    }
    expect(v.count).toBe(131072);
    for (let n = 0; n < 131072; n++) v.set(top - 1 - n, top - n, -1);
    expect(v.count).toBe(0);
    // a hang guard, not a speed target (that lives in the benchmarks): the quadratic version took minutes under load
    expect(performance.now() - t0).toBeLessThan(120000);
  });

  it("tiny chunks (2 ranges) agree with a page-by-page model on random operations", () => {
    const rnd = prng(16);
    const r = (n: number) => rnd() % n;
    const bad: string[] = []; // plain checks in the loop, one expect at the end (fast)
    for (let t = 0; t < 100; t++) {
      const v = new VmaList(2);
      const model = new Array<number>(96).fill(-1);
      for (let k = 0; k < 80; k++) {
        const s = r(96);
        const e = s + 1 + r(Math.min(96 - s, k % 5 === 0 ? 96 : 4));
        const f = r(4) - 1;
        v.set(s, e, f);
        model.fill(f, s, e);
        const at = `case ${t} step ${k}`;
        for (let q = 0; q < 96; q++) if (v.flagsAt(q) !== model[q]) bad.push(`${at}: page ${q}`);
        const st = v.start;
        const en = v.end;
        const fl = v.flags;
        if (st.length !== v.count) bad.push(`${at}: count`);
        for (let i = 1; i < v.count; i++) {
          if (st[i - 1] < en[i]) bad.push(`${at}: order`);
          if (st[i - 1] === en[i] && fl[i - 1] === fl[i]) bad.push(`${at}: not merged`);
        }
        if (v.totalPages !== model.filter((x) => x >= 0).length) bad.push(`${at}: total`);
        const n = 1 + r(5);
        let want = -1;
        for (let p = 90 - n; p >= 2 && want < 0; p--) if (model.slice(p, p + n).every((x) => x < 0)) want = p;
        if (v.findFreeDown(n, 90, 2) !== want) bad.push(`${at}: free run`);
        if (v.clone().flags.join() !== fl.join()) bad.push(`${at}: clone`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

describe.skipIf(!CAN)("resource cases against native Linux", () => {
  it("a guest allocating without end gets NULL from malloc at the memory limit", () => {
    const exe = build("eatmem");
    const host = new MemoryHost();
    const p = new Process(fs.readFileSync(exe), { argv: ["eatmem"], envp: [], host, maxMemory: 64 << 20 });
    const st = p.run();
    expect(st).toEqual({ kind: "exit", code: 0 });
    const m = /allocated (\d+) MiB/.exec(new TextDecoder().decode(Uint8Array.from(host.stdout)));
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(40);
    expect(Number(m![1])).toBeLessThan(64);
  });
});

describe("guest memory limit", () => {
  it("mapping is free; frames are taken on first write, up to the limit", () => {
    const m = new Memory(undefined, { maxBytes: 1 << 20 });
    m.map(0x10000000, 64 << 20, PROT_READ | PROT_WRITE, true);
    expect(m.read32(0x10000000 + (32 << 20))).toBe(0); // reads of unwritten pages take no frame
    for (let k = 0; k < 256; k++) m.write8(0x10000000 + k * 4096, 1);
    expect(() => m.write8(0x10000000 + 256 * 4096, 1)).toThrow(OutOfMemory);
    m.unmap(0x10000000, 4096);
    m.write8(0x10000000 + 256 * 4096, 1); // a freed frame is reused
  });

  it("a write the emulator cannot back ends in SIGBUS with one clear line", () => {
    // mmap(0, 256 MiB, RW, PRIVATE|ANON|NORESERVE) then write a byte into every page
    const code = Uint8Array.from([
      0x31, 0xff, 0xbe, 0x00, 0x00, 0x00, 0x10, 0xba, 0x03, 0x00, 0x00, 0x00, 0x41, 0xba, 0x22, 0x40, 0x00, 0x00, 0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0x45, 0x31, 0xc9,
      0xb8, 0x09, 0x00, 0x00, 0x00, 0x0f, 0x05, // mmap
      0xc6, 0x00, 0x01, 0x48, 0x05, 0x00, 0x10, 0x00, 0x00, 0xeb, 0xf5, // loop: mov byte [rax],1; add rax,4096; jmp loop
    ]);
    const elf = makeElf(code);
    const p = new Process(elf, { argv: ["x"], envp: [], host: new MemoryHost(), maxMemory: 32 << 20 });
    const st = p.run();
    expect(st?.kind).toBe("signal");
    if (st?.kind !== "signal") return;
    expect(st.signal).toBe(7);
    expect(st.fault?.message).toMatch(/out of guest memory at address 0x[0-9a-f]+ \(x64emu holds at most 32 MiB of guest RAM\)/);
  });
});

