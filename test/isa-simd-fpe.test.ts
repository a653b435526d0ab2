/**
 * SSE floating-point exceptions: MXCSR flags for hand-picked edge cases
 * (exceptions masked; native vs both tiers), and unmasked exceptions (#XM)
 * delivered as SIGFPE with si_code, rip at the instruction and the
 * destination unchanged (fixtures/c/simdfpe.c, run natively and in-process,
 * with a recorded native output for non-x86 hosts), ending with a death by
 * SIGFPE after feenableexcept(FE_DIVBYZERO).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Process } from "../src/kernel/program.js";
import { MemoryHost } from "../src/host/memory.js";
import { canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

const ROOT = path.join(__dirname, "..");
const SIGFPE = 8;

/** One case: load xmm0/xmm1 from m, set MXCSR, run `op`, store xmm0 and MXCSR back to m. */
function mx(op: string, a: bigint, b: bigint, mxcsr: number): Case {
  return {
    name: `${op} 0x${a.toString(16)}, 0x${b.toString(16)} (mxcsr 0x${mxcsr.toString(16)})`,
    code: `movq xmm0, qword ptr [rip+m]\nmovq xmm1, qword ptr [rip+m+8]\nldmxcsr dword ptr [rip+m+16]\n${op}\nstmxcsr dword ptr [rip+m+20]\nmovq qword ptr [rip+m+24], xmm0`,
    mem: [a, b, BigInt(mxcsr)],
  };
}

const ONE = 0x3ff0000000000000n;
const MIND = 0x0010000000000000n;
const DEN = 1n;
const QNAN = 0x7ff8000000000000n;
const SNAN = 0x7ff0000000000001n;
const MAXD = 0x7fefffffffffffffn;
const RC = [0x1f80, 0x3f80, 0x5f80, 0x7f80];

describe.skipIf(!canRunNative)(`MXCSR flags, rounding, FTZ and DAZ vs the host ${nativeSkipReason}`, () => {
  it("arithmetic edge cases", () => {
    const cases: Case[] = [];
    const pairs: [bigint, bigint][] = [
      [0x3ff0000000000001n, 0x000fffffffffffffn], // tiny before rounding, not after
      [0x3fefffffffffffffn, 0x0010000000000001n],
      [0x3fe0000000000000n, MIND], // tiny and exact
      [0x3fe0000000000001n, 0x0010000000000001n], // tiny and inexact
      [ONE, DEN],
      [QNAN, DEN],
      [DEN, QNAN],
      [SNAN, DEN],
      [0x7ff0000000000000n, DEN],
      [0n, 0n],
      [ONE, 0n],
      [DEN, 0n],
      [MAXD, 0x4000000000000000n],
      [MAXD, 0x3ff0000000000001n],
      [ONE, 0x3c90000000000001n],
      [0x3fb999999999999an, 0x3fb999999999999an],
      [ONE, 0x4008000000000000n],
      [0xbff0000000000000n, 0x4008000000000000n],
      [ONE, 0xbff0000000000000n],
    ];
    for (const [a, b] of pairs)
      for (const op of ["addsd", "subsd", "mulsd", "divsd", "sqrtsd", "maxsd", "minsd", "cmpltsd", "cmpeqsd", "cvtsd2ss", "comisd", "ucomisd"])
        for (const m of [...RC, 0x9f80, 0x1fc0, 0xffc0]) cases.push(mx(`${op} xmm0, xmm1`, a, b, m));
    expect(firstDiffs(cases)).toEqual([]);
  });
  it("conversions and round* under every rounding mode", () => {
    const cases: Case[] = [];
    for (const v of [0x4004000000000000n, 0xc004000000000000n, 0x3fe0000000000000n, DEN, 0x41e0000000000000n, 0xc1e0000000000000n, 0x43e0000000000000n, QNAN, 0x4202a05f20000001n])
      for (const op of ["cvtsd2si rax, xmm1", "cvtsd2si eax, xmm1", "cvttsd2si eax, xmm1", "cvtpd2dq xmm0, xmm1", "roundsd xmm0, xmm1, 4", "roundsd xmm0, xmm1, 12", "cvtsi2ss xmm0, rax", "cvtsi2sd xmm0, rax"])
        for (const m of [...RC, 0x1fc0]) {
          const c = mx(op, ONE, v, m);
          c.regs = { rax: v };
          cases.push(c);
        }
    expect(firstDiffs(cases)).toEqual([]);
  });
});

/** A case with full 16-byte operands: xmm0 = a, xmm1 = b (low quadword first). */
function mx2(op: string, a: [bigint, bigint], b: [bigint, bigint], mxcsr: number): Case {
  return {
    name: `${op} ${a.map((v) => v.toString(16))}, ${b.map((v) => v.toString(16))} (mxcsr 0x${mxcsr.toString(16)})`,
    code: `movdqu xmm0, xmmword ptr [rip+m]\nmovdqu xmm1, xmmword ptr [rip+m+16]\nldmxcsr dword ptr [rip+m+32]\n${op}\nstmxcsr dword ptr [rip+m+36]\nmovdqu xmmword ptr [rip+m+40], xmm0`,
    mem: [a[0], a[1], b[0], b[1], BigInt(mxcsr)],
  };
}

/** Two float32 lanes (bits) as one quadword. */
const f2 = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
const F1 = 0x3f800000;
const FTINY = 0x1f800000; // 2^-64: squared, 2^-128 is denormal
const FSNAN = 0x7fa00001;
const FINF = 0x7f800000;
const FMAX = 0x7f7fffff;

