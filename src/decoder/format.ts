/** Intel-syntax formatter for decoded instructions (objdump -M intel style). */
import { ATTR_VSIB } from "./vex-tables.js";
import { BASE_NONE, Insn, K_CTL, K_IMM, K_MEM, K_MMX, K_REG, K_SEG, K_ST, K_XMM, SEG_FS, SEG_GS } from "./insn.js";

const R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"];
const R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"];
const R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh"];
const SEGS = ["es", "cs", "ss", "ds", "fs", "gs", "?", "?"];

/** Register name for GPR `r` at `size` bytes (1-byte 16..19 are ah..bh). */
export function regName(r: number, size: number): string {
  if (size === 8) return R64[r];
  if (size === 4) return R32[r];
  if (size === 2) return R16[r];
  return R8[r];
}

const PTR: Record<number, string> = { 1: "byte", 2: "word", 4: "dword", 8: "qword", 10: "tbyte", 16: "xmmword", 32: "ymmword" };

function hex(n: number): string {
  return "0x" + n.toString(16);
}

function hexSized(lo: number, hi: number, size: number): string {
  if (size >= 8) return "0x" + ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
  const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  return hex((lo & mask) >>> 0);
}

function memText(i: Insn, size: number): string {
  let s = "";
  const a = i.asize === 4 ? R32 : R64;
  if (i.ripRel) {
    s = (i.asize === 4 ? "eip" : "rip") + (i.aux < 0 ? "-" + hex(-i.aux) : "+" + hex(i.aux));
  } else {
    if (i.base !== BASE_NONE) s = a[i.base];
    if (i.index !== BASE_NONE) s += (s ? "+" : "") + a[i.index] + "*" + (1 << i.scale);
    else if (i.k3 === K_XMM && i.nops === 3 && i.def.attrs & ATTR_VSIB) s += (s ? "+" : "") + (i.s3 === 32 ? "ymm" : "xmm") + i.r3 + "*" + (1 << i.scale); // gather
    if (i.disp !== 0 || s === "") {
      if (s === "") s = hex(i.disp);
      else s += i.disp < 0 ? "-" + hex(-i.disp) : "+" + hex(i.disp);
    }
  }
  const seg = i.seg === SEG_FS ? "fs:" : i.seg === SEG_GS ? "gs:" : "";
  const ptr = PTR[size];
  // an absolute address prints as seg:0x...; objdump style
  if (!i.ripRel && i.base === BASE_NONE && i.index === BASE_NONE) return (ptr ? ptr + " ptr " : "") + (seg || "ds:") + hex(i.disp);
  return (ptr ? ptr + " ptr " : "") + seg + "[" + s + "]";
}

function operand(i: Insn, k: number): string {
  const kind = k === 0 ? i.k0 : k === 1 ? i.k1 : k === 2 ? i.k2 : i.k3;
  const r = k === 0 ? i.r0 : k === 1 ? i.r1 : k === 2 ? i.r2 : i.r3;
  const sz = k === 0 ? i.s0 : k === 1 ? i.s1 : k === 2 ? i.s2 : i.s3;
  const code = i.def.ops[k]?.code;
  switch (kind) {
    case K_REG:
      return regName(r, sz);
    case K_MEM:
      return memText(i, sz);
    case K_XMM:
      return (sz === 32 ? "ymm" : "xmm") + r;
    case K_MMX:
      return "mm" + r;
    case K_SEG:
      return SEGS[r];
    case K_ST:
      return r === 0 && code === "ST" ? "st" : `st(${r})`;
    case K_CTL:
      return (code === "C" ? "cr" : "dr") + r;
    case K_IMM:
      if (code === "J") return hex(i.target);
      if (code === "1") return "1";
      if (k > 0 && i.def.ops[0]?.code === "I" && k === 1) return hex(i.imm2 & 0xff);
      return hexSized(i.imm, i.immHi, code === "I" && i.def.ops[k]?.size === "b" && sz === 1 ? operandSizeForImm(i) : sz);
    default:
      return "";
  }
}

/** An 8-bit immediate prints at the size of the instruction's destination (e.g. `add rax, 0xffffffffffffffff`). */
function operandSizeForImm(i: Insn): number {
  if (i.k0 === K_REG || i.k0 === K_MEM) return i.mnem.startsWith("sh") || i.mnem.startsWith("ro") || i.mnem.startsWith("rc") || i.mnem.startsWith("sa") || i.mnem.startsWith("bt") || i.mnem === "enter" ? 1 : i.s0;
  return 1;
}

/** String instructions print their implicit operands, as objdump does: `rep stos qword ptr es:[rdi], rax`. */
function stringOperands(i: Insn): string | null {
  const m = i.mnem.replace(/b$/, "");
  if (!/^(movs|cmps|stos|lods|scas|ins|outs)$/.test(m)) return null;
  const size = /b$/.test(i.mnem) ? 1 : i.size;
  const ptr = PTR[size] + " ptr ";
  const di = ptr + "es:[" + (i.asize === 4 ? "edi" : "rdi") + "]";
  const si = ptr + (i.seg === SEG_FS ? "fs:" : i.seg === SEG_GS ? "gs:" : "ds:") + "[" + (i.asize === 4 ? "esi" : "rsi") + "]";
  const acc = regName(0, size);
  switch (m) {
    case "movs":
      return `movs ${di}, ${si}`;
    case "cmps":
      return `cmps ${si}, ${di}`;
    case "stos":
      return `stos ${di}, ${acc}`;
    case "lods":
      return `lods ${acc}, ${si}`;
    case "scas":
      return `scas ${acc}, ${di}`;
    case "ins":
      return `ins ${di}, dx`;
    default:
      return `outs dx, ${si}`;
  }
}

/** Format as Intel syntax: `mov rbx, qword ptr [rax]`. */
export function formatInsn(i: Insn): string {
  const m = i.mnem;
  let pre = "";
  if (i.lock) pre += "lock ";
  if (i.rep && (i.def.attrs & 16) !== 0) pre += i.rep === 0xf3 ? (m.startsWith("cmps") || m.startsWith("scas") ? "repz " : "rep ") : "repnz ";
  const str = stringOperands(i);
  if (str !== null) return pre + str;
  const parts: string[] = [];
  for (let k = 0; k < i.nops; k++) {
    const t = operand(i, k);
    if (t !== "") parts.push(t);
  }
  return pre + m + (parts.length ? " " + parts.join(", ") : "");
}

/** Hex bytes as `48 8b 18`. */
export function formatBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
