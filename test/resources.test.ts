/**
 * Resource cases (issue 16): 64 TiB reservations and 16 TiB unmaps are range
 * operations, 200,000 single-page mappings are fast, vm.max_map_count and
 * RLIMIT_AS give ENOMEM, as natively; a guest that wants more memory than the
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

describe.skipIf(!CAN)("resource cases against native Linux", () => {
  for (const part of ["huge", "small", "maxmap", "rlimit"]) {
    it(`${part}: same output as natively`, () => {
      const exe = build("mmstress");
      // the 200,000 mappings take seconds natively on a small VM: compare with the known output instead
      const want = part === "small" ? "single-page mmaps: 200000, sum -97952, failed munmaps 0\n" : runNative(exe, [part]).stdout;
      const emu = runEmu([exe, part]);
      expect(emu.stderr).toBe("");
      expect(emu.stdout).toBe(want);
      expect(emu.status).toBe(0);
    });
  }

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

