/**
 * AES-NI, PCLMULQDQ, SHA-NI and GFNI (src/cpu/isa/crypto.ts). Random operands
 * against the host are in the differential suite (family "crypto"); here:
 * known answers that need no host support (FIPS 197 C.1 through the
 * instructions, a BigInt carry-less product), the intrinsics program
 * fixtures/c/cryptoni.c (musl and glibc builds, every tier) against its
 * recorded output, and which memory operands must be aligned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/cpu/memory.js";
import { assemble, HAS_AS, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus } from "./helpers/asm.js";
import { hostIsEmulatedVendor } from "./isa-native.js";

const CODE = 0x400000;
const DATA = 0x600000;

/** Run raw code with xmm registers preset (xmm[r] = 4 words); returns the CPU after ud2. */
function runCode(bytes: number[], xmm: Record<number, number[]>, data: number[] = []): CPU {
  const mem = new Memory();
  mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
  mem.writeBytes(CODE, Uint8Array.from([...bytes, 0x0f, 0x0b]), false);
  mem.map(DATA, 4096, PROT_READ | PROT_WRITE);
  mem.writeBytes(DATA, Uint8Array.from(data), false);
  const cpu = new CPU(mem);
  for (const [r, w] of Object.entries(xmm)) for (let j = 0; j < 4; j++) cpu.xmm[Number(r) * 4 + j] = w[j];
  cpu.setRegNum(3, DATA); // rbx
  cpu.rip = CODE;
  cpu.run(10_000);
  return cpu;
}

const bytesToWords = (b: number[]) => [0, 1, 2, 3].map((j) => b[4 * j] | (b[4 * j + 1] << 8) | (b[4 * j + 2] << 16) | (b[4 * j + 3] << 24));
const wordsToHex = (w: Int32Array | number[], r: number) =>
  Array.from({ length: 16 }, (_, k) => ((w[r * 4 + (k >> 2)] >>> ((k & 3) * 8)) & 0xff).toString(16).padStart(2, "0")).join("");

describe("known answers (no host support needed)", () => {
  it("AES-128 FIPS 197 C.1: key expansion with aeskeygenassist, aesenc/aesenclast, aesimc/aesdec/aesdeclast", () => {
    // xmm1 = key, xmm0 = plaintext. Round keys to [rbx+16*r]; encrypt into xmm0, decrypt a copy into xmm3.
    // keygen step: xmm2 = aeskeygenassist(xmm1, rc); pshufd xmm2,xmm2,0xff; 3x (xmm4 = xmm1 << 32; xmm1 ^= xmm4); xmm1 ^= xmm2
    const RC = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
    const d32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, 0, 0];
    const code: number[] = [0x66, 0x0f, 0x7f, 0x0b]; // movdqa [rbx], xmm1
    RC.forEach((rc, r) => {
      code.push(0x66, 0x0f, 0x3a, 0xdf, 0xd1, rc); // aeskeygenassist xmm2, xmm1, rc
      code.push(0x66, 0x0f, 0x70, 0xd2, 0xff); // pshufd xmm2, xmm2, 0xff
      for (let k = 0; k < 3; k++) code.push(0x66, 0x0f, 0x6f, 0xe1, 0x66, 0x0f, 0x73, 0xfc, 0x04, 0x66, 0x0f, 0xef, 0xcc); // movdqa xmm4,xmm1; pslldq xmm4,4; pxor xmm1,xmm4
      code.push(0x66, 0x0f, 0xef, 0xca); // pxor xmm1, xmm2
      code.push(0x66, 0x0f, 0x7f, 0x8b, ...d32(16 * (r + 1))); // movdqa [rbx+16(r+1)], xmm1
    });
    code.push(0x66, 0x0f, 0xef, 0x03); // pxor xmm0, [rbx]
    for (let r = 1; r <= 9; r++) code.push(0x66, 0x0f, 0x38, 0xdc, 0x83, ...d32(16 * r)); // aesenc xmm0, [rbx+16r]
    code.push(0x66, 0x0f, 0x38, 0xdd, 0x83, ...d32(160)); // aesenclast xmm0, [rbx+160]
    code.push(0x66, 0x0f, 0x6f, 0xd8); // movdqa xmm3, xmm0
    code.push(0x66, 0x0f, 0xef, 0x9b, ...d32(160)); // pxor xmm3, [rbx+160]
    for (let r = 9; r >= 1; r--) {
      code.push(0x66, 0x0f, 0x38, 0xdb, 0xab, ...d32(16 * r)); // aesimc xmm5, [rbx+16r]
      code.push(0x66, 0x0f, 0x38, 0xde, 0xdd); // aesdec xmm3, xmm5
    }
    code.push(0x66, 0x0f, 0x38, 0xdf, 0x1b); // aesdeclast xmm3, [rbx]
    const key = bytesToWords([...Array(16).keys()]);
    const pt = bytesToWords([...Array(16).keys()].map((k) => k * 0x11));
    const cpu = runCode(code, { 0: pt, 1: key });
    expect(cpu.lastFault?.rip).toBe(CODE + code.length); // stopped at the final ud2
    expect(wordsToHex(cpu.xmm, 0)).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
    expect(wordsToHex(cpu.xmm, 1)).toBe("13111d7fe3944a17f307a78b4d2b30c5"); // FIPS 197 A.1: round key 10
    expect(wordsToHex(cpu.xmm, 3)).toBe("00112233445566778899aabbccddeeff");
  });

  it("pclmulqdq: every quadword selection against a BigInt carry-less product", () => {
    const clmul = (a: bigint, b: bigint) => {
      let r = 0n;
      for (let k = 0n; k < 64n; k++) if ((b >> k) & 1n) r ^= a << k;
      return r;
    };
    const q = (w: Int32Array, r: number, h: number) => (BigInt(w[r * 4 + 2 * h + 1] >>> 0) << 32n) | BigInt(w[r * 4 + 2 * h] >>> 0);
    const a = [0xffffffffffffffffn, 0x87654321deadbeefn];
    const b = [0x8000000000000001n, 0xffffffffffffffffn];
    const w = (x: bigint[]) => [Number(x[0] & 0xffffffffn), Number(x[0] >> 32n), Number(x[1] & 0xffffffffn), Number(x[1] >> 32n)].map((v) => v | 0);
    for (const imm of [0x00, 0x01, 0x10, 0x11]) {
      const cpu = runCode([0x66, 0x0f, 0x3a, 0x44, 0xc1, imm], { 0: w(a), 1: w(b) });
      const want = clmul(a[imm & 1], b[imm >> 4]);
      expect((q(cpu.xmm, 0, 1) << 64n) | q(cpu.xmm, 0, 0)).toBe(want);
    }
  });
});

