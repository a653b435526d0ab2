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
import { Process } from "../src/emulator.js";
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
