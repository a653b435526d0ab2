/**
 * The first integer families (alu, shifts/rotates, mul/div, data movement,
 * flag instructions) against the host CPU, with the SDM's undefined flags
 * masked: 8/16/32/64-bit forms, counts at and above the operand width,
 * 16-bit operand-size forms.
 */
import { describe, expect, it } from "vitest";
import { AF, CF, OF, PF, SF, ZF, canRunNative, firstDiffs, nativeSkipReason, type Case } from "./isa-native.js";

if (!canRunNative) console.log(`isa-core: ${nativeSkipReason}`);

const ALL = CF | PF | AF | ZF | SF | OF;
const REG = { 1: ["al", "cl", "dl", "bh"], 2: ["ax", "cx", "dx", "bx"], 4: ["eax", "ecx", "edx", "ebx"], 8: ["rax", "rcx", "rdx", "rbx"] } as Record<number, string[]>;
const PTR = { 1: "byte ptr", 2: "word ptr", 4: "dword ptr", 8: "qword ptr" } as Record<number, string>;
const VALUES = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0xfedcba9876543210n];

function shiftCases(): Case[] {
  const cs: Case[] = [];
  for (const op of ["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"]) {
    for (const s of [1, 2, 4, 8]) {
      const [a] = REG[s];
      for (const n of [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 255]) {
        for (const v of [0x81n, 0x8001n, 0x80000001n, 0x123456789abcdef0n, 0xfedcba9876543210n, 0xc000000000000003n]) {
          for (const f of [0, CF, ALL]) {
            const cnt = n & (s === 8 ? 63 : 31);
            let undef = 0;
            if (op === "shl" || op === "shr" || op === "sar") undef = AF | (cnt === 1 ? 0 : OF);
            else undef = cnt === 1 ? 0 : OF;
            if ((op === "shl" || op === "shr") && s < 4 && cnt >= s * 8) undef |= CF; // CF undefined past the width
            cs.push({ name: `${op} ${a},cl n=${n} v=${v.toString(16)} f=${f}`, code: `${op} ${a}, cl`, regs: { rax: v, rcx: n }, flags: f, undef });
            if (f === CF) {
              cs.push({ name: `${op} ${a},${n} v=${v.toString(16)}`, code: `${op} ${a}, ${n}`, regs: { rax: v }, flags: f, undef });
              cs.push({ name: `${op} mem${s},cl n=${n} v=${v.toString(16)}`, code: `${op} ${PTR[s]} [rip+m+8], cl`, regs: { rcx: n }, mem: [0, v], flags: f, undef });
            }
          }
        }
      }
      // by-1 forms (D0/D1)
      for (const v of VALUES) cs.push({ name: `${op} ${a},1 v=${v.toString(16)}`, code: `${op} ${a}, 1`, regs: { rax: v }, flags: CF, undef: op.startsWith("s") ? AF : 0 });
      // AH/BH/CH/DH
      cs.push({ name: `${op} ah,cl`, code: `${op} ah, cl`, regs: { rax: 0x1234n, rcx: 3 }, flags: CF, undef: AF | OF });
    }
  }
  return cs;
}

function aluCases(): Case[] {
  const cs: Case[] = [];
  for (const op of ["add", "adc", "sub", "sbb", "and", "or", "xor", "cmp", "test"]) {
    for (const s of [1, 2, 4, 8]) {
      const [a, c] = REG[s];
      for (const x of VALUES) {
        for (const y of [0n, 1n, 0x80n, 0x7fffn, 0xffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n]) {
          const undef = ["and", "or", "xor", "test"].includes(op) ? AF : 0;
          cs.push({ name: `${op} ${a},${c} ${x.toString(16)},${y.toString(16)} cf1`, code: `${op} ${a}, ${c}`, regs: { rax: x, rcx: y }, flags: CF, undef });
        }
        cs.push({ name: `${op} mem,imm8 s${s} ${x.toString(16)}`, code: `${op} ${PTR[s]} [rip+m], -2`, mem: [x], flags: 0, undef: ["and", "or", "xor", "test"].includes(op) ? AF : 0 });
      }
    }
  }
  for (const op of ["inc", "dec", "neg", "not"]) {
    for (const s of [1, 2, 4, 8]) {
      const [a] = REG[s];
      for (const x of VALUES) for (const f of [0, ALL]) cs.push({ name: `${op} ${a} ${x.toString(16)} f=${f}`, code: `${op} ${a}`, regs: { rax: x }, flags: f });
    }
  }
  return cs;
}