describe.skipIf(!canRunNative)(`dpps/dppd and float32 tininess vs the host ${nativeSkipReason}`, () => {
  it("dpps/dppd: products and sums round and raise flags step by step", () => {
    const cases: Case[] = [];
    const ps: [number, [bigint, bigint], [bigint, bigint]][] = [
      [0xd1, [f2(F1, FSNAN), f2(F1, F1)], [f2(F1, F1), f2(F1, F1)]], // unused lanes raise nothing
      [0xd1, [f2(F1, 1), f2(F1, F1)], [f2(F1, F1), f2(F1, F1)]],
      [0x11, [f2(FTINY, 0), 0n], [f2(FTINY, 0), 0n]], // denormal product: DE in the add, DAZ reads it as zero, FTZ flushes it
      [0x11, [f2(FTINY + 1, 0), 0n], [f2(FTINY + 1, 0), 0n]],
      [0x31, [f2(FTINY, FTINY), 0n], [f2(FTINY, FTINY), 0n]],
      [0xf1, [f2(FTINY, FTINY), f2(F1, 0x30800000)], [f2(FTINY, FTINY), f2(F1, F1)]],
      [0x11, [f2(0x00800000, 0), 0n], [f2(0x3f7fffff, 0), 0n]], // product tiny after rounding, delivered as the smallest normal
      [0xff, [f2(0x3dcccccd, FINF), f2(0xff800000, F1)], [f2(0x3dcccccd, F1), f2(F1, F1)]],
      [0xff, [f2(FMAX, FMAX), f2(F1, F1)], [f2(F1, F1), f2(F1, F1)]],
      [0xff, [f2(F1, 0xbf800000), f2(F1, 0xbf800000)], [f2(F1, F1), f2(F1, F1)]], // exact zero sums: -0 when rounding down
      [0xff, [f2(0x3dcccccd, 0x3eaaaaab), f2(0x40490fdb, 0xc0490fdb)], [f2(0x3dcccccd, 0x3eaaaaab), f2(0x3f800001, 0x3f800001)]],
    ];
    const pd: [number, [bigint, bigint], [bigint, bigint]][] = [
      [0x31, [ONE, 0x7ff4000000000001n], [ONE, ONE]],
      [0x11, [ONE, 0x7ff4000000000001n], [ONE, ONE]],
      [0x33, [0x2000000000000000n, ONE], [0x1ff0000000000000n, ONE]],
      [0x33, [0x2000000000000000n, ONE], [0x2000000000000000n, ONE]],
      [0x33, [ONE, 0xbff0000000000000n], [ONE, ONE]],
      [0x33, [0x3fb999999999999an, MAXD], [0x3fb999999999999an, 0x3ff0000000000001n]],
      [0x33, [DEN, ONE], [ONE, 0x3c90000000000001n]],
    ];
    for (const m of [...RC, 0x1fc0, 0x9f80, 0xffc0, 0x1fbf]) {
      for (const [imm, a, b] of ps) cases.push(mx2(`dpps xmm0, xmm1, ${imm}`, a, b, m));
      for (const [imm, a, b] of pd) cases.push(mx2(`dppd xmm0, xmm1, ${imm}`, a, b, m));
    }
    // the MXCSR flags of dpps/dppd differ between Intel and AMD (we follow AMD)
    for (const c of cases) c.vendor = true;
    expect(firstDiffs(cases, "dpps")).toEqual([]);
  });
  it("float32 results rounded up to the smallest normal are tiny (UE, flushed with FTZ)", () => {
    const cases: Case[] = [];
    for (const m of [...RC, 0x1fc0, 0x9f80]) {
      for (const op of ["mulss", "mulps", "divss"]) {
        cases.push(mx2(`${op} xmm0, xmm1`, [f2(0x00800000, 0x00800001), 0n], [f2(0x3f7fffff, 0x3f7ffffe), 0n], m));
        cases.push(mx2(`${op} xmm0, xmm1`, [f2(0x00800000, 0x00800001), 0n], [f2(0x3f800001, 0x3f800002), 0n], m));
      }
      for (const d of [0x380fffffffffffffn, 0x380ffffff0000000n, 0x380fffffe0000000n, 0x380fffffefffffffn]) cases.push(mx2("cvtsd2ss xmm0, xmm1", [0n, 0n], [d, 0n], m));
    }
    expect(firstDiffs(cases)).toEqual([]);
  });
});

function runInProcess(elf: Uint8Array): { stdout: string; status: unknown } {
  const host = new MemoryHost();
  const p = new Process(elf, { argv: ["simdfpe"], envp: [], host });
  const status = p.run(50_000_000);
  return { stdout: new TextDecoder().decode(Uint8Array.from(host.stdout)), status };
}

describe("unmasked SSE exceptions: SIGFPE (fixtures/c/simdfpe.c)", () => {
  const expected = fs.readFileSync(path.join(ROOT, "fixtures/expected/simdfpe.out"), "utf8");
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "simdfpe");
    it.skipIf(!fs.existsSync(exe))(`${libc}: native and emulated agree, and die by SIGFPE`, () => {
      if (canRunNative) {
        const n = spawnSync(exe, { encoding: "utf8" });
        expect(n.signal).toBe("SIGFPE");
        expect(n.stdout).toBe(expected);
      }
      const e = runInProcess(new Uint8Array(fs.readFileSync(exe)));
      expect(e.stdout).toBe(expected);
      expect(e.status).toMatchObject({ kind: "signal", signal: SIGFPE });
      expect(e.stdout).not.toContain("WRONG");
      expect(e.stdout).toContain("divsd 1/0, ZE unmasked                       SIGFPE code 3 rip ok addr ok");
    });
  }
});
