/**
 * Rewrites of single instruction statements where @defasm/core and GNU as
 * pick different encodings for the same source, so that ours match as:
 * - an immediate written as an unsigned value that is a small negative
 *   number at the operand's size (`and $0xfffffff0, %esp`, `sub sp, 0xffff`)
 *   takes as's short sign-extended form: it is written as that negative number;
 * - a `ds:` override on an operand whose default segment is ds already is
 *   dropped (as emits no prefix for it);
 * - a 16-bit ALU operation on ax with a byte-sized immediate is written as
 *   as's bytes (as prefers the imm8 form to the ax form of the same length).
 */

const SIZE_OF_REG = new Map<string, number>();
{
  const names: [number, string[]][] = [
    [64, ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"]],
    [32, ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]],
    [16, ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]],
    [8, ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "ah", "ch", "dh", "bh"]],
  ];
  for (const [size, list] of names) for (const n of list) SIZE_OF_REG.set(n, size);
  for (let i = 8; i < 16; i++) {
    SIZE_OF_REG.set(`r${i}`, 64);
    SIZE_OF_REG.set(`r${i}d`, 32);
    SIZE_OF_REG.set(`r${i}w`, 16);
    SIZE_OF_REG.set(`r${i}b`, 8);
  }
}

/** Instructions with a sign-extended immediate form (or where the sign does not change the bytes). */
const IMM_OPS = new Set(["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "imul", "push", "test"]);
const SUFFIX_SIZE: Record<string, number> = { b: 8, w: 16, l: 32, q: 64 };
const PTR_SIZE: Record<string, number> = { byte: 8, word: 16, dword: 32, qword: 64 };

function signed(lit: string, size: number): string | null {
  const v = BigInt(lit);
  const top = 1n << BigInt(size);
  if (v >= top >> 1n && v < top) return (v - top).toString();
  return null;
}

/** The operand size of an instruction, from its register operands (outside memory brackets) or a size hint. */
function operandSize(operands: string, intel: boolean, hint: number | undefined): number | undefined {
  const outside = intel ? operands.replace(/\[[^\]]*\]/g, " ") : operands.replace(/\([^)]*\)/g, " ");
  const re = intel ? /\b([a-z][a-z0-9]*)\b/gi : /%([a-z][a-z0-9]*)/gi;
  for (const m of outside.matchAll(re)) {
    const s = SIZE_OF_REG.get(m[1].toLowerCase());
    if (s !== undefined) return s;
  }
  if (intel) {
    const p = /\b(byte|word|dword|qword)\s+ptr\b/i.exec(operands);
    if (p) return PTR_SIZE[p[1].toLowerCase()];
  }
  return hint;
}

function signImmediate(stmt: string, intel: boolean): string {
  const m = /^([a-z]+)\s+(.*)$/i.exec(stmt);
  if (!m) return stmt;
  let base = m[1].toLowerCase();
  let hint: number | undefined;
  if (!intel && !IMM_OPS.has(base) && IMM_OPS.has(base.slice(0, -1)) && SUFFIX_SIZE[base.slice(-1)]) {
    hint = SUFFIX_SIZE[base.slice(-1)];
    base = base.slice(0, -1);
  }
  if (!IMM_OPS.has(base)) return stmt;
  const ops = m[2];
  if (base === "push") hint ??= 64;
  if (intel) {
    const im = /^(.*?)(,\s*|^)(0x[0-9a-f]+|\d+)\s*$/i.exec(ops);
    if (!im) return stmt;
    const size = operandSize(im[1], true, hint);
    const s = size && signed(im[3], size);
    return s ? `${m[1]} ${im[1]}${im[2]}${s}` : stmt;
  }
  const im = /^\$(0x[0-9a-f]+|\d+)(\s*,.*)?$/i.exec(ops);
  if (!im) return stmt;
  const size = operandSize(im[2] ?? "", false, hint);
  const s = size && signed(im[1], size);
  return s ? `${m[1]} $${s}${im[2] ?? ""}` : stmt;
}

/** Drops `ds:` where ds is the default segment (no rbp/rsp base). */
function dropDefaultDs(stmt: string, intel: boolean): string {
  if (intel)
    return stmt.replace(/\bds:\s*(?:(\[([^\]]*)\])|(0x[0-9a-f]+|\d+))/gi, (all, br: string | undefined, inner: string | undefined, abs: string | undefined) =>
      abs !== undefined ? `[${abs}]` : /^\s*[re]?[bs]p\b/i.test(inner ?? "") ? all : br!,
    );
  return stmt.replace(/%ds:((?:-?\w+)?\(([^)]*)\)|(?=[-0-9]))/gi, (all, mem: string, inner: string | undefined) => (inner && /^\s*%[re]?[bs]p\b/i.test(inner) ? all : mem));
}

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];

/**
 * A 16-bit ALU operation on ax with an immediate that fits in a byte: as
 * uses the sign-extended imm8 form (66 83 /n ib), the library the ax short
 * form (66 05 iw) of the same length; written out as as's bytes.
 */
function aluAxImm8(stmt: string, intel: boolean): string {
  const m = intel ? /^([a-z]+)\s+ax\s*,\s*(-?(?:0x[0-9a-f]+|\d+))$/i.exec(stmt) : /^([a-z]+?)w?\s+\$(-?(?:0x[0-9a-f]+|\d+))\s*,\s*%ax$/i.exec(stmt);
  if (!m) return stmt;
  const n = ALU.indexOf(m[1].toLowerCase());
  const v = m[2].startsWith("-") ? -Number(BigInt(m[2].slice(1))) : Number(BigInt(m[2]));
  if (n < 0 || v < -128 || v > 127) return stmt;
  return `.byte 0x66, 0x83, ${0xc0 | (n << 3)}, ${v & 0xff}`;
}

const REG64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/** `movabs $symbol, %reg` (the library fails on a symbolic imm64): REX.W B8+r and the address as a .quad. */
function movabsSymbol(stmt: string, intel: boolean): string {
  if (intel) return stmt;
  const m = /^movabsq?\s+\$(.+?)\s*,\s*%(\w+)$/i.exec(stmt);
  if (!m || /^-?(0x[0-9a-f]+|\d+)$/i.test(m[1])) return stmt;
  const r = REG64.indexOf(m[2].toLowerCase());
  if (r < 0) return stmt;
  return `.byte ${0x48 | (r >> 3)}, ${0xb8 + (r & 7)}; .quad ${m[1]}`;
}

/** Applies the rewrites to one instruction statement (labels already removed). */
export function normalizeInstruction(stmt: string, intel: boolean): string {
  if (/ds:/i.test(stmt)) stmt = dropDefaultDs(stmt, intel);
  return movabsSymbol(aluAxImm8(signImmediate(stmt, intel), intel), intel);
}
