/**
 * AVX state: ymm registers through the API, VEX.128 zeroing the upper half
 * while legacy SSE keeps it, the xsave family's layout (standard and
 * compacted) and round trip, xgetbv, and AVX-512 failing with a message that
 * names it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator, PROT } from "../src/index.js";
import { IS_X86_64_LINUX, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

const HAS_GCC = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;

const ONES128 = (1n << 128n) - 1n;
const ONES256 = (1n << 256n) - 1n;

describe("AVX state", () => {
  it("ymm registers: VEX.256 writes all 256 bits, legacy SSE keeps the upper half, VEX.128 zeroes it", () => {
    const emu = Emulator.fromCode(Uint8Array.of(0xc5, 0xfd, 0x76, 0xc0, 0x66, 0x0f, 0xef, 0xc0, 0xc5, 0xf9, 0xef, 0xc0)); // vpcmpeqd ymm0,ymm0,ymm0; pxor xmm0,xmm0; vpxor xmm0,xmm0,xmm0
    emu.step();
    expect(emu.reg("ymm0")).toBe(ONES256);
    emu.step();
    expect(emu.reg("ymm0")).toBe(ONES256 ^ ONES128);
    expect(emu.reg("xmm0")).toBe(0n);
    emu.step();
    expect(emu.reg("ymm0")).toBe(0n);
    emu.setReg("ymm7", 5n << 200n);
    emu.setReg("xmm7", 3n);
    expect(emu.reg("ymm7")).toBe((5n << 200n) | 3n);
  });

  it("xsave/xrstor round trip the ymm upper halves; xsavec's compacted header; xgetbv", () => {
    const code = [
      [0xc5, 0xed, 0x76, 0xd2], // vpcmpeqd ymm2, ymm2, ymm2
      [0xb8, 7, 0, 0, 0], // mov eax, 7
      [0x31, 0xd2], // xor edx, edx
      [0x48, 0xbf, 0, 0, 0, 0x10, 0, 0, 0, 0], // mov rdi, 0x10000000
      [0x0f, 0xae, 0x27], // xsave [rdi]
      [0xc5, 0xfc, 0x77], // vzeroall
      [0x0f, 0xae, 0x2f], // xrstor [rdi]
      [0x0f, 0xc7, 0xa7, 0, 4, 0, 0], // xsavec [rdi+0x400]
      [0x31, 0xc9, 0x0f, 0x01, 0xd0], // xor ecx, ecx; xgetbv
    ];
    const emu = Emulator.fromCode(Uint8Array.from(code.flat()));
    emu.map(0x10000000n, 8192, PROT.READ | PROT.WRITE);
    for (let k = 0; k < 5; k++) emu.step(); // through xsave
    const area = emu.read(0x10000000n, 832);
    expect(area[512] & 4).toBe(4); // XSTATE_BV: AVX in use
    expect(Array.from(area.subarray(576 + 32, 576 + 48))).toEqual(new Array(16).fill(0xff)); // ymm2's upper half
    emu.step(); // vzeroall
    expect(emu.reg("ymm2")).toBe(0n);
    emu.step(); // xrstor
    expect(emu.reg("ymm2")).toBe(ONES256);
    emu.step(); // xsavec
    expect(emu.readU64(0x10000400n + 520n)).toBe(0x8000000000000007n); // XCOMP_BV: compacted | RFBM
    emu.step();
    emu.step();
    expect(emu.reg("rax")).toBe(7n); // XCR0 = x87 | SSE | AVX
    expect(emu.reg("rdx")).toBe(0n);
  });

  it("an AVX-512 instruction is SIGILL naming AVX-512", () => {
    const r = Emulator.fromCode(Uint8Array.of(0x62, 0xf1, 0x74, 0x48, 0x58, 0xc2)).run(); // vaddps zmm0, zmm1, zmm2
    expect(r.kind).toBe("signal");
    if (r.kind !== "signal") return;
    expect(r.signal).toBe(4);
    expect(String(r.fault?.message)).toMatch(/AVX-512/);
  });
});

describe.skipIf(!IS_X86_64_LINUX || !HAS_GCC)("AVX in a dynamically linked program", () => {
  it("glibc's lazy binding trampolines (xsavec/xrstor of the AVX state) and its AVX2 string functions give the native output", () => {
    const dir = tmpDir();
    const src = path.join(dir, "avxdyn.c");
    fs.writeFileSync(
      src,
      `#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int main(void) {
  char *b = malloc(5000);
  for (int i = 0; i < 4999; i++) b[i] = 'a' + i % 23;
  b[4999] = 0;
  printf("%zu %ld %d\\n", strlen(b), strchr(b, 'w') - b, memcmp(b, b + 23, 100));
  printf("avx2 %d\\n", __builtin_cpu_supports("avx2") != 0);
  return 0;
}
`,
    );
    const exe = path.join(dir, "avxdyn");
    execFileSync("gcc", ["-O2", "-Wl,-z,lazy", "-o", exe, src]);
    const n = runNative(exe);
    const e = runEmu([exe]);
    expect(e.stdout).toBe(n.stdout.replace("avx2 0", "avx2 1"));
    expect(e.stdout).toContain("avx2 1");
    expect(shellStatus(e)).toBe(0);
  });
});