function signed(v: bigint, s: number): bigint {
  return BigInt.asIntN(s * 8, v);
}

/** Does x (sign/zero-extended to a double-width dividend) divided by y fit the quotient register? */
function divFits(isSigned: boolean, s: number, x: bigint, y: bigint): boolean {
  const bits = s * 8;
  if (BigInt.asUintN(bits, y) === 0n) return false;
  if (!isSigned) return true; // high part 0: the quotient is at most x
  const q = signed(x, s) / signed(y, s);
  return q >= -(1n << BigInt(bits - 1)) && q < 1n << BigInt(bits - 1);
}

function muldivCases(): Case[] {
  const cs: Case[] = [];
  const undefMul = PF | AF | ZF | SF;
  for (const s of [1, 2, 4, 8]) {
    const [, c] = REG[s];
    for (const x of VALUES) {
      for (const y of [1n, 2n, 3n, 0x7fn, 0x80n, 0xffffn, 0xffffffffn, 0xffffffffffffffffn, 0x123456789n]) {
        for (const op of ["mul", "imul"]) cs.push({ name: `${op} ${c} ${x.toString(16)}*${y.toString(16)}`, code: `${op} ${c}`, regs: { rax: x, rcx: y, rdx: 0x5555n }, undef: undefMul });
        if (s > 1) {
          cs.push({ name: `imul2 s${s} ${x.toString(16)}*${y.toString(16)}`, code: `imul ${REG[s][0]}, ${c}`, regs: { rax: x, rcx: y }, undef: undefMul });
          cs.push({ name: `imul3 s${s} ${x.toString(16)}*-3`, code: `imul ${REG[s][0]}, ${c}, -3`, regs: { rcx: x }, undef: undefMul });
        }
        // divisions that do not overflow (the dividend's high part is the sign or zero extension)
        for (const op of ["div", "idiv"]) {
          if (!divFits(op === "idiv", s, x, y)) continue;
          const hi = op === "idiv" && signed(x, s) < 0n ? -1n : 0n;
          const regs = s === 1 ? { rax: BigInt.asUintN(16, (hi << 8n) | (x & 0xffn)), rcx: y } : { rax: x, rcx: y, rdx: hi };
          cs.push({ name: `${op} ${c} ${x.toString(16)}/${y.toString(16)}`, code: `${op} ${c}`, regs, undef: ALL });
        }
      }
    }
  }
  // full-width high halves (edx:eax, rdx:rax) whose quotient still fits
  for (const s of [4, 8]) {
    const bits = BigInt(s * 8);
    const [, c] = REG[s];
    const mask = (1n << bits) - 1n;
    for (const hi of [1n, 3n, 0x7fn, mask >> 1n, mask - 2n])
      for (const lo of [0n, 5n, mask])
        for (const y of [0x80n, 0xffffn, 0x12345678n, mask >> 1n, mask - 1n]) {
          const yv = y & mask;
          const n = (hi << bits) | lo;
          for (const op of ["div", "idiv"]) {
            const isS = op === "idiv";
            const nn = isS ? BigInt.asIntN(Number(bits) * 2, n) : n;
            const yy = isS ? BigInt.asIntN(Number(bits), yv) : yv;
            const q = nn / yy;
            if (isS ? q < -(1n << (bits - 1n)) || q >= 1n << (bits - 1n) : q > mask) continue;
            cs.push({ name: `${op} s${s} ${hi.toString(16)}:${lo.toString(16)}/${yv.toString(16)}`, code: `${op} ${c}`, regs: { rax: lo, rdx: hi, rcx: yv }, undef: ALL });
          }
        }
  }
  return cs;
}

