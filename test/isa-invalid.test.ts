/**
 * Lock-prefix validity, opcodes invalid in 64-bit mode, VEX.L, and
 * cmpxchg16b alignment: the signal each byte sequence raises, as learned
 * from the host CPU (a C program running each sequence under SIGILL/SIGSEGV
 * handlers, rbx -> a 16-byte aligned buffer).
 */
import { describe, expect, it } from "vitest";
import { CPU } from "../src/cpu/cpu.js";
import { Memory, PROT_READ, PROT_WRITE, PROT_EXEC } from "../src/cpu/memory.js";

const CODE = 0x400000;
const DATA = 0x600000;

/** Run one sequence followed by ud2; returns "ok" when it completed, else the signal it raised itself. */
function outcome(hex: string): string | number {
  const bytes = hex.match(/../g)!.map((h) => parseInt(h, 16));
  const mem = new Memory();
  mem.map(CODE, 4096, PROT_READ | PROT_EXEC);
  mem.map(DATA, 4096, PROT_READ | PROT_WRITE);
  mem.writeBytes(CODE, Uint8Array.from([...bytes, 0x0f, 0x0b]), false);
  const cpu = new CPU(mem);
  cpu.setRegNum(3, DATA); // rbx
  cpu.setRegNum(4, DATA + 2048); // rsp
  cpu.rip = CODE;
  cpu.run(10);
  const f = cpu.lastFault;
  if (!f) return "no fault";
  if (f.rip === CODE + bytes.length && f.sig === 4) return "ok";
  return f.rip === CODE ? f.sig : `sig ${f.sig} at +${f.rip - CODE}`;
}

// [bytes, host result]: "ok" = executed, 4 = SIGILL, 11 = SIGSEGV
const HOST: [string, string | number, string][] = [
  ["f001d8", 4, "lock add eax, ebx"],
  ["f00003", "ok", "lock add [rbx], al"],
  ["f08903", 4, "lock mov [rbx], eax"],
  ["f0c603c3", 4, "lock mov byte [rbx], imm"],
  ["f0fec0", 4, "lock inc al"],
  ["f0fe03", "ok", "lock inc byte [rbx]"],
  ["f0ff03", "ok", "lock inc dword [rbx]"],
  ["f0f613", "ok", "lock not byte [rbx]"],
  ["f0f713", "ok", "lock not dword [rbx]"],
  ["f0f71b", "ok", "lock neg dword [rbx]"],
  ["f0f603c3", 4, "lock test byte [rbx], imm"],
  ["f08503", 4, "lock test [rbx], eax"],
  ["f00fa303", 4, "lock bt [rbx], eax"],
  ["f00fab03", "ok", "lock bts [rbx], eax"],
  ["f00fabc8", 4, "lock bts eax, ecx"],
  ["f00fb103", "ok", "lock cmpxchg [rbx], eax"],
  ["f00fc103", "ok", "lock xadd [rbx], eax"],
  ["f00fc003", "ok", "lock xadd [rbx], al"],
  ["f00fc1c8", 4, "lock xadd eax, ecx"],
  ["f0870b", "ok", "lock xchg [rbx], ecx"],
  ["f00fbc03", 4, "lock bsf eax, [rbx]"],
  ["f00f38f103", 4, "lock movbe [rbx], eax"],
  ["f00fc70b", "ok", "lock cmpxchg8b [rbx]"],
  ["f0480fc70b", "ok", "lock cmpxchg16b [rbx]"],
  ["480fc70b", "ok", "cmpxchg16b [rbx]"],
  ["480fc74b01", 11, "cmpxchg16b [rbx+1] (unaligned: #GP)"],
  ["f00fc7c3", 4, "lock cmpxchg8b with a register operand"],
  ["06", 4, "push es"],
  ["27", 4, "daa"],
  ["60", 4, "pusha"],
  ["62", 4, "bound / EVEX"],
  ["82c000", 4, "82 alias of 80"],
  ["9a", 4, "call far ptr16:32"],
  ["d4", 4, "aam"],
  ["d5", 4, "aad"],
  ["d6", 4, "salc"],
  ["ea", 4, "jmp far ptr16:32"],
  ["ce", 4, "into"],
  ["0f0b", 4, "ud2"],
  ["0fb9c0", 4, "ud1"],
  ["0fffc3", 4, "ud0"],
  ["0f04", 4, "0f 04"],
  ["0f0a", 4, "0f 0a"],
  ["0f0c", 4, "0f 0c"],
  ["0f0e", 4, "femms (no 3DNow!)"],
  ["0f0f", 4, "3DNow!"],
  ["0f24", 4, "mov from tr"],
  ["0f36", 4, "0f 36"],
  ["0f39", 4, "0f 39"],
  ["0fb8c0", 4, "jmpe (0f b8 without f3)"],
  ["f3480fb8c0", "ok", "popcnt rax, rax"],
  ["0f38f0c0", 4, "movbe with a register operand"],
  ["c4e278f2c1", "ok", "andn eax, eax, ecx"],
  ["c4e27cf2c1", 4, "andn with VEX.L=1"],
  ["c4e2f8f7c1", "ok", "bextr rax, rcx, rax"],
  ["c4e27df7c1", 4, "shlx with VEX.L=1"],
  ["8c03", "ok", "mov [rbx], es"],
  ["c4e37bf0c105", "ok", "rorx eax, ecx, 5"],
  ["c4e303f0c105", 4, "rorx with VEX.vvvv != 1111"],
  ["c4e27bf6c1", "ok", "mulx eax, eax, ecx"],
  ["c4e278f3c9", "ok", "blsr eax, ecx"],
  ["c4e2f8f5c1", "ok", "bzhi rax, rcx, rax"],
  ["660fb8c0", 4, "66 0f b8 (jmpe)"],
  ["f3660fb8c0", "ok", "popcnt ax, ax (f3 66)"],
  ["66f30fb8c0", "ok", "popcnt ax, ax (66 f3)"],
  ["f2f30fb8c0", "ok", "f2 f3 0f b8: the last of f2/f3 wins (popcnt)"],
  ["f3f20fb8c0", 4, "f3 f2 0f b8: the last of f2/f3 wins (invalid)"],
  ["66f20f38f0c0", "ok", "crc32 eax, al (66 f2)"],
  ["f2480f38f1c0", "ok", "crc32 rax, rax"],
  ["f30f1efa", "ok", "endbr64"],
  ["f00fc7f0", 4, "lock rdrand"],
  ["0fc7f0", "ok", "rdrand eax"],
  ["0fc7f8", "ok", "rdseed eax"],
];

describe("invalid opcodes and lock prefixes raise what the host raises", () => {
  for (const [hex, want, what] of HOST) {
    it(`${what} (${hex}) -> ${want}`, () => {
      expect(outcome(hex)).toBe(want);
    });
  }
});