describe("fixtures/c/cryptoni.c: AES-NI, PCLMUL, SHA-NI and GFNI intrinsics", () => {
  const expected = fs.readFileSync(path.join(ROOT, "fixtures/expected/cryptoni.out"), "utf8");
  const flags = IS_X86_64_LINUX ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const hostHas = ["aes", "pclmulqdq", "sha_ni", "gfni"].every((f) => new RegExp(`\\b${f}\\b`).test(flags));
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "cryptoni");
    it.skipIf(!fs.existsSync(exe))(`${libc}: the recorded output under every tier${hostHas ? ", and natively" : ""}`, () => {
      expect(expected).toContain("sha256(\"abc\") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
      expect(expected).toContain("disagreements: 0");
      if (hostHas) expect(runNative(exe).stdout).toBe(expected);
      for (const tier of [[], ["--no-jit"], ["--jit-threshold", "0"]]) {
        const r = runEmu([...tier, exe]);
        expect(r.stdout, tier.join(" ")).toBe(expected);
        expect(shellStatus(r)).toBe(0);
      }
    });
  }
});

describe.skipIf(!HAS_AS || !IS_X86_64_LINUX)("alignment of 16-byte memory operands", () => {
  // AES, PCLMUL and GFNI fault on a misaligned operand like any legacy SSE
  // instruction; SHA-NI does not on AMD (which the emulator follows).
  const cases: [string, boolean][] = [
    ["aesenc xmm0, [rax]", true],
    ["aeskeygenassist xmm0, [rax], 1", true],
    ["pclmulqdq xmm0, [rax], 0", true],
    ["gf2p8affineqb xmm0, [rax], 0", true],
    ["sha1msg1 xmm0, [rax]", false],
    ["sha256rnds2 xmm1, [rax]", false],
    ["sha1rnds4 xmm1, [rax], 2", false],
  ];
  for (const [op, faults] of cases)
    it(`${op}: ${faults ? "SIGSEGV" : "no fault"}`, () => {
      const exe = assemble(`align-${op.split(" ")[0]}`, `.intel_syntax noprefix\n.globl _start\n.data\n.balign 16\nm: .zero 64\n.text\n_start:\nlea rax, [rip+m+1]\n${op}\nmov eax, 60\nxor edi, edi\nsyscall\n`);
      const e = runEmu([exe]);
      expect(shellStatus(e)).toBe(faults ? 139 : 0);
      if (faults) expect(e.stderr).toMatch(/SIGSEGV .*misaligned/);
      const hostHasOp = /\bsha_ni\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8")) && /\bgfni\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8"));
      if (hostHasOp && (faults || hostIsEmulatedVendor)) expect(shellStatus(runNative(exe))).toBe(faults ? 139 : 0);
    });
});
