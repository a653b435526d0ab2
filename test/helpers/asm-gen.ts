/** Generated AT&T instructions for comparing our assembler with GNU as. */
import { prng } from "./prng.js";

const R64 = ["%rax", "%rcx", "%rdx", "%rbx", "%rsp", "%rbp", "%rsi", "%rdi", "%r8", "%r9", "%r10", "%r11", "%r12", "%r13", "%r14", "%r15"];
const R32 = ["%eax", "%ecx", "%edx", "%ebx", "%esp", "%ebp", "%esi", "%edi", "%r8d", "%r9d", "%r10d", "%r11d", "%r12d", "%r13d", "%r14d", "%r15d"];
const R16 = ["%ax", "%cx", "%dx", "%bx", "%sp", "%bp", "%si", "%di", "%r8w", "%r9w", "%r10w", "%r11w", "%r12w", "%r13w", "%r14w", "%r15w"];
const R8 = ["%al", "%cl", "%dl", "%bl", "%spl", "%bpl", "%sil", "%dil", "%r8b", "%r9b", "%r10b", "%r11b", "%r12b", "%r13b", "%r14b", "%r15b", "%ah", "%ch", "%dh", "%bh"];
const XMM = Array.from({ length: 16 }, (_, i) => `%xmm${i}`);
const REGS: Record<string, string[]> = { b: R8, w: R16, l: R32, q: R64 };
const IMMS = ["0", "1", "-1", "127", "128", "-128", "-129", "255", "0x7fff", "0x12345678", "-0x80000000", "0x7fffffff", "0xffffff80", "0xffffffff", "0xfffffff0"];
const SCALES = ["1", "2", "4", "8"];

