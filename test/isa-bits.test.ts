/**
 * bt bts btr btc, bsf bsr, popcnt lzcnt tzcnt, shld shrd, movbe, xadd,
 * cmpxchg, cmpxchg8b, cmpxchg16b: each snippet runs natively and under the
 * emulator; registers, defined flags and memory must agree.
 */
import { describe, expect, it } from "vitest";
import { AF, CF, OF, PF, SF, ZF, canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

if (!canRunNative) console.log(`isa-bits: ${nativeSkipReason}`);

const VALUES = [0n, 1n, 0x80n, 0x8000n, 0x80000000n, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0xfedcba9876543210n, 0x100000000n, 0x7fffn];
const ALL = CF | PF | AF | ZF | SF | OF;
const FLAGS = [0, ALL];

const R = { 2: ["ax", "cx", "dx"], 4: ["eax", "ecx", "edx"], 8: ["rax", "rcx", "rdx"] } as const;
const PTR = { 2: "word ptr", 4: "dword ptr", 8: "qword ptr" } as const;
const SIZES = [2, 4, 8] as const;

function btCases(): Case[] {
  const cs: Case[] = [];
  const mem = [0x0123456789abcdefn, 0xfedcba9876543210n, 0x5555aaaa5555aaaan, 1n, 0x8000000000000000n, 0xffn, 0n, 0x1234n];
  for (const op of ["bt", "bts", "btr", "btc"]) {
    for (const s of SIZES) {
      const [a, c] = R[s];
      for (const off of [0, 5, 15, 31, 32, 63, 70]) {
        for (const f of FLAGS) {
          cs.push({ name: `${op} ${a},${c} off=${off} fl=${f}`, code: `${op} ${a}, ${c}`, regs: { rax: 0x123456789abcdef0n, rcx: off }, flags: f, undef: OF | SF | AF | PF });
        }
        cs.push({ name: `${op} ${a},imm ${off}`, code: `${op} ${a}, ${off}`, regs: { rax: 0xfedcba9876543210n }, flags: ZF, undef: OF | SF | AF | PF });
        cs.push({ name: `${op} mem,imm ${off} s${s}`, code: `${op} ${PTR[s]} [rip+m+32], ${off}`, mem, flags: ZF, undef: OF | SF | AF | PF });
      }
      // register bit offsets reaching outside the operand, both ways
      for (const off of [0, 7, 17, 33, 64, 100, 255, -1, -9, -33, -64, -100, -200]) {
        cs.push({ name: `${op} mem${s},reg off=${off}`, code: `lea rbx, [rip+m+32]\n${op} ${PTR[s]} [rbx], ${c}`, mem, regs: { rcx: BigInt.asUintN(64, BigInt(off)) }, undef: OF | SF | AF | PF });
      }
    }
  }
  return cs;
}

function scanCases(): Case[] {
  const cs: Case[] = [];
  for (const op of ["bsf", "bsr", "popcnt", "lzcnt", "tzcnt"]) {
    const undef = op === "popcnt" ? 0 : op.startsWith("bs") ? CF | OF | SF | AF | PF : OF | SF | AF | PF;
    for (const s of SIZES) {
      const [a, c] = R[s];
      for (const v of VALUES) {
        cs.push({ name: `${op} ${a},${c} v=${v.toString(16)}`, code: `${op} ${a}, ${c}`, regs: { rax: 0xa5a5a5a5a5a5a5a5n, rcx: v }, flags: ALL, undef });
        cs.push({ name: `${op} ${a},mem v=${v.toString(16)}`, code: `${op} ${a}, ${PTR[s]} [rip+m+8]`, regs: { rax: 0xa5a5a5a5a5a5a5a5n }, mem: [0, v], flags: 0, undef });
      }
    }
  }
  return cs;
}

function shiftDoubleCases(): Case[] {
  const cs: Case[] = [];
  for (const op of ["shld", "shrd"]) {
    for (const s of SIZES) {
      const [a, , d] = R[s];
      for (const n of [0, 1, 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65]) {
        for (const [va, vd] of [
          [0x123456789abcdef0n, 0xfedcba9876543210n],
          [0x8000000000000001n, 0x7ffffffffffffffen],
          [0n, 0xffffffffffffffffn],
        ]) {
          const cnt = n & (s === 8 ? 63 : 31);
          let undef = AF | (cnt === 1 ? 0 : OF);
          // 16-bit counts above 16: result and flags undefined, and Intel and AMD differ (we follow AMD)
          const vendor = s === 2 && cnt > 16;
          if (vendor) undef = CF | OF | AF;
          const base = `${op} s${s} n=${n} ${va.toString(16)}`;
          cs.push({ name: `${base} cl`, code: `${op} ${a}, ${d}, cl`, regs: { rax: va, rdx: vd, rcx: n }, flags: ALL & ~ZF, undef, vendor });
          if (n < 256) cs.push({ name: `${base} imm`, code: `${op} ${a}, ${d}, ${n}`, regs: { rax: va, rdx: vd }, flags: ZF, undef, vendor });
          cs.push({ name: `${base} mem`, code: `${op} ${PTR[s]} [rip+m+16], ${d}, cl`, regs: { rdx: vd, rcx: n }, mem: [0, 0, va], flags: 0, undef, vendor });
        }
      }
    }
  }
  return cs;
}

function atomicCases(): Case[] {
  const cs: Case[] = [];
  const B = { 1: ["al", "cl", "dl"], ...R } as Record<number, readonly string[]>;
  const P = { 1: "byte ptr", ...PTR } as Record<number, string>;
  for (const s of [1, 2, 4, 8]) {
    const [a, c, d] = B[s];
    for (const [x, y] of [
      [0x7fn, 1n],
      [0xffffffffffffffffn, 1n],
      [0x123456789abcdef0n, 0xfedcba9876543210n],
      [0x80000000n, 0x80000000n],
    ]) {
      cs.push({ name: `xadd r,r s${s}`, code: `xadd ${c}, ${d}`, regs: { rcx: x, rdx: y }, flags: ALL });
      cs.push({ name: `xadd r,same s${s}`, code: `xadd ${c}, ${c}`, regs: { rcx: x }, flags: 0 });
      cs.push({ name: `lock xadd m,r s${s}`, code: `lock xadd ${P[s]} [rip+m], ${d}`, regs: { rdx: y }, mem: [x], flags: 0 });
      for (const eq of [true, false]) {
        const acc = eq ? x : x ^ 0x10n;
        cs.push({ name: `cmpxchg r,r s${s} eq=${eq}`, code: `cmpxchg ${c}, ${d}`, regs: { rax: acc | 0xffffffff00000000n, rcx: x | 0xaaaaaaaa00000000n, rdx: y }, flags: ALL });
        cs.push({ name: `lock cmpxchg m,r s${s} eq=${eq}`, code: `lock cmpxchg ${P[s]} [rip+m+8], ${d}`, regs: { rax: acc | 0xffffffff00000000n, rdx: y }, mem: [0, x], flags: 0 });
      }
      void a;
    }
  }
  for (const eq of [true, false]) {
    const v0 = 0x1111111122222222n;
    const v1 = 0x3333333344444444n;
    cs.push({
      name: `cmpxchg8b eq=${eq}`,
      code: "lock cmpxchg8b [rip+m+8]",
      regs: { rax: eq ? 0xffffffff22222222n : 5n, rdx: eq ? 0xeeeeeeee11111111n : 6n, rbx: 0xaaaaaaaa00000003n, rcx: 0xbbbbbbbb00000004n },
      mem: [0, v0],
      flags: eq ? 0 : ALL,
    });
    cs.push({
      name: `cmpxchg16b eq=${eq}`,
      code: "lock cmpxchg16b [rip+m+16]",
      regs: { rax: eq ? v0 : 5n, rdx: eq ? v1 : 6n, rbx: 0xaaaaaaaa00000003n, rcx: 0xbbbbbbbb00000004n },
      mem: [0, 0, v0, v1],
      flags: eq ? ALL : 0,
    });
  }
  for (const s of SIZES) {
    const [a] = R[s];
    cs.push({ name: `movbe load s${s}`, code: `movbe ${a}, ${PTR[s]} [rip+m+3]`, regs: { rax: 0xa5a5a5a5a5a5a5a5n }, mem: [0x0123456789abcdefn, 0xfedcba9876543210n] });
    cs.push({ name: `movbe store s${s}`, code: `movbe ${PTR[s]} [rip+m+5], ${a}`, regs: { rax: 0x0123456789abcdefn } });
  }
  return cs;
}

describe("bit and atomic instructions match the host CPU", () => {
  it.skipIf(!canRunNative)("bt bts btr btc (register, immediate, memory with signed offsets)", () => {
    expect(firstDiffs(btCases())).toEqual([]);
  });
  it.skipIf(!canRunNative)("bsf bsr popcnt lzcnt tzcnt", () => {
    expect(firstDiffs(scanCases())).toEqual([]);
  });
  it.skipIf(!canRunNative)("shld shrd (imm8 and cl, all sizes and counts)", () => {
    expect(firstDiffs(shiftDoubleCases(), "shld-shrd")).toEqual([]);
  });
  it.skipIf(!canRunNative)("xadd cmpxchg cmpxchg8b cmpxchg16b movbe", () => {
    expect(firstDiffs(atomicCases())).toEqual([]);
  });
});
