/**
 * Block compiler, first tier: a hot basic block becomes one JavaScript
 * function (via `new Function`) with every common instruction specialized for
 * its operands and sizes (registers indexed by constants, effective addresses
 * as straight-line arithmetic, flags stored lazily, conditions of cmp/test +
 * jcc pairs evaluated inline). Anything else calls the interpreter's handler.
 * Faults stay precise: `k` tracks the instruction, and nothing is committed
 * before an instruction's reads and faulting writes are done.
 *
 * Where code generation is forbidden (strict CSP), compileBlock returns null
 * and the interpreter runs alone.
 */
import { ATTR_PRIV, BASE_NONE, K_IMM, K_MEM, K_REG, SEG_FS, SEG_GS, type Insn } from "../../decoder/insn.js";
import type { CPU } from "../cpu.js";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_SUB, cond, getCF } from "../flags.js";
import { EA_WIDE_SEG, eaWide, setReg } from "../ops.js";

/**
 * A compiled block: runs all instructions, repeating up to `max` times when the
 * block branches to itself; returns the number of complete iterations, or -1
 * when it left early after a store into code (c.rip set; c.jitIter complete
 * iterations and c.jitIndex instructions of the last one done). On a throw,
 * c.jitIter holds the complete iterations and c.jitIndex the faulting
 * instruction's index.
 */
export type CompiledBlock = (c: CPU, I: Insn[], max: number) => number;

type Factory = (cond: typeof import("../flags.js").cond, getCF: typeof import("../flags.js").getCF, setReg: typeof import("../ops.js").setReg, eaWide: typeof import("../ops.js").eaWide) => CompiledBlock;

let codegenAllowed: boolean | null = null;