function miscCases(): Case[] {
  const cs: Case[] = [];
  for (const x of VALUES) {
    cs.push({ name: `cbw..cqo ${x.toString(16)}`, code: "cbw\nmov rbx, rax\nmov rax, rcx\ncwde\nmov rsi, rax\nmov rax, rcx\ncdqe\nmov rdi, rax\nmov rax, rcx\ncwd\nmov r8, rdx\ncdq\nmov r9, rdx\ncqo", regs: { rax: x, rcx: x, rdx: 0x1111n } });
    cs.push({ name: `movsx/zx ${x.toString(16)}`, code: "movsx ebx, cl\nmovsx rsi, cx\nmovzx edi, ch\nmovzx r8w, cl\nmovsx r9w, cl\nmovsxd r10, ecx\nmovsx r11, cl", regs: { rcx: x, rbx: -1, rsi: -1, rdi: -1, r8: -1, r9: -1, r10: -1, r11: -1 } });
    cs.push({ name: `bswap ${x.toString(16)}`, code: "bswap rcx\nbswap edx", regs: { rcx: x, rdx: x } });
    cs.push({ name: `xchg/cmov ${x.toString(16)}`, code: "xchg cx, dx\nxchg eax, ebx\ncmp rcx, 5\ncmovb esi, edi\ncmovae r8, r9\ncmovb r10w, r11w", regs: { rax: x, rcx: x, rdx: -1, rbx: 7, rsi: -1, rdi: x, r8: -1, r9: x, r10: -1, r11: x } });
    for (let cc = 0; cc < 16; cc++) {
      const cn = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"][cc];
      cs.push({ name: `set${cn} after cmp ${x.toString(16)}`, code: `cmp rcx, rdx\nset${cn} al\ncmp cl, dl\nset${cn} bl\ncmp cx, dx\nset${cn} sil`, regs: { rcx: x, rdx: 0x80n } });
    }
  }
  // stack forms, balanced within each case
  cs.push({ name: "push/pop 16-bit", code: "push ax\npush cx\npop bx\npop dx\npush 0x1234\npop r8\npushw 0x89ab\npop si", regs: { rax: 0x1111222233334444n, rcx: 0x5555666677778888n, rbx: -1, rdx: -1, rsi: -1 } });
  cs.push({ name: "push imm/mem, pop mem", code: "push -5\npop rax\npush qword ptr [rip+m]\npop qword ptr [rip+m+8]\npush word ptr [rip+m+16]\npop word ptr [rip+m+24]", mem: [0x0123456789abcdefn, 0, 0xfedcn, -1n] });
  cs.push({ name: "pushf/popf 16/64", code: "pushfw\npop ax\npushfq\npop rbx\nmov cx, 0x8d5\npush cx\npopfw\npushfq\npop rdx", flags: 0x41 });
  cs.push({ name: "enter/leave", code: "mov r12, rsp\nmov rbp, rsp\nsub rbp, 64\nenter 32, 0\nmov rax, rsp\nsub rax, r12\nmov rbx, rbp\nsub rbx, r12\nleave\nmov rcx, rsp\nsub rcx, r12\nmov rdx, rbp\nsub rdx, r12\nmov rbp, 0\nmov r12, 0" });
  cs.push({ name: "enter level 3", code: "mov r12, rsp\nlea rbp, [rsp-64]\nmov qword ptr [rbp-8], 0x111\nmov qword ptr [rbp-16], 0x222\nenter 16, 3\nmov rax, [rsp+16]\nsub rax, r12\nmov rbx, [rsp+24]\nmov rcx, [rsp+32]\nmov rdi, [rsp+40]\nsub rdi, r12\nmov r8, rbp\nsub r8, r12\nmov rdx, rsp\nsub rdx, r12\nleave\nmov rsi, rsp\nsub rsi, r12\nmov rsp, r12\nxor ebp, ebp\nxor r12d, r12d" });
  cs.push({
    name: "enter/leave 16-bit",
    code: "mov r12, rsp\nmov rbp, rsp\nsub rbp, 0x100\n.byte 0x66, 0xc8, 0x10, 0x00, 0x00\nmov rax, rsp\nsub rax, r12\nmov rbx, rbp\nsub rbx, r12\nmovzx ebx, bx\nmovzx edx, word ptr [r12-2]\nsub dx, r12w\nmovzx edx, dx\n.byte 0x66, 0xc9\nmov rsi, rsp\nsub rsi, r12\nmov rdi, rbp\nsub rdi, r12\nmovzx edi, di\nmov rsp, r12\nxor ebp, ebp\nxor r12d, r12d",
  });
  cs.push({ name: "loop/jrcxz addr32", code: "xor eax, eax\n1: inc eax\naddr32 loop 1b\nmov rcx, 0x100000000\naddr32 jrcxz 2f\nmov ebx, 1\n2: jrcxz 3f\nmov edx, 1\n3:", regs: { rcx: 0x500000003n } });
  cs.push({ name: "loope/loopne", code: "xor eax, eax\n1: inc eax\ncmp eax, 3\nloopne 1b\nmov ebx, ecx\n2: inc eax\ncmp eax, eax\nloope 2b", regs: { rcx: 10 } });
  cs.push({ name: "xchg mem, cmpxchg8 same", code: "xchg [rip+m], rax\nxchg bl, [rip+m+8]\nxchg ax, cx", regs: { rax: 0x1234567890n, rbx: 0x77n, rcx: 0xabcdn }, mem: [5n, 0x123456n] });
  cs.push({ name: "mov moffs, mov imm64, mov r8 high", code: "mov ah, bl\nmov bh, 0x12\nmovabs rcx, 0x8000000000000000\nmov dword ptr [rip+m], -1\nmov word ptr [rip+m+8], -1\nmov esi, [rip+m]", regs: { rbx: 0x99n } });
  cs.push({ name: "bswap r16, movsxd 32/16", code: ".byte 0x66, 0x0f, 0xcb\n.byte 0x66, 0x41, 0x0f, 0xc8\nmovsxd ecx, edx\n.byte 0x66, 0x63, 0xf2", regs: { rbx: 0x1122334455667788n, r8: 0x99aabbccddeeff00n, rcx: -1, rdx: 0x80000001n, rsi: -1 } });
  cs.push({ name: "push rsp, xchg ax forms", code: "mov r12, rsp\npush rsp\npop rax\nsub rax, r12\nxor r12d, r12d\n.byte 0x66, 0x41, 0x90\nxchg ebx, eax\nxchg r9, rax", regs: { rax: 0x1111111122223333n, rbx: 0x4444444455556666n, r8: 0x7777777788889999n, r9: 5 } });
  cs.push({ name: "popf toggles ID, keeps IF/IOPL", code: "pushfq\npop rax\nmov rbx, rax\nxor rax, 0x203000\npush rax\npopfq\npushfq\npop rcx\nxor rcx, rbx\npush rbx\npopfq", flags: 0 });
  cs.push({ name: "lahf/sahf", code: "lahf\nmov ebx, eax\nmov ah, 0xd7\nsahf\npushfq\npop rcx", flags: 0x8d5 & ~0x40 });
  cs.push({ name: "cmc stc clc", code: "stc\ncmc\nsetc al\ncmc\nsetc bl\nclc", flags: 0 });
  cs.push({ name: "xlat", code: "lea rbx, [rip+m]\nmov al, 9\nxlatb", mem: [0x0706050403020100n, 0x0f0e0d0c0b0a0908n] });
  cs.push({ name: "lea forms", code: "lea eax, [rcx+rdx*4-8]\nlea rbx, [rcx+rdx*8+0x7fffffff]\nlea si, [rcx+rdx]\nlea edi, [ecx+edx*2]", regs: { rcx: 0xffffffff00000010n, rdx: 0x80000000n } });
  return cs;
}

describe("core integer families match the host CPU", () => {
  it.skipIf(!canRunNative)("shifts and rotates: all sizes, counts 0..255, reg/imm/mem", () => {
    expect(firstDiffs(shiftCases())).toEqual([]);
  });
  it.skipIf(!canRunNative)("add adc sub sbb and or xor cmp test inc dec neg not", () => {
    expect(firstDiffs(aluCases())).toEqual([]);
  });
  it.skipIf(!canRunNative)("mul imul div idiv", () => {
    expect(firstDiffs(muldivCases())).toEqual([]);
  });
  it.skipIf(!canRunNative)("cbw..cqo movsx movzx bswap xchg cmov setcc lahf sahf xlat lea", () => {
    expect(firstDiffs(miscCases())).toEqual([]);
  });
});
