/** Intel-syntax formatting, checked against objdump -M intel on assembled instructions. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { decode } from "../src/decoder/decode.js";
import { formatInsn } from "../src/decoder/format.js";
import { Insn } from "../src/decoder/insn.js";
import { HAS_AS, tmpDir } from "./helpers/asm.js";

const LINES = [
  "mov rbx, qword ptr [rax]",
  "mov eax, 0x3c",
  "mov rax, 0x1122334455667788",
  "mov byte ptr [rdi+rcx*4+0x10], 0x7f",
  "mov word ptr [rsp-0x8], ax",
  "mov ah, byte ptr [rbx]",
  "mov r8b, sil",
  "movzx eax, byte ptr [rsi]",
  "movsx rax, word ptr [rdx+0x2]",
  "movsxd rax, dword ptr [rip+0x100]",
  "lea rax, [rbx+rbx*2]",
  "lea r12, [r13+r14*8-0x80]",
  "add rax, 0x10",
  "add qword ptr [rbp-0x18], 0x1",
  "sub esp, 0x1000",
  "and al, 0xf",
  "xor r15d, r15d",
  "cmp rcx, rdx",
  "test byte ptr [rax], 0x1",
  "inc dword ptr [rax]",
  "dec r9",
  "neg rax",
  "not cl",
  "imul rax, rbx, 0x28",
  "imul ecx, dword ptr [rdi]",
  "mul rbx",
  "idiv qword ptr [rsp+0x8]",
  "shl rax, 0x3",
  "shr edx, 1",
  "sar r10, cl",
  "rol al, 0x2",
  "push rbp",
  "push 0x12",
  "pop r12",
  "push qword ptr [rax+0x8]",
  "xchg rax, rbx",
  "cqo",
  "cdqe",
  "cmove rax, rcx",
  "setne al",
  "syscall",
  "nop dword ptr [rax+rax*1+0x0]",
  "ret",
  "ret 0x10",
  "leave",
  "hlt",
  "ud2",
  "int3",
  "mov rax, qword ptr fs:[0x28]",
  "lock cmpxchg qword ptr [rdi], rsi",
  "rep stos qword ptr [rdi], rax",
  "cpuid",
  "bswap eax",
  "pcmpestri xmm1, xmm2, 0x1a",
  "pcmpestriq xmm1, xmmword ptr [rax], 0x1a",
  "pcmpestrm xmm3, xmm4, 0x44",
  "pcmpestrmq xmm3, xmm4, 0x44",
  "pcmpistri xmm9, xmmword ptr [rax+0x8], 0x0",
  "pcmpistrm xmm0, xmm15, 0x7f",
  "pshufb mm1, qword ptr [rax]",
  "phaddsw mm7, mm0",
  "palignr mm1, mm2, 0x3",
  "pabsd mm0, mm7",
  "pshufb xmm1, xmm2",
  "pextrq rax, xmm0, 0x1",
  "pinsrq xmm0, qword ptr [rax], 0x1",
  "pextrd dword ptr [rax], xmm0, 0x2",
  "dpps xmm0, xmm1, 0xff",
  "blendvps xmm1, xmmword ptr [rbx+0x1]",
  "pblendvb xmm3, xmm4",
  "vaesenc ymm0, ymm1, ymmword ptr [rbx+0x20]",
  "vaesdeclast ymm5, ymm6, ymm7",
  "vpclmulqdq ymm1, ymm2, ymm3, 0x12",
  "vpclmulqdq xmm1, xmm2, xmmword ptr [rsi], 0x21",
  "vgf2p8mulb ymm1, ymm2, ymm3",
  "vgf2p8affineqb xmm1, xmm2, xmmword ptr [rax+0x8], 0x5",
  "vgf2p8affineinvqb ymm8, ymm9, ymm10, 0xff",
  "maskmovdqu xmm3, xmm4",
  "vmaskmovdqu xmm1, xmm2",
  "maskmovq mm1, mm2",
];

describe.skipIf(!HAS_AS)("Intel-syntax formatter", () => {
  it("matches objdump for common instructions", () => {
    const dir = tmpDir();
    const src = path.join(dir, "fmt.s");
    const obj = path.join(dir, "fmt.o");
    fs.writeFileSync(src, ".intel_syntax noprefix\n.text\n" + LINES.join("\n") + "\n");
    execFileSync("as", ["--64", "-o", obj, src]);
    const dump = execFileSync("objdump", ["-d", "-M", "intel", "--insn-width=16", obj], { encoding: "utf8" });
    const expected: string[] = [];
    for (const line of dump.split("\n")) {
      const m = /^\s*[0-9a-f]+:\t[0-9a-f ]+\t(.*)$/.exec(line);
      if (m) expected.push(m[1].replace(/\s+#.*$/, "").replace(/\s+/g, " ").replace(/,/g, ", ").toLowerCase().trim());
    }
    const text = fs.readFileSync(obj);
    // .text is the first section after the header in a fresh object; find it via objdump's offsets instead
    const hdr = execFileSync("objdump", ["-h", obj], { encoding: "utf8" });
    const m = /\.text\s+([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(hdr)!;
    const size = parseInt(m[1], 16);
    const off = parseInt(m[2], 16);
    const code = text.subarray(off, off + size);
    const got: string[] = [];
    for (let a = 0; a < size; ) {
      const i = decode((x) => code[x], a, new Insn());
      got.push(formatInsn(i).replace(/rip\+0x100/, "rip+0x100"));
      a = i.next;
    }
    // objdump prints the RIP-relative target and "movabs"; normalize those
    const norm = (s: string) => s.replace(/^movabs/, "mov").replace(/^rep stos/, "rep stos").replace(/ptr \[rip\+0x100\]/, "ptr [rip+0x100]");
    expect(got.map(norm)).toEqual(expected.map(norm));
  });
});