function canGenerate(): boolean {
  if (codegenAllowed === null) {
    try {
      codegenAllowed = new Function("return 1")() === 1;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}

/** What the last flag-setting instruction in this block left in the locals fa/fb/fr (for inline conditions). */
interface FlagsKnown {
  op: number; // F_SUB or F_LOGIC, or 0 when unknown
  size: number;
}

class Gen {
  out: string[] = [];
  flags: FlagsKnown = { op: 0, size: 0 };
  /** Flags written by the current instruction are overwritten before being read: skip storing them. */
  dead = false;

  emit(s: string): void {
    this.out.push(s);
  }
}

function lit(n: number): string {
  return Number.isInteger(n) ? String(n) : String(n);
}

/**
 * Code computing the effective address into `a` (64-bit address size only);
 * null when not handled. Registers beyond +-2^47 take ops.eaWide (exact
 * modulo 2^64, as the interpreter), since the double sum would round.
 */
function eaStmt(i: Insn): string | null {
  if (i.asize !== 8) return null;
  const parts: string[] = [];
  const wide: string[] = [];
  if (i.disp !== 0 || (i.base === BASE_NONE && i.index === BASE_NONE)) parts.push(lit(i.disp));
  for (const [n, scale] of [
    [i.base, 1],
    [i.index, 1 << i.scale],
  ])
    if (n !== BASE_NONE) {
      parts.push(`(r[${2 * n + 1}]*4294967296+(r[${2 * n}]>>>0))${scale > 1 ? `*${scale}` : ""}`);
      wide.push(`(r[${2 * n + 1}]+32768)>>>16`);
    }
  if (i.seg === SEG_FS || i.seg === SEG_GS) {
    const s = i.seg === SEG_FS ? "c.fsBase" : "c.gsBase";
    parts.push(s);
    wide.push(`${s}>=${EA_WIDE_SEG}`);
  }
  return `a=${parts.join("+")};${wide.length ? `if(${wide.join("||")})a=EW(c,I[k]);` : ""}`;
}

/** Read a register of `size` into `lo` (and `hi` for 8). */
function regRead(n: number, size: number, lo: string, hi: string | null): string {
  switch (size) {
    case 8:
      return `${lo}=r[${2 * n}];${hi ? `${hi}=r[${2 * n + 1}];` : ""}`;
    case 4:
      return `${lo}=r[${2 * n}];${hi ? `${hi}=0;` : ""}`;
    case 2:
      return `${lo}=r[${2 * n}]&65535;${hi ? `${hi}=0;` : ""}`;
    default:
      return n < 16 ? `${lo}=r[${2 * n}]&255;${hi ? `${hi}=0;` : ""}` : `${lo}=(r[${2 * (n - 16)}]>>8)&255;${hi ? `${hi}=0;` : ""}`;
  }
}

/** Read memory at local `a`; reloads `r` afterwards (a first touch may grow the linear memory). */
function memRead(size: number, lo: string, hi: string | null): string {
  switch (size) {
    case 8:
      return `${lo}=m.read32(a);${hi ? `${hi}=m.read32(a+4);` : ""}r=c.r;`;
    case 4:
      return `${lo}=m.read32(a);${hi ? `${hi}=0;` : ""}r=c.r;`;
    case 2:
      return `${lo}=m.read16(a);${hi ? `${hi}=0;` : ""}r=c.r;`;
    default:
      return `${lo}=m.read8(a);${hi ? `${hi}=0;` : ""}r=c.r;`;
  }
}

/**
 * Code reading operand (kind, reg, size) into lo/hi. For memory, computes `a` first.
 * Immediates are sign-extended to the operand size's hi half.
 */
function operandRead(i: Insn, kind: number, reg: number, size: number, lo: string, hi: string | null): string | null {
  if (kind === K_REG) return regRead(reg, size, lo, hi);
  if (kind === K_IMM) {
    const v = size === 1 ? i.imm & 0xff : size === 2 ? i.imm & 0xffff : i.imm | 0;
    const h = size === 8 ? i.immHi | 0 : 0;
    return `${lo}=${v};${hi ? `${hi}=${h};` : ""}`;
  }
  if (kind === K_MEM) {
    const e = eaStmt(i);
    if (e === null) return null;
    return `${e}${memRead(size, lo, hi)}`;
  }
  return null;
}

/** Write lo/hi to the destination (operand 0). Memory uses `a` (already computed). */
function destWrite(i: Insn, size: number, lo: string, hi: string, addrKnown: boolean): string | null {
  if (i.k0 === K_REG) {
    const n = i.r0;
    if (size === 8) return `r[${2 * n}]=${lo};r[${2 * n + 1}]=${hi};`;
    if (size === 4) return `r[${2 * n}]=${lo};r[${2 * n + 1}]=0;`;
    return `SR(c,${n},${size},${lo},0);`;
  }
  if (i.k0 === K_MEM) {
    let pre = "";
    if (!addrKnown) {
      const e = eaStmt(i);
      if (e === null) return null;
      pre = e;
    }
    switch (size) {
      case 8:
        return `${pre}m.write64(a,${lo},${hi});r=c.r;`;
      case 4:
        return `${pre}m.write32(a,${lo});r=c.r;`;
      case 2:
        return `${pre}m.write16(a,${lo});r=c.r;`;
      default:
        return `${pre}m.write8(a,${lo}&255);r=c.r;`;
    }
  }
  return null;
}

const ALU_OPS: Record<string, number> = { add: 0, or: 1, and: 4, sub: 5, xor: 6, cmp: 7, test: 8 };

function genAlu(g: Gen, i: Insn): boolean {
  const op = ALU_OPS[i.def.key];
  const size = i.s0;
  const wide = size === 8;
  const ra = operandRead(i, i.k0, i.r0, size, "fa", wide ? "fah" : null);
  if (ra === null) return false;
  // the source: an imm8/imm32 sign-extends to a 64-bit destination
  const rb = operandRead(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1, "fb", wide ? "fbh" : null);
  if (rb === null) return false;
  let body = ra + rb;
  let kind: number;
  if (op === 0) {
    kind = F_ADD;
    body += wide ? "{const s=(fa>>>0)+(fb>>>0);fr=s|0;frh=(fah+fbh+(s>4294967295?1:0))|0;}" : "fr=(fa+fb)|0;";
  } else if (op === 5 || op === 7) {
    kind = F_SUB;
    body += wide ? "{const s=(fa>>>0)-(fb>>>0);fr=s|0;frh=(fah-fbh-(s<0?1:0))|0;}" : "fr=(fa-fb)|0;";
  } else {
    kind = F_LOGIC;
    const o = op === 1 ? "|" : op === 6 ? "^" : "&";
    body += `fr=fa${o}fb;` + (wide ? `frh=fah${o}fbh;` : "");
  }
  if (op !== 7 && op !== 8) {
    const w = destWrite(i, size, "fr", wide ? "frh" : "0", true);
    if (w === null) return false;
    body += w;
  }
  if (!g.dead) {
    body += `c.fOp=${kind};c.fSize=${size};c.fDst=fa;c.fSrc=fb;c.fRes=fr;`;
    if (wide) body += "c.fDstHi=fah;c.fSrcHi=fbh;c.fResHi=frh;";
  }
  g.emit(body);
  g.flags = { op: kind, size };
  return true;
}

function genIncDec(g: Gen, i: Insn, dec: boolean): boolean {
  const size = i.s0;
  if (size < 4) return false;
  const wide = size === 8;
  const ra = operandRead(i, i.k0, i.r0, size, "fa", wide ? "fah" : null);
  if (ra === null) return false;
  let body = ra + "fb=1;fbh=0;const cf=getCF(c);";
  if (dec) body += wide ? "fr=(fa-1)|0;frh=fr===-1?(fah-1)|0:fah;" : "fr=(fa-1)|0;";
  else body += wide ? "fr=(fa+1)|0;frh=fr===0?(fah+1)|0:fah;" : "fr=(fa+1)|0;";
  const w = destWrite(i, size, "fr", wide ? "frh" : "0", true);
  if (w === null) return false;
  body += w + `c.fOp=${dec ? F_DEC : F_INC};c.fSize=${size};c.fDst=fa;c.fSrc=1;c.fRes=fr;c.fAux=cf;`;
  if (wide) body += "c.fDstHi=fah;c.fSrcHi=0;c.fResHi=frh;";
  g.emit(`{${body}}`);
  g.flags = { op: 0, size: 0 };
  return true;
}

function genMov(i: Insn): string | null {
  const size = i.s0;
  const wide = size === 8;
  // source: an imm32 sign-extends into a 64-bit destination
  const rs = operandRead(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1, "v", wide ? "vh" : null);
  if (rs === null) return null;
  const w = destWrite(i, size, "v", wide ? "vh" : "0", false);
  if (w === null) return null;
  return `{let v,vh;${rs}${w}}`;
}

function genMovx(i: Insn, signed: boolean, dword: boolean): string | null {
  const size = i.s0;
  if (size < 4 || i.k0 !== K_REG) return null;
  const rs = operandRead(i, i.k1, i.r1, i.s1, "v", null);
  if (rs === null) return null;
  const sh = 32 - i.s1 * 8;
  const ext = dword ? "v=v|0;" : signed ? `v=(v<<${sh})>>${sh};` : "";
  const hi = size === 8 ? (signed || dword ? "v>>31" : "0") : "0";
  const n = i.r0;
  return `{let v;${rs}${ext}r[${2 * n}]=v;r[${2 * n + 1}]=${hi};}`;
}

function genLea(i: Insn): string | null {
  if (i.asize !== 8 || i.k0 !== K_REG || i.s0 < 4) return null;
  // exact 64-bit arithmetic in lo/hi halves
  let body = "";
  if (i.ripRel) {
    const lo = i.disp % 4294967296 | 0;
    const hi = Math.floor(i.disp / 4294967296) | 0;
    body = `lo=${lo};hi=${hi};`;
  } else {
    body = `lo=${i.disp | 0};hi=${i.disp < 0 ? -1 : 0};`;
    if (i.base !== BASE_NONE) body += `{const s=(lo>>>0)+(r[${2 * i.base}]>>>0);hi=(hi+r[${2 * i.base + 1}]+(s>4294967295?1:0))|0;lo=s|0;}`;
    if (i.index !== BASE_NONE) {
      const x = 2 * i.index;
      const s = i.scale;
      const xl = s ? `(r[${x}]<<${s})` : `r[${x}]`;
      const xh = s ? `((r[${x + 1}]<<${s})|(r[${x}]>>>${32 - s}))` : `r[${x + 1}]`;
      body += `{const s=(lo>>>0)+(${xl}>>>0);hi=(hi+${xh}+(s>4294967295?1:0))|0;lo=s|0;}`;
    }
  }
  const n = i.r0;
  return `{let lo,hi;${body}r[${2 * n}]=lo;r[${2 * n + 1}]=${i.s0 === 8 ? "hi" : "0"};}`;
}

const RSP_NUM = "(r[9]*4294967296+(r[8]>>>0))";
function setRsp(v: string): string {
  return `{const _v=${v};const _h=Math.floor(_v/4294967296);r[8]=_v-_h*4294967296;r[9]=_h;}`;
}

function genPushReg(i: Insn): string | null {
  if (i.size !== 8 || i.k0 !== K_REG) return null;
  const n = i.r0;
  return `{const lo=r[${2 * n}],hi=r[${2 * n + 1}];a=${RSP_NUM}-8;m.write64(a,lo,hi);r=c.r;${setRsp("a")}}`;
}

function genPopReg(i: Insn): string | null {
  if (i.size !== 8 || i.k0 !== K_REG) return null;
  const n = i.r0;
  return `{a=${RSP_NUM};const lo=m.read32(a),hi=m.read32(a+4);r=c.r;${setRsp("a+8")}r[${2 * n}]=lo;r[${2 * n + 1}]=hi;}`;
}

function split(v: number): [number, number] {
  return [v % 4294967296 | 0, Math.floor(v / 4294967296) | 0];
}

function genShift(g: Gen, i: Insn, kind: string): boolean {
  const size = i.s0;
  if (i.k1 !== K_IMM || size < 4 || i.k0 !== K_REG) return false;
  const n = i.r0;
  const cnt = i.imm & (size === 8 ? 63 : 31);
  if (cnt === 0) {
    if (size === 4) g.emit(`r[${2 * n + 1}]=0;`); // flags unchanged, but a 32-bit destination is still zero-extended
    return true;
  }
  let body: string;
  // results via the interpreter's semantics: CF = last bit out, OF (count 1)
  if (size === 4) {
    const v = `r[${2 * n}]`;
    if (kind === "shl") body = `{const x=${v};const res=x<<${cnt};const cf=(x>>>${32 - cnt})&1;r[${2 * n}]=res;r[${2 * n + 1}]=0;c.fOp=8;c.fSize=4;c.fRes=res;c.fAux=cf|((((res>>>31)^cf)&1)<<11);}`;
    else if (kind === "shr") body = `{const x=${v};const res=x>>>${cnt};const cf=(x>>>${cnt - 1})&1;r[${2 * n}]=res;r[${2 * n + 1}]=0;c.fOp=8;c.fSize=4;c.fRes=res;c.fAux=cf|(((x>>>31)&1)<<11);}`;
    else body = `{const x=${v};const res=x>>${cnt};const cf=(x>>${cnt - 1})&1;r[${2 * n}]=res;r[${2 * n + 1}]=0;c.fOp=8;c.fSize=4;c.fRes=res;c.fAux=cf;}`;
  } else {
    const L = `r[${2 * n}]`;
    const H = `r[${2 * n + 1}]`;
    let lo: string;
    let hi: string;
    let cf: string;
    if (kind === "shl") {
      lo = cnt < 32 ? `x<<${cnt}` : "0";
      hi = cnt < 32 ? `(y<<${cnt})|(x>>>${32 - cnt})` : `x<<${cnt - 32}`;
      const b = 64 - cnt;
      cf = b < 32 ? `(x>>>${b})&1` : `(y>>>${b - 32})&1`;
    } else {
      const arith = kind === "sar";
      lo = cnt < 32 ? `(x>>>${cnt})|(y<<${32 - cnt})` : arith ? `y>>${cnt - 32}` : `y>>>${cnt - 32}`;
      hi = cnt < 32 ? (arith ? `y>>${cnt}` : `y>>>${cnt}`) : arith ? "y>>31" : "0";
      const b = cnt - 1;
      cf = b < 32 ? `(x>>>${b})&1` : `(y>>>${b - 32})&1`;
    }
    const of = kind === "shl" ? "((rh>>>31)^cf)&1" : kind === "shr" ? "(y>>>31)&1" : "0";
    body = `{const x=${L},y=${H};const rl=${lo},rh=(${hi})|0;const cf=${cf};${L}=rl;${H}=rh;c.fOp=8;c.fSize=8;c.fRes=rl;c.fResHi=rh;c.fAux=cf|((${of})<<11);}`;
  }
  g.emit(body);
  g.flags = { op: 0, size: 0 };
  return true;
}

/** Inline condition from the last flag-setting instruction of this block, when its kind is known. */
function condExpr(g: Gen, cc: number): string {
  const { op, size } = g.flags;
  if (op === F_SUB && size === 8) {
    const eq = "(fa===fb&&fah===fbh)";
    const ltu = "((fah>>>0)<(fbh>>>0)||(fah===fbh&&(fa>>>0)<(fb>>>0)))";
    const lts = "(fah<fbh||(fah===fbh&&(fa>>>0)<(fb>>>0)))";
    const t: Record<number, string> = { 2: ltu, 3: `!${ltu}`, 4: eq, 5: `!${eq}`, 6: `(${ltu}||${eq})`, 7: `!(${ltu}||${eq})`, 12: lts, 13: `!${lts}`, 14: `(${lts}||${eq})`, 15: `!(${lts}||${eq})` };
    if (t[cc]) return t[cc];
  }
  if (op === F_SUB && size === 4) {
    const t: Record<number, string> = { 2: "(fa>>>0)<(fb>>>0)", 3: "(fa>>>0)>=(fb>>>0)", 4: "(fa|0)===(fb|0)", 5: "(fa|0)!==(fb|0)", 6: "(fa>>>0)<=(fb>>>0)", 7: "(fa>>>0)>(fb>>>0)", 12: "(fa|0)<(fb|0)", 13: "(fa|0)>=(fb|0)", 14: "(fa|0)<=(fb|0)", 15: "(fa|0)>(fb|0)" };
    if (t[cc]) return t[cc];
  }
  if (op === F_LOGIC && size >= 4) {
    const z = size === 8 ? "(fr===0&&frh===0)" : "(fr===0)";
    const s = size === 8 ? "(frh<0)" : "(fr<0)";
    const t: Record<number, string> = { 4: z, 5: `!${z}`, 8: s, 9: `!${s}`, 12: s, 13: `!${s}`, 14: `(${z}||${s})`, 15: `!(${z}||${s})`, 2: "false", 3: "true", 6: z, 7: `!${z}` };
    if (t[cc]) return t[cc];
  }
  return `cond(c,${cc})`;
}

/** Instructions that write all six status flags without reading any (when compiled here). */
const WRITES_ALL_FLAGS = new Set(["add", "sub", "cmp", "and", "or", "xor", "test"]);
/** Instructions that neither read nor write flags. */
const FLAG_NEUTRAL = new Set(["mov", "movzx", "movsx", "movsxd", "lea", "push", "pop", "nop", "jmp", "call", "ret"]);
// (cmovcc and setcc read flags; imul writes them all but its undefined flags are computed like the
// interpreter's, so it is not treated as overwriting earlier flags)

/** Whether an instruction may fault or store (a fault or a store into code ends the block: all flags are seen there). */
export function mayFaultOrStore(i: Insn, key: string): boolean {
  if (key === "lea" || key === "nop") return false;
  return i.hasMem || key === "push" || key === "pop" || key === "call" || key === "ret";
}

/**
 * dead[k]: the flags instruction k writes are overwritten later in the block
 * before anything reads them, and before anything that may fault or store
 * (where the flags are visible: a signal frame, the code after a store into it).
 */
function deadFlags(insns: Insn[]): boolean[] {
  const dead = new Array<boolean>(insns.length).fill(false);
  let overwritten = false; // walking backwards: will a later instruction overwrite all flags before a read?
  for (let k = insns.length - 1; k >= 0; k--) {
    const i = insns[k];
    const key = i.def.attrs & ATTR_PRIV ? "" : i.def.key;
    const visible = mayFaultOrStore(i, key);
    const stores = i.k0 === K_MEM || key === "push" || key === "call";
    dead[k] = overwritten && !stores;
    if (visible) overwritten = false;
    else if (WRITES_ALL_FLAGS.has(key) && !i.lock) overwritten = true;
    else if (!FLAG_NEUTRAL.has(key)) overwritten = false; // may read flags (jcc, adc, generic handlers...)
  }
  return dead;
}

/** Handlers that read the instruction count (rdtsc): the compiled block makes it exact around the call. */
const READS_ICOUNT = new Set(["rdtsc", "rdtscp"]);

/** Generate the function body for a block, or null if nothing in it is worth compiling. */
function generate(insns: Insn[], selfLoop: boolean): string | null {
  const g = new Gen();
  const dead = deadFlags(insns);
  let special = 0;
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k];
    const key = i.def.key;
    const last = k === insns.length - 1;
    g.dead = dead[k];
    g.emit(`k=${k};`);
    let done = false;
    switch (i.def.attrs & ATTR_PRIV ? "" : key) {
      case "add":
      case "sub":
      case "cmp":
      case "and":
      case "or":
      case "xor":
      case "test":
        if (!i.lock) done = genAlu(g, i);
        break;
      case "inc":
      case "dec":
        done = genIncDec(g, i, key === "dec");
        break;
      case "mov": {
        const s = i.k0 !== K_REG || i.k1 !== K_REG || (i.s0 >= 4 && i.s1 >= 4) || (i.r0 < 16 && i.r1 < 16) ? genMov(i) : null;
        if (s) {
          g.emit(s);
          done = true;
        }
        break;
      }
      case "movzx":
      case "movsx":
      case "movsxd": {
        const s = genMovx(i, key !== "movzx", key === "movsxd");
        if (s) {
          g.emit(s);
          done = true;
        }
        break;
      }
      case "lea": {
        const s = genLea(i);
        if (s) {
          g.emit(s);
          done = true;
        }
        break;
      }
      case "push": {
        const s = genPushReg(i);
        if (s) {
          g.emit(s);
          done = true;
        }
        break;
      }
      case "pop": {
        const s = genPopReg(i);
        if (s) {
          g.emit(s);
          done = true;
        }
        break;
      }
      case "shl":
      case "sal":
      case "shr":
      case "sar":
        done = genShift(g, i, key === "sal" ? "shl" : key);
        break;
      case "nop":
        done = true;
        break;
      case "cmovcc": {
        // 32-bit cmov zero-extends even when the condition is false
        const size = i.s0;
        if (size < 4 || i.k0 !== K_REG) break;
        const rs = operandRead(i, i.k1, i.r1, size, "v", size === 8 ? "vh" : null);
        if (rs === null) break;
        const n = i.r0;
        g.emit(`{let v,vh;${rs}if(${condExpr(g, i.opcode & 15)}){r[${2 * n}]=v;r[${2 * n + 1}]=${size === 8 ? "vh" : "0"};}${size === 4 ? `else r[${2 * n + 1}]=0;` : ""}}`);
        done = true;
        break;
      }
      case "setcc": {
        const w = destWrite(i, 1, `((${condExpr(g, i.opcode & 15)})?1:0)`, "0", false);
        if (w === null) break;
        g.emit(`{${w}}`);
        done = true;
        break;
      }
      case "imul2":
      case "imul3": {
        // 32-bit truncating multiply with CF=OF on signed overflow
        if (i.s0 !== 4 || i.k0 !== K_REG) break;
        const a = key === "imul2" ? operandRead(i, i.k0, i.r0, 4, "fa", null) : operandRead(i, i.k1, i.r1, 4, "fa", null);
        const b = key === "imul2" ? operandRead(i, i.k1, i.r1, 4, "fb", null) : `fb=${i.imm | 0};`;
        if (a === null || b === null) break;
        const n = i.r0;
        let body = `${a}${b}fr=Math.imul(fa,fb);{const o=fr!==fa*fb?0x801:0;r[${2 * n}]=fr;r[${2 * n + 1}]=0;`;
        if (!g.dead) body += "c.fOp=8;c.fSize=4;c.fRes=fr;c.fAux=o;";
        g.emit(body + "}");
        g.flags = { op: 0, size: 0 };
        done = true;
        break;
      }
      case "jcc":
        g.emit(`c.rip=(${condExpr(g, i.opcode & 15)})?${lit(i.target)}:${lit(i.next)};`);
        done = true;
        break;
      case "jmp":
        g.emit(`c.rip=${lit(i.target)};`);
        done = true;
        break;
      case "call": {
        const [lo, hi] = split(i.next);
        g.emit(`a=${RSP_NUM}-8;m.write64(a,${lo},${hi});r=c.r;${setRsp("a")}c.rip=${lit(i.target)};`);
        done = true;
        break;
      }
      case "ret":
        // (a non-canonical return address: the interpreter's handler raises #GP at the ret, nothing changed)
        g.emit(`{a=${RSP_NUM};const lo=m.read32(a),hi=m.read32(a+4);if(((hi>>15)+1)>>>1)I[${k}].fn(c,I[${k}]);r=c.r;${setRsp("a+8")}c.rip=(hi>>>0)*4294967296+(lo>>>0);}`);
        done = true;
        break;
    }
    // a store that changed code (perhaps this block's) ends the block after the instruction
    const smc = last ? "" : `if(c.codeEpoch!==ep){c.rip=${lit(i.next)};c.jitIndex=${k + 1};c.jitIter=it;return -1;}`;
    if (done) {
      special++;
      if (last && !(i.def.attrs & 32)) g.emit(`c.rip=${lit(i.next)};`);
      if (i.k0 === K_MEM || key === "push" || key === "call") g.emit(smc);
      continue;
    }
    // generic: the interpreter's handler
    if (READS_ICOUNT.has(key)) g.emit(`c.rip=${lit(i.next)};{const s=c.icount;c.icount=s+it*${insns.length}+${k};I[${k}].fn(c,I[${k}]);c.icount=s;}`);
    else g.emit(`c.rip=${lit(i.next)};I[${k}].fn(c,I[${k}]);r=c.r;${smc}`);
    g.flags = { op: 0, size: 0 };
  }
  if (special === 0) return null;
  const head = `"use strict";let r=c.r;const m=c.mem;const ep=c.codeEpoch;let k=0,a=0,fa=0,fah=0,fb=0,fbh=0,fr=0,frh=0,it=0;`;
  if (!selfLoop) return `${head}try{${g.out.join("")}}catch(e){c.jitIndex=k;throw e;}return 1;`;
  // a block that branches to itself loops here, up to `max` iterations
  const start = insns[0].addr;
  return `${head}try{do{${g.out.join("")}it++;}while(c.rip===${lit(start)}&&it<max);}catch(e){c.jitIndex=k;c.jitIter=it;throw e;}return it;`;
}

/** Compile a block; null when code generation is unavailable or pointless for it. */
export function compileBlock(insns: Insn[]): CompiledBlock | null {
  if (!canGenerate()) return null;
  const lastI = insns[insns.length - 1];
  const selfLoop = (lastI.def.key === "jcc" || lastI.def.key === "jmp") && lastI.target === insns[0].addr;
  const body = generate(insns, selfLoop);
  if (body === null) return null;
  const factory = new Function("cond", "getCF", "SR", "EW", `return function block(c,I,max){${body}};`) as Factory;
  return factory(cond, getCF, setReg, eaWide);
}