export function generateInstructions(count: number, seed = 1): string[] {
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[rnd() % a.length];
  const idx = () => pick(R64.filter((r) => r !== "%rsp"));
  const disp = () => pick(["", "8", "-8", "0x7f", "-0x80", "0x80", "0x1000", "-0x12345"]);
  const mem = (): string => {
    switch (rnd() % 6) {
      case 0: return `${disp()}(${pick(R64)})`;
      case 1: return `${disp()}(${pick(R64)},${idx()},${pick(SCALES)})`;
      case 2: return `${disp()}(,${idx()},${pick(SCALES)})`;
      case 3: return `0x${(rnd() % 0x100000).toString(16)}`;
      case 4: return `(${pick(["%rbp", "%r13", "%rsp", "%r12"])})`;
      default: return `${disp()}(${pick(R32.slice(0, 8))})`;
    }
  };
  const sfx = () => pick(["b", "w", "l", "q"]);
  const reg = (s: string) => {
    const list = REGS[s];
    return s === "b" ? pick(list.slice(0, 16)) : pick(list);
  };
  const imm = (s: string) => {
    const v = pick(IMMS);
    if (s === "b") return pick(["0", "1", "-1", "127", "-128", "0x55", "0xff", "0x80"]);
    if (s === "w") return pick(["0", "1", "-1", "127", "-129", "0x7fff", "0x1234", "0xffff", "0xff80"]);
    return v;
  };
  const forms: (() => string)[] = [
    () => { const s = sfx(), op = pick(["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "mov"]); return `${op}${s} ${reg(s)}, ${reg(s)}`; },
    () => { const s = sfx(), op = pick(["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "mov", "test"]); return `${op}${s} $${imm(s)}, ${reg(s)}`; },
    () => { const s = sfx(), op = pick(["add", "or", "and", "sub", "xor", "cmp", "mov", "test"]); return `${op}${s} $${imm(s)}, ${mem()}`; },
    () => { const s = sfx(), op = pick(["add", "or", "and", "sub", "xor", "cmp", "mov", "test", "xchg"]); return `${op}${s} ${reg(s)}, ${mem()}`; },
    () => { const s = sfx(), op = pick(["add", "or", "and", "sub", "xor", "cmp", "mov"]); return `${op}${s} ${mem()}, ${reg(s)}`; },
    () => { const s = sfx(), op = pick(["inc", "dec", "neg", "not", "mul", "imul", "div", "idiv"]); return rnd() & 1 ? `${op}${s} ${reg(s)}` : `${op}${s} ${mem()}`; },
    () => { const s = sfx(), op = pick(["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"]); const c = pick(["$1, ", "$3, ", "%cl, ", ""]); return `${op}${s} ${c}${rnd() & 1 ? reg(s) : mem()}`; },
    () => `lea${pick(["l", "q"])} ${mem()}, ${pick(R64)}`.replace(/^leal (.*), %r(\w+)$/, (m, a, r) => `leal ${a}, ${R32[R64.indexOf("%r" + r)]}`),
    () => `${pick(["push", "pop"])}q ${rnd() & 1 ? pick(R64) : mem()}`,
    () => `pushq $${pick(IMMS)}`,
    () => `${pick(["movzb", "movsb"])}${pick(["w", "l", "q"])} ${rnd() & 1 ? pick(R8.slice(0, 16)) : mem()}, ${pick(R64)}`.replace(/(movzb|movsb)(w|l|q) (.*), %r(\w+)$/, (m, o, s, a, r) => `${o}${s} ${a}, ${REGS[s][R64.indexOf("%r" + r)] ?? "%ax"}`),
    () => `${pick(["movzw", "movsw"])}${pick(["l", "q"])} ${rnd() & 1 ? pick(R16) : mem()}, %${pick(["eax", "ebx"])}`.replace(/q (.*), %e(\w+)$/, "q $1, %r$2"),
    () => `movslq ${rnd() & 1 ? pick(R32) : mem()}, ${pick(R64)}`,
    () => `set${pick(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g", "z", "nz", "c", "nc"])} ${rnd() & 1 ? pick(R8.slice(0, 16)) : mem()}`,
    () => { const s = pick(["w", "l", "q"]); return `cmov${pick(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "l", "ge", "le", "g"])}${s} ${rnd() & 1 ? reg(s) : mem()}, ${reg(s)}`; },
    () => { const s = pick(["w", "l", "q"]); return `${pick(["bt", "bts", "btr", "btc"])}${s} ${rnd() & 1 ? reg(s) : "$" + (rnd() % 64)}, ${rnd() & 1 ? reg(s) : mem()}`.replace(/\$(\d+), (%\w+)$/, (m, n, r) => `$${Number(n) % 16}, ${r}`); },
    () => { const s = pick(["w", "l", "q"]); return `${pick(["bsf", "bsr", "popcnt", "lzcnt", "tzcnt", "imul"])}${s} ${rnd() & 1 ? reg(s) : mem()}, ${reg(s)}`; },
    () => { const s = pick(["w", "l", "q"]); return `imul${s} $${imm(s)}, ${rnd() & 1 ? reg(s) : mem()}, ${reg(s)}`; },
    () => `bswap ${pick([...R32, ...R64])}`,
    () => `movabsq $${pick(["0x123456789abcdef0", "-2", "0x100000000"])}, ${pick(R64)}`,
    () => `${pick(["movaps", "movups", "movapd", "movdqa", "movdqu", "addps", "addpd", "addss", "addsd", "subsd", "mulsd", "divsd", "sqrtsd", "xorps", "andps", "orps", "pxor", "por", "pand", "paddd", "paddq", "psubb", "pcmpeqb", "punpcklbw", "ucomisd", "comiss", "minsd", "maxps", "unpcklps", "cvtss2sd", "cvtsd2ss", "cvtdq2ps"])} ${rnd() & 1 ? pick(XMM) : mem()}, ${pick(XMM)}`,
    () => `${pick(["movaps", "movups", "movdqa", "movdqu", "movss", "movsd"])} ${pick(XMM)}, ${mem()}`,
    () => `${pick(["cvtsi2sd", "cvtsi2ss"])}${pick(["l", "q"])} ${pick(R64)}, ${pick(XMM)}`.replace(/l %r(\w+)/, (m, r) => `l ${R32[R64.indexOf("%r" + r)]}`),
    () => `${pick(["cvttsd2si", "cvtsd2si", "cvttss2si"])} ${pick(XMM)}, ${pick([...R32, ...R64])}`,
    () => `${pick(["movd", "movq"])} ${pick(R32.concat(R64))}, ${pick(XMM)}`.replace(/movd %r(?!\d+d)(\w+)/, "movq %r$1").replace(/movq %e/, "movd %e").replace(/movq (%r\d+d)/, "movd $1"),
    () => `${pick(["pshufd", "shufps", "pshuflw", "pshufhw"])} $${rnd() % 256}, ${rnd() & 1 ? pick(XMM) : mem()}, ${pick(XMM)}`,
    () => `${pick(["psllq", "psrld", "psraw", "pslldq", "psrldq"])} $${rnd() % 16}, ${pick(XMM)}`,
    () => pick(["nop", "ret", "leave", "hlt", "int3", "ud2", "syscall", "cpuid", "rdtsc", "pause", "cld", "std", "clc", "stc", "cmc", "lahf", "sahf", "cltq", "cqto", "cltd", "cwtl", "mfence", "lfence", "sfence", "movsb", "movsq", "stosb", "stosq", "lodsb", "scasb", "cmpsb", "rep movsb", "rep stosq", "repne scasb", "repe cmpsb", "pushfq", "popfq", "xlat", "fldz", "fld1", "faddp", "fxch", "fninit", "endbr64"]),
    () => `int $${rnd() % 256}`,
    () => `${pick(["call", "jmp"])} *${rnd() & 1 ? pick(R64) : mem()}`,
    () => `ret $${rnd() % 65536}`,
    () => `${pick(["xadd", "cmpxchg"])}${pick(["l", "q"])} ${pick(["%eax", "%rax"])}, ${mem()}`.replace(/l %rax/, "l %eax").replace(/q %eax/, "q %rax"),
    () => `lock ${pick(["incl", "decq", "addl $1,", "orq %rax,"])} ${mem()}`.replace(",  ", ", "),
    () => `${pick(["fldl", "flds", "fstpl", "fstps", "fildl", "fildq", "fistpl", "fldt", "fstpt", "fnstcw", "fldcw"])} ${mem()}`,
    () => `${pick(["mov", "add"])} %${pick(["fs", "gs"])}:${pick(["0", "0x28", "(%rax)"])}, ${pick(R64)}`,
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pick(forms)());
  return out;
}
