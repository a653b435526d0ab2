/**
 * x87 packed BCD: fbld and fbstp (rounding per the control word's RC, PE and
 * C1, the BCD indefinite with IE for NaN, infinity and more than 18 digits,
 * signed zeros), compared with the host CPU under both tiers.
 */
import { describe, expect, it } from "vitest";
import { canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

/** fld a double from m, set RC, fbstp to m+16, status word to rax; then fbld it back and store as a double to m+32. */
function bcdStore(bits: bigint, rc: number): Case {
  const cw = 0x37f | (rc << 10);
  return {
    name: `fbstp 0x${bits.toString(16)} rc ${rc}`,
    code: `fninit\nmov word ptr [rip+m+8], ${cw}\nfldcw word ptr [rip+m+8]\nfld qword ptr [rip+m]\nfbstp tbyte ptr [rip+m+16]\nfnstsw ax\nfbld tbyte ptr [rip+m+16]\nfstp qword ptr [rip+m+32]\nfnstsw word ptr [rip+m+40]\nfninit`,
    mem: [bits],
  };
}

/** fbld of raw BCD bytes (lo: bytes 0-7, hi: bytes 8-9), stored as an 80-bit value. */
function bcdLoad(lo: bigint, hi: bigint): Case {
  return {
    name: `fbld 0x${hi.toString(16)}:${lo.toString(16)}`,
    code: `fninit\nfbld tbyte ptr [rip+m]\nfnstsw ax\nfstp tbyte ptr [rip+m+16]\nfninit`,
    mem: [lo, hi],
  };
}

const VALUES = [
  0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3fe0000000000000n, 0xbfe0000000000000n, 0x3ff8000000000000n, 0xc004000000000000n,
  0x3fd3333333333333n, 0xbfd3333333333333n, 0x4415af1d78b58c3fn, 0x43abc16d674ec800n, 0x43abc16d674ec7ffn, 0xc3abc16d674ec800n, 0x43abc16d674ec7fen,
  0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x0000000000000001n, 0x4341c37937e08000n, 0x4202a05f20000000n, 0x408f400000000000n,
];

describe.skipIf(!canRunNative)(`x87 packed BCD vs the host ${nativeSkipReason}`, () => {
  it("fbstp under every rounding mode, then fbld back", () => {
    const cases: Case[] = [];
    for (const v of VALUES) for (let rc = 0; rc < 4; rc++) cases.push(bcdStore(v, rc));
    expect(firstDiffs(cases)).toEqual([]);
  });
  it("fbld", () => {
    const cases = [
      bcdLoad(0n, 0n),
      bcdLoad(0n, 0x8000n),
      bcdLoad(0x1n, 0n),
      bcdLoad(0x9999999999999999n, 0x99n),
      bcdLoad(0x9999999999999999n, 0x8099n),
      bcdLoad(0x1234567890123456n, 0x78n),
      bcdLoad(0x0000000000000042n, 0x807fn & 0xff00n),
      bcdLoad(0x0000000000000042n, 0x7f00n), // sign byte bits 0-6 are ignored
    ];
    expect(firstDiffs(cases)).toEqual([]);
  });
});
