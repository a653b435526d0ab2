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
    vendor: true, // a 64-bit push of a selector: AMD zero-extends it, Intel writes 16 bits (we follow AMD)
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
  cs.push({ name: "lretq / retf imm", code: "lea rax, [rip+1f]\npush 0x33\npush rax\nlretq\n1: mov rbx, 5\nlea rax, [rip+2f]\nsub rsp, 16\npush 0x33\npush rax\n.byte 0x48, 0xca, 0x10, 0x00\n2: mov rcx, 6", undef: 0x8d5 /* flags of sub rsp depend on the (randomized) native stack address */ });
  cs.push({ name: "retf (32-bit)", code: "lea rax, [rip+1f]\nsub rsp, 8\nmov dword ptr [rsp+4], 0x33\nmov [rsp], eax\n.byte 0xcb\n1: mov rbx, 7", undef: 0x8d5 /* flags of sub rsp depend on the native stack address */ });
  cs.push({ name: "iretq", code: "mov rax, rsp\npush 0x2b\npush rax\npushfq\nor qword ptr [rsp], 0x8c1\npush 0x33\nlea rax, [rip+1f]\npush rax\niretq\n1: setc bl\nseto cl", flags: 0 });
  cs.push({ name: "far call/jmp through memory", code: "mov r12, rsp\nlea rax, [rip+1f]\nmov [rip+m], eax\nmov word ptr [rip+m+4], 0x33\nrex.w call fword ptr [rip+m]\njmp 2f\n1: mov rbx, [rsp]\nmov rcx, [rsp+8]\nmov r8, rsp\nsub r8, r12\nxor r12d, r12d\nlretq\n2: lea rax, [rip+3f]\nmov [rip+m+16], eax\nmov word ptr [rip+m+20], 0x33\njmp fword ptr [rip+m+16]\n3: mov rdx, 9\nlea rax, [rip+4f]\nmov [rip+m+32], eax\nmov word ptr [rip+m+36], 0x33\ncall fword ptr [rip+m+32]\njmp 5f\n4: mov esi, [rsp]\nmov edi, [rsp+4]\n.byte 0xcb\n5:", vendor: "faults" /* rex.w call fword: AMD reads m16:32, Intel m16:64 */ });
  cs.push({ name: "lfs/lgs/lss", code: "mov qword ptr [rip+m], 0x12345678\nmov word ptr [rip+m+4], 0x2b\nlfs eax, [rip+m]\nmov ebx, fs\nmov word ptr [rip+m+4], 0\nlgs ecx, [rip+m]\nmov edx, gs\nmov qword ptr [rip+m+16], 0x7654321\nmov word ptr [rip+m+20], 0x2b\n.byte 0x48, 0x0f, 0xb2, 0x35\n.long m+16-.-4\nmov edi, ss\nrdfsbase r8", regs: { rbx: -1, rdx: -1 }, vendor: "faults" /* rex.w lss: AMD reads m16:32, Intel m16:64 */ });
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
    expect(firstDiffs(cases(), "segs")).toEqual([]);
  });
});
