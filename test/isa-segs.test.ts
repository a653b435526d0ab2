/** Segment registers, FSGSBASE and crc32 against the host CPU. */
import { describe, expect, it } from "vitest";
import { canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

if (!canRunNative) console.log(`isa-segs: ${nativeSkipReason}`);

function cases(): Case[] {
  const cs: Case[] = [];
  cs.push({
    name: "read selectors",
    code: "push fs\npop rax\npush gs\npop rbx\nmov ecx, ss\nmov edx, cs\nmov esi, ds\nmov di, es\nmov word ptr [rip+m], ss\nmov [rip+m+8], cs\npushw fs\npop r8w",
    regs: { rax: -1, rbx: -1, rcx: -1, rdx: -1, rsi: -1, rdi: -1, r8: -1 },
    mem: [-1n, -1n],
  });
  cs.push({
    name: "fsgsbase",
    code: "mov r9, 0x12345000\nwrgsbase r9\nrdgsbase rax\nwrfsbase r9d\nrdfsbase rbx\nrdgsbase ecx\nlea r10, [rip+m]\nwrgsbase r10\nmov r11, gs:[8]\nwrfsbase r10\nmov r12d, fs:[16]\nmov fs:[24], r11",
    mem: [1n, 0x1111222233334444n, 0x5555666677778888n],
  });
  cs.push({
    name: "selector loads clear the base",
    code: "mov r9, 0x12345000\nwrgsbase r9\npush 0\npop gs\nrdgsbase rax\nwrgsbase r9\npush 0x2b\npop gs\nrdgsbase rbx\nwrfsbase r9\nxor ecx, ecx\nmov fs, ecx\nrdfsbase rcx\nmov edx, 0x2b\nmov ds, edx\nmov es, dx\nmov ss, edx\nmov esi, ds\nmov edi, es\nmov r8d, 0\nmov ds, r8d\nmov es, r8w",
    regs: { rdx: -1, rsi: -1, rdi: -1 },
  });
  for (const v of [0n, 1n, 0xffn, 0x12345678n, 0xffffffffffffffffn, 0x0123456789abcdefn]) {
    for (const init of [0n, 0xffffffffn, 0xdeadbeef12345678n]) {
      cs.push({
        name: `crc32 ${v.toString(16)} init=${init.toString(16)}`,
        code: "mov rax, rsi\ncrc32 eax, cl\nmov rbx, rsi\ncrc32 ebx, cx\nmov rdx, rsi\ncrc32 edx, ecx\nmov rdi, rsi\ncrc32 rdi, rcx\nmov r8, rsi\ncrc32 r8, byte ptr [rip+m]\nmov r9, rsi\ncrc32 r9d, qword ptr [rip+m] ",
        regs: { rsi: init, rcx: v },
        mem: [v],
      });
    }
  }
  return cs.map((c) => ({ ...c, code: c.code.replace(/crc32 r9d, qword ptr/, "crc32 r9, qword ptr") }));
}

describe("segment registers, FSGSBASE, crc32 match the host CPU", () => {
  it.skipIf(!canRunNative)("mov/push/pop Sreg, rd/wr fs/gs base, crc32", () => {
    expect(firstDiffs(cases())).toEqual([]);
  });
});
