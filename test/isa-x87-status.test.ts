/**
 * x87 status-word details compared with the host CPU under all tiers:
 * - the denormal-operand flag DE: reported by arithmetic (also for float and
 *   double memory denormals, which become normal extended values) but not
 *   when a NaN operand, an invalid operation or a division by zero takes
 *   precedence, and never by moves, stores, fist, fchs/fabs;
 * - fprem/fprem1: finite % infinity is the dividend with C0-C3 clear; NaN and
 *   invalid results clear C1 and C2 and keep C0 and C3; quotient bits and C2
 *   over random exponent differences;
 * - fscale's invalid cases (0 * 2^+inf, inf * 2^-inf), SNaN operands of
 *   frndint and fxtract, NaN propagation (SNaN vs QNaN, equal significands);
 * - 80-bit bit copies (fld/fstp m80, fld st(i), fchs, fabs) keep
 *   pseudo-denormals as they are.
 * The first table holds cases of the x87 differential family that once
 * disagreed with the host (seed and index for reference).
 */
import { describe, expect, it } from "vitest";
import { prng } from "./helpers/prng.js";
import { canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

const LOADS: Record<string, string> = {
  s: "fld dword ptr [rip+m+12]\nfld dword ptr [rip+m+4]",
  d: "fld qword ptr [rip+m+8]\nfld qword ptr [rip+m]",
  i: "fild qword ptr [rip+m+8]\nfild dword ptr [rip+m]",
};
/** The differential family's epilogue: status word to ax (after the operation) and rbx, both registers and two conversions stored. */
const EPILOGUE = "fnstsw ax\nfstp tbyte ptr [rip+m+32]\nfstp tbyte ptr [rip+m+48]\nmov rbx, rax\nfnstsw ax\nfild qword ptr [rip+m+8]\nfistp dword ptr [rip+m+64]\nfld qword ptr [rip+m]\nfstp dword ptr [rip+m+68]\nfninit";

/** [seed, index, control word (0: default), load, operation, m[0..3]] */
const SEEDED: [number, number, number, string, string, bigint[]][] = [
  [777, 419, 2943, "s", "fmul dword ptr [rip+m+24]", [0x7ff8000000000000n, 0x118b22dn, 0x13a9eb9700n, 0x80000000007fffffn]],
  [777, 425, 0, "s", "fmul dword ptr [rip+m+24]", [0xffffffffff6d6060n, 0x7ff0000000000000n, 0xfffffffffffffn, 0x3fn]],
  [777, 742, 2943, "s", "fdiv qword ptr [rip+m+16]", [0xffffffffffb94b36n, 0x3ff0000000000000n, 0x2dfn, 0xbff0000000000000n]],
  [777, 772, 0, "s", "fprem1", [0x3f8000007fc00000n, 0x7f8000007f7fffffn, 0x0n, 0x4f0000003f000000n]],
  [777, 1272, 0, "s", "fprem", [0xffffffffn, 0x7f8000003f800000n, 0xffffffffffffff99n, 0x80000000n]],
  [777, 1890, 1919, "s", "fmul dword ptr [rip+m+24]", [0x7fefffffffffffffn, 0x3f0000007f800000n, 0x7fc000007f800000n, 0x5n]],
  [777, 1971, 0, "d", "fprem", [0x7f800000bf800000n, 0x7ff0000000000000n, 0x4n, 0x3f000000n]],
  [777, 2236, 0, "d", "fadd qword ptr [rip+m+16]", [0xffffffff6dc4d632n, 0x7f8000007fa00001n, 0x7f7fffffn, 0xbff0000000000000n]],
  [777, 2438, 0, "s", "fadd qword ptr [rip+m+16]", [0x7ff8000000000000n, 0x4340000000000001n, 0xcf000000n, 0x55945n]],
  [777, 2740, 2943, "d", "fprem", [0xe1n, 0xfff0000000000000n, 0xc1e0000000000000n, 0xc9c1c6a8d3837a62n]],
  [1, 225, 895, "d", "fmul dword ptr [rip+m+24]", [0x7ff8000000000000n, 0x4340000000000001n, 0x286dc19a9b87ff15n, 0x7fn]],
  [1, 585, 1919, "d", "fprem1", [0x7fc000003eaaaaabn, 0x7ff0000000000000n, 0x3ff0000000000000n, 0xd8n]],
  [1, 1448, 0, "d", "fmul dword ptr [rip+m+24]", [0xffffffef1a401f40n, 0x990e36a8a4b831e5n, 0x184b848173a98d6cn, 0x181n]],
  [1, 1558, 0, "s", "fmul dword ptr [rip+m+24]", [0xfffffff92b2876b0n, 0xffn, 0xfffffff86f0a9e60n, 0x7ff4000000000001n]],
  [1, 1624, 0, "s", "fadd qword ptr [rip+m+16]", [0x7fefffffffffffffn, 0x5a893be7c34946bdn, 0x3d5eb314n, 0xffffffffff9109e0n]],
  [1, 2049, 0, "s", "fprem", [0xcf0000007f7fffffn, 0x7f8000003f800000n, 0x4340000000000001n, 0xfffffff2486a0d40n]],
  [1, 2244, 3967, "s", "fadd qword ptr [rip+m+16]", [0xffffffffffff8edcn, 0xffffffffn, 0x8000n, 0x7fffn]],
  [1, 2505, 895, "s", "fmul dword ptr [rip+m+24]", [0xfffffffffffff9e8n, 0x58728ad82c1847ccn, 0x4340000000000001n, 0xffffn]],
  [1, 2713, 0, "d", "fprem", [0x7fn, 0x7ff0000000000000n, 0x0n, 0x2n]],
  [1, 2855, 3967, "d", "fadd qword ptr [rip+m+16]", [0x7ff8000000000000n, 0x0n, 0x1n, 0x2799n]],
  [2, 12, 0, "s", "fadd qword ptr [rip+m+16]", [0xfffffffffff93198n, 0xfff0000000000000n, 0xfffffffffffffn, 0xffffffffffff02cen]],
  [2, 865, 0, "s", "fscale", [0x0n, 0x7f800000bf800000n, 0xb1n, 0x43e0000000000000n]],
  [2, 868, 1919, "s", "fprem", [0x16988a36fc1772f9n, 0x7f8000003eaaaaabn, 0x7fffff00000001n, 0x7en]],
  [2, 1276, 3967, "d", "fprem1", [0x277593n, 0xfff0000000000000n, 0x800000003f800000n, 0xffffffffe684ce07n]],
  [2, 1645, 0, "s", "fprem1", [0xa1f6c9ce61298089n, 0xff800000ff800000n, 0x8000000000000001n, 0xfff0000000000000n]],
  [2, 1688, 0, "s", "fprem1", [0x7f7fffff80000000n, 0x7f8000007f800000n, 0xc6n, 0x82359a081fe4d4f2n]],
  [2, 2502, 0, "s", "fadd qword ptr [rip+m+16]", [0xfff0000000000000n, 0x3f8000007fc00000n, 0x7fa00001n, 0x7fa00001cf000000n]],
  [3, 486, 0, "s", "fprem", [0x0n, 0xff8000003eaaaaabn, 0x9623c04d2b68fc58n, 0xff8000007f7fffffn]],
  [3, 718, 0, "s", "fmul dword ptr [rip+m+24]", [0xfffffffffffffffen, 0x8febd65b513955abn, 0x7fffffff800000n, 0x7ff4000000000001n]],
  [3, 1038, 0, "s", "fprem", [0x839ae43n, 0x7f800000bf800000n, 0x7ff0000000000000n, 0xffffffca41916f80n]],
  [3, 2206, 2943, "i", "fscale", [0x7f7fffff007fffffn, 0xfff0000000000000n, 0x7ff0000000000000n, 0x7fc00000n]],
  [3, 2552, 0, "s", "fdiv qword ptr [rip+m+16]", [0x7ff0000000000000n, 0x4340000000000001n, 0x4f000000n, 0x7ff8000000000000n]],
  [3, 2832, 2943, "i", "fscale", [0xcf0000003f800000n, 0xb7aee61306fac705n, 0x7ff0000000000000n, 0x88128ea00n]],
  [4242, 114, 0, "s", "fprem1", [0x4340000000000001n, 0x7f8000003f000000n, 0x3fe0000000000000n, 0x7fffff7f800000n]],
  [4242, 555, 3967, "s", "fdiv qword ptr [rip+m+16]", [0xfffffffffffffdf6n, 0x3608091n, 0x3bn, 0xb6fn]],
  [4242, 612, 0, "s", "fmul dword ptr [rip+m+24]", [0xfffffffff2bf784en, 0xffffffffffad42a3n, 0xfffffffffffffffcn, 0xffn]],
  [4242, 707, 895, "s", "fdiv qword ptr [rip+m+16]", [0xfffffffffffff878n, 0xe689ef2bb6f0b13dn, 0x7dfb1n, 0xc1e0000000000000n]],
  [4242, 1002, 0, "s", "fprem", [0x6ebe55n, 0xff8000007f7fffffn, 0xbf800000cf000000n, 0x7fffffffn]],
  [4242, 1102, 0, "d", "fadd qword ptr [rip+m+16]", [0xfffffffffbc395ffn, 0x0n, 0x29dn, 0x7f800000ff800000n]],
  [4242, 1303, 0, "s", "fadd qword ptr [rip+m+16]", [0x7ff0000000000000n, 0xa21b6bn, 0x3eaaaaabn, 0x8000000000000000n]],
  [4242, 1316, 0, "d", "fprem", [0x8f483337acfc63a0n, 0xfff0000000000000n, 0xfffffffffffffn, 0x568a3ef23bdabd58n]],
  [4242, 1656, 1919, "d", "fprem", [0x3f0000003eaaaaabn, 0x7ff0000000000000n, 0x3f800000bf800000n, 0x0n]],
  [4242, 1974, 0, "s", "fprem", [0xffffn, 0x7f8000007f800000n, 0x41dfffffffc00000n, 0x7fffffffn]],
  [4242, 2146, 0, "s", "fdiv qword ptr [rip+m+16]", [0xffffffffffff8bdfn, 0xcf000000007fffffn, 0x7fffn, 0x3eaaaaab7f800000n]],
  [4242, 2296, 1919, "i", "fscale", [0x7fefffffffffffffn, 0xcf0000003f800000n, 0xbn, 0x0n]],
  [4242, 2402, 0, "d", "fprem1", [0x7fffffcf000000n, 0x7ff0000000000000n, 0x275a232n, 0xcf000000n]],
  [4242, 2419, 2943, "s", "fdiv qword ptr [rip+m+16]", [0x7fa00001ff800000n, 0xbf8000007fa00001n, 0x3fn, 0x43e0000000000000n]],
  [4242, 2949, 0, "s", "fprem", [0x77n, 0x7f800000ff800000n, 0xc1e0000000000000n, 0x9e57873fb8ba5c87n]],
  [12345, 251, 0, "d", "fadd qword ptr [rip+m+16]", [0xffffffffffe57100n, 0x0n, 0x2n, 0x3fd5555555555555n]],
  [12345, 438, 2943, "d", "fprem1", [0x4340000000000001n, 0xfff0000000000000n, 0xcf000000cf000000n, 0xbf800000ff800000n]],
  [12345, 451, 0, "d", "fadd qword ptr [rip+m+16]", [0xfffffffffc46ad81n, 0xfffffffffffac2c9n, 0x13eaaaaabn, 0xef7812164a6e35ebn]],
  [12345, 538, 3967, "d", "fprem1", [0x1n, 0xfff0000000000000n, 0x7f80000000000000n, 0x43e0000000000000n]],
  [12345, 1244, 3967, "s", "fdiv qword ptr [rip+m+16]", [0x7ff0000000000000n, 0x0n, 0x4be47bn, 0x0n]],
  [12345, 1264, 0, "s", "fmul dword ptr [rip+m+24]", [0xfff0000000000000n, 0x8000000000000000n, 0x3ff0000000000000n, 0x7f7fffff00000001n]],
  [12345, 1296, 0, "s", "fdiv qword ptr [rip+m+16]", [0x7fefffffffffffffn, 0xffffffffffffff93n, 0xcf000000n, 0x3fd5555555555555n]],
  [12345, 1425, 0, "s", "fdiv qword ptr [rip+m+16]", [0xffffffffffffffc3n, 0x0n, 0x1fn, 0x4f00000000000000n]],
  [12345, 1775, 0, "d", "fdiv qword ptr [rip+m+16]", [0xffffffffffff7893n, 0x52430c264b3d6d65n, 0x80000000bf800000n, 0xbff0000000000000n]],
  [12345, 2165, 0, "s", "fmul dword ptr [rip+m+24]", [0x7fefffffffffffffn, 0x3eaaaaabff800000n, 0xffffn, 0x1n]],
  [12345, 3620, 0, "d", "fprem", [0x4340000000000001n, 0xfff0000000000000n, 0x7ff0000000000000n, 0x41dfffffffc00000n]],
  [12345, 4024, 0, "s", "fprem1", [0x879de33c44b5a6e1n, 0x7f8000003f800000n, 0x3fe0000000000000n, 0x3fe0000000000000n]],
  [12345, 4182, 0, "d", "fprem", [0x8000n, 0xfff0000000000000n, 0x3ecccc244e4bef80n, 0xcf0000003f800000n]],
  [12345, 4230, 0, "s", "fprem", [0xbff0000000000000n, 0xff8000003f800000n, 0xfffffffffffffn, 0x3eaaaaab7fc00000n]],
  [12345, 4304, 0, "s", "fadd qword ptr [rip+m+16]", [0xfffffffffffc88c6n, 0x80000000n, 0x2n, 0xfff0000000000000n]],
  [12345, 4317, 0, "s", "fadd qword ptr [rip+m+16]", [0x7ff0000000000000n, 0x0n, 0x1007fffffn, 0xc1e0000000000000n]],
  [12345, 4461, 0, "d", "fprem", [0x106f295e5dd6ec7cn, 0xfff0000000000000n, 0x3ff0000000000000n, 0x48n]],
  [12345, 4998, 0, "s", "fadd qword ptr [rip+m+16]", [0x7ff0000000000000n, 0x4f0000003f800000n, 0x544b6n, 0xbf8000003eaaaaabn]],
  [12345, 5024, 0, "s", "fprem1", [0x43e0000000000000n, 0xff800000cf000000n, 0x7ff0000000000000n, 0xffffffffffffff9en]],
  [12345, 5596, 0, "s", "fprem1", [0x0n, 0x7f8000004f000000n, 0x43e0000000000000n, 0x9e621bbd7faf73d7n]],
  [12345, 5975, 0, "d", "fprem1", [0xbff0000000000000n, 0x7ff0000000000000n, 0xba3a263b215a11e5n, 0xffffffe098265900n]],
  [12345, 6573, 0, "s", "fmul dword ptr [rip+m+24]", [0x7fc00000ff800000n, 0x7ba453cdca6cef43n, 0x3f000000n, 0x1n]],
  [12345, 6594, 0, "d", "fprem1", [0xcf0000007fa00001n, 0xfff0000000000000n, 0x39n, 0x41dfffffffc00000n]],
  [12345, 6744, 0, "d", "fprem", [0x43e0000000000000n, 0xfff0000000000000n, 0x7ff4000000000001n, 0xc1e0000000000000n]],
  [12345, 7009, 2943, "i", "fscale", [0xdd69478546aa3469n, 0xffffffffffff0fcan, 0x0n, 0x7ff4000000000001n]],
  [12345, 7014, 0, "s", "fadd qword ptr [rip+m+16]", [0x7ff4000000000001n, 0x1n, 0x1n, 0x4340000000000001n]],
  [12345, 7574, 0, "s", "fadd qword ptr [rip+m+16]", [0xffffffffa9cbf760n, 0xcf0000007fa00001n, 0x90n, 0x40n]],
  [12345, 8039, 1919, "s", "fmul dword ptr [rip+m+24]", [0x7fc0000080000000n, 0xffffffffffffffffn, 0xffffffece2875680n, 0x4340000000000001n]],
  [12345, 8260, 3967, "d", "fprem1", [0x7f7fffff007fffffn, 0x7ff0000000000000n, 0x3f00000000000000n, 0x7fefffffffffffffn]],
  [12345, 8359, 3967, "d", "fdiv qword ptr [rip+m+16]", [0xfffffffffeb1b83dn, 0x41dfffffffc00000n, 0x3f79d2cb8n, 0xfffffffffffbf7a5n]],
  [12345, 8665, 0, "s", "fprem", [0x1n, 0x7f8000007fc00000n, 0x1n, 0xffffffffff8e8c7an]],
  [12345, 8668, 3967, "s", "fdiv st, st(1)", [0xfffffffffffffe5en, 0x7fffffffffffffffn, 0x7fa000014f000000n, 0xcf0000007fa00001n]],
  [12345, 8888, 3967, "d", "fadd qword ptr [rip+m+16]", [0xffffffffffff7471n, 0x0n, 0x1n, 0x0n]],
  [12345, 9369, 0, "s", "fmul dword ptr [rip+m+24]", [0xffffffffc1a3bc80n, 0x3f80000000000001n, 0x0n, 0x16e11n]],
  [12345, 9549, 2943, "d", "fmul dword ptr [rip+m+24]", [0x7ff4000000000001n, 0x6bn, 0x0n, 0x4f0000007fa00001n]],
  [12345, 9903, 0, "s", "fdiv qword ptr [rip+m+16]", [0xffffffffffffffebn, 0xd92a4ee88e17d4f3n, 0x8000n, 0x7f7fffffbf800000n]],
  [12345, 9938, 1919, "d", "fdiv qword ptr [rip+m+16]", [0xffffffeabec7e2c0n, 0x0n, 0x5f914n, 0x3f0000003f800000n]],
  [12345, 9955, 0, "s", "fmul dword ptr [rip+m+24]", [0xffffffc695545a80n, 0x8cb95f754da2371en, 0x0n, 0x180n]],
  [12345, 9998, 0, "d", "fprem1", [0x0n, 0xfff0000000000000n, 0x9bn, 0x0n]],
];

function seeded([seed, k, cw, load, op, mem]: (typeof SEEDED)[number]): Case {
  const fldcw = cw ? `mov word ptr [rip+m+120], ${cw}\nfldcw word ptr [rip+m+120]\n` : "";
  return { name: `${op} (seed ${seed} #${k})`, code: `fninit\n${fldcw}${LOADS[load]}\n${op}\n${EPILOGUE}`, mem };
}

/** 80-bit register values [significand, sign+exponent]. */
type V80 = [bigint, number];
const V: Record<string, V80> = {
  one: [0x8000000000000000n, 0x3fff],
  three: [0xc000000000000000n, 0x4000],
  nbig: [0x8000000000000000n, 0xc100],
  zero: [0n, 0],
  nzero: [0n, 0x8000],
  tiny: [0x8000000000000000n, 0x0001], // smallest normal
  den: [0x0000000000001234n, 0],
  nden: [0x4000000000000000n, 0x8000],
  pden: [0x8000000000000001n, 0], // pseudo-denormal
  inf: [0x8000000000000000n, 0x7fff],
  ninf: [0x8000000000000000n, 0xffff],
  qnan: [0xc000000000000001n, 0x7fff],
  snan: [0x8000000000000001n, 0x7fff],
};

/**
 * ST(1) = b, ST(0) = a loaded as 80-bit values, C0-C3 preset (fldenv) when
 * `cc`, then the operation; the status word goes to ax and both registers to
 * m+64 and m+80. A memory operand is at m+32 (float and double 1: denormal,
 * or `m32`).
 */
function regCase(op: string, a: V80, b: V80, cc: boolean, name: string, m32 = 1n): Case {
  // the environment image is scratch (its instruction pointer fields are not compared)
  const preset = cc ? "fnstenv [rip+m+96]\nor word ptr [rip+m+100], 0x4700\nfldenv [rip+m+96]\nmov qword ptr [rip+m+104], 0\nmov qword ptr [rip+m+112], 0\nmov dword ptr [rip+m+120], 0\n" : "";
  return {
    name: `${op} ${name}${cc ? " (C0-C3 preset)" : ""}`,
    code: `fninit\nfld tbyte ptr [rip+m+16]\nfld tbyte ptr [rip+m]\n${preset}${op}\nfnstsw ax\nfstp tbyte ptr [rip+m+64]\nfstp tbyte ptr [rip+m+80]\nfninit`,
    mem: [a[0], BigInt(a[1]), b[0], BigInt(b[1]), m32],
  };
}

/** Every pair of the named values under each operation, with and without preset condition codes. */
function grid(ops: string[], names: string[], presets = [false, true]): Case[] {
  const out: Case[] = [];
  for (const op of ops) for (const cc of presets) for (const a of names) for (const b of names) out.push(regCase(op, V[a], V[b], cc, `${a},${b}`));
  return out;
}

const ALL = Object.keys(V);

describe.skipIf(!canRunNative)(`x87 status word vs the host ${nativeSkipReason}`, () => {
  it("differential-family cases that once disagreed", () => {
    expect(firstDiffs(SEEDED.map(seeded))).toEqual([]);
  });
  it("DE with memory operands (float/double denormals) and its precedence", () => {
    const ops = ["fmul dword ptr [rip+m+32]", "fdiv dword ptr [rip+m+32]", "fadd qword ptr [rip+m+32]", "fdivr qword ptr [rip+m+32]", "fcom dword ptr [rip+m+32]", "fld dword ptr [rip+m+32]", "fld qword ptr [rip+m+32]"];
    const cases = grid(ops, ["one", "zero", "den", "inf", "qnan", "snan"], [false]);
    // memory SNaN / QNaN / zero / normal against register denormals and NaNs
    for (const m32 of [0x7fa00001n, 0x7fc00000n, 0n, 0x3f800000n]) for (const a of ["den", "qnan", "snan", "one"]) cases.push(regCase("fmul dword ptr [rip+m+32]", V[a], V.one, false, `${a},m=0x${m32.toString(16)}`, m32));
    expect(firstDiffs(cases)).toEqual([]);
  });
  it("DE with register operands: arithmetic reports it, moves and stores do not", () => {
    const ops = ["fadd st, st(1)", "fmul st, st(1)", "fdiv st, st(1)", "fdivr st, st(1)", "fcom st(1)", "fucom st(1)", "ftst", "fsqrt", "frndint", "fxtract", "fscale",
      "fst qword ptr [rip+m+96]", "fst dword ptr [rip+m+96]", "fist dword ptr [rip+m+96]", "fld st(0)", "fchs", "fabs", "fxch"];
    expect(firstDiffs(grid(ops, ["one", "zero", "den", "nden", "pden", "tiny", "inf", "qnan", "snan"]))).toEqual([]);
  });
  it("fprem and fprem1 with special operands", () => {
    expect(firstDiffs(grid(["fprem", "fprem1"], ALL))).toEqual([]);
  });
  it("fprem and fprem1 quotient bits and partial remainders (random exponent differences)", () => {
    const r = prng(0x87);
    const u64 = () => (BigInt(r() >>> 0) << 32n) | BigInt(r() >>> 0);
    const val = (base: number): V80 => {
      let m = u64() | (1n << 63n);
      if (r() % 8 === 0) m &= ~((1n << BigInt(r() % 64)) - 1n);
      let e = r() % 10 === 0 ? r() % 4 : base + (r() % 160) - 80;
      if (e <= 0) [e, m] = [0, m >> BigInt(1 + (r() % 63))];
      return [m, (r() & 1 ? 0x8000 : 0) | Math.min(e, 0x7ffe)];
    };
    const cases: Case[] = [];
    for (let n = 0; n < 600; n++) {
      const base = r() % 3 === 0 ? 10 + (r() % 200) : 16183 + (r() % 400);
      const op = r() & 1 ? "fprem" : "fprem1";
      cases.push(regCase(op, val(base), val(base - (r() % 3 === 0 ? r() % 140 : 0)), (r() & 1) === 1, `#${n}`));
    }
    expect(firstDiffs(cases)).toEqual([]);
  });
  it("NaN propagation: SNaN against QNaN, larger significand, positive on a tie", () => {
    const nans: Record<string, V80> = {
      qp: [0xc000000000000005n, 0x7fff], qn: [0xc000000000000005n, 0xffff], qbig: [0xc000000000000009n, 0x7fff],
      sp: [0x8000000000000005n, 0x7fff], sn: [0x8000000000000005n, 0xffff], sbig: [0x8000000000000009n, 0xffff],
    };
    const cases: Case[] = [];
    for (const op of ["fadd st, st(1)", "fsubr st, st(1)", "fmul st, st(1)", "fdivr st(1), st", "fprem", "fscale"])
      for (const a of Object.keys(nans)) for (const b of Object.keys(nans)) cases.push(regCase(op, nans[a], nans[b], false, `${a},${b}`));
    expect(firstDiffs(cases)).toEqual([]);
  });
});
