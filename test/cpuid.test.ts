/** CPUID: the vendor string and signature (models and feature bits: see below as they land). */
import { describe, expect, it } from "vitest";
import { cpuid, VENDOR } from "../src/cpu/cpuid.js";

function str(...regs: number[]): string {
  return regs.map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24)).join("");
}

describe("CPUID", () => {
  it("leaf 0: a 12-byte vendor string in EBX, EDX, ECX", () => {
    const r = cpuid(0, 0);
    expect(VENDOR).toHaveLength(12);
    expect(str(r[1], r[3], r[2])).toBe("AuthenticAMD");
  });
  it("leaf 1: family 15, model 107, stepping 1", () => {
    const eax = cpuid(1, 0)[0];
    const family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
    const model = ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0);
    expect([family, model, eax & 0xf]).toEqual([15, 107, 1]);
  });
  it("brand string: 48 bytes, NUL-padded", () => {
    const b = [0x80000002, 0x80000003, 0x80000004].map((l) => { const r = cpuid(l, 0); return str(r[0], r[1], r[2], r[3]); }).join("");
    expect(b.replace(/\0+$/, "")).toBe("x64emu virtual x86-64 CPU");
  });
});
