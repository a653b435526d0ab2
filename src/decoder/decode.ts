/**
 * Table-driven x86-64 decoder: legacy prefixes, REX, VEX, the one-byte, 0F,
 * 0F38 and 0F3A maps, ModRM/SIB/displacements/RIP-relative, immediates.
 */
import {
  ATTR_BRANCH,
  ATTR_D64,
  ATTR_F64,
  ATTR_I64,
  ATTR_LOCK,
  ATTR_VEX,
  ATTR_MEMONLY,
  ATTR_PRIV,
  ATTR_REGONLY,
  ATTR_STR,
  ATTR_VL0,
  ATTR_VL1,
  BASE_NONE,
  Insn,
  K_CTL,
  K_IMM,
  K_MEM,
  K_MMX,
  K_NONE,
  K_REG,
  K_SEG,
  K_ST,
  K_XMM,
  SEG_FS,
  SEG_GS,
  SEG_NONE,
  type OpDef,
  type OperandDef,
} from "./insn.js";
import { ONE_BYTE, THREE_38, THREE_3A, TWO_BYTE, VEX_0F, VEX_38, VEX_3A, type Spec } from "./tables.js";
import { SSE_0F, SSE_38, SSE_3A } from "./sse-tables.js";
import { ATTR_LIG, ATTR_VSIB, ATTR_VSIBX, ATTR_VW0, installVex, VEX_ATTRS, vexSize } from "./vex-tables.js";

for (const [op, s] of SSE_0F) TWO_BYTE[op] = s;
for (const [op, s] of SSE_38) THREE_38[op] = s;
for (const [op, s] of SSE_3A) THREE_3A[op] = s;
installVex(VEX_0F, VEX_38, VEX_3A);

/** Why decoding stopped without an instruction. */
export class DecodeError extends Error {
  constructor(
    message: string,
    public readonly addr: number,
    public readonly bytes: number[],
  ) {
    super(message);
  }
}

const ATTR_NAMES: Record<string, number> = {
  d64: ATTR_D64,
  f64: ATTR_F64,
  i64: ATTR_I64,
  lock: ATTR_LOCK,
  str: ATTR_STR,
  br: ATTR_BRANCH,
  priv: ATTR_PRIV,
  memonly: ATTR_MEMONLY,
  regonly: ATTR_REGONLY,
  vl0: ATTR_VL0, // VEX.L must be 0 (#UD otherwise)
  vl1: ATTR_VL1, // VEX.L must be 1
};

const FIXED = new Set(["AL", "CL", "DX", "AX", "rAX", "eAX", "FS", "GS", "ST", "STi", "XMM0", "1"]);

const defCache = new Map<string, OpDef>();

export const INVALID: OpDef = { mnem: "(bad)", ops: [], attrs: ATTR_BRANCH, fn: null, key: "#ud" };

/** Parse a spec string into an OpDef (cached). */
export function parseSpec(s: string): OpDef {
  if (s === "!") return INVALID;
  let d = defCache.get(s);
  if (d) return d;
  const parts = s.split(/\s+/);
  const mnem = parts[0];
  let ops: OperandDef[] = [];
  let attrs = 0;
  let key = mnem;
  for (let k = 1; k < parts.length; k++) {
    const p = parts[k];
    if (p.startsWith("@")) key = p.slice(1);
    else if (p in ATTR_NAMES) attrs |= ATTR_NAMES[p];
    else if (p in VEX_ATTRS) attrs |= VEX_ATTRS[p];
    else
      ops = p.split(",").map((t) => {
        if (FIXED.has(t)) return { code: t, size: "" };
        return { code: t[0], size: t.slice(1) };
      });
  }
  for (const o of ops) if (o.code === "R" || o.code === "U" || o.code === "N") attrs |= ATTR_REGONLY;
  for (const o of ops) if (o.code === "M") attrs |= ATTR_MEMONLY;
  if (mnem.startsWith("j") || mnem === "call" || mnem.startsWith("ret") || mnem.startsWith("loop")) attrs |= ATTR_BRANCH;
  d = { mnem, ops, attrs, fn: null, key };
  defCache.set(s, d);
  return d;
}

/** Does this spec (or anything below it) need a ModRM byte? */
function needsModrm(s: Spec): boolean {
  if (s === null) return false;
  if (typeof s === "string") {
    if (s === "!") return false;
    const d = parseSpec(s);
    return d.ops.some((o) => "EGMRSVWUPQNCD".includes(o.code) && !FIXED.has(o.code)) || d.key === "x87";
  }
  return true; // groups and splits are all ModRM-based except prefix/osz/W splits, handled below
}

function specNeedsModrm(s: Spec): boolean {
  if (s === null || typeof s === "string") return needsModrm(s);
  if (Array.isArray(s)) return true;
  if ("mem" in s || "reg" in s || "rm" in s) return true;
  if ("w0" in s) return specNeedsModrm(s.w0) || specNeedsModrm(s.w1);
  if ("l0" in s) return specNeedsModrm(s.l0) || specNeedsModrm(s.l1);
  if ("o16" in s) return specNeedsModrm(s.o16) || specNeedsModrm(s.o32) || specNeedsModrm(s.o64);
  const p = s as { n?: Spec; p66?: Spec; f3?: Spec; f2?: Spec };
  return [p.n, p.p66, p.f3, p.f2].some((x) => x !== undefined && specNeedsModrm(x));
}

/** Per-map cache: does opcode N need ModRM. */
const modrmCache = new Map<Spec[], boolean[]>();
function modrmTable(map: Spec[]): boolean[] {
  let t = modrmCache.get(map);
  if (!t) {
    t = map.map(specNeedsModrm);
    modrmCache.set(map, t);
  }
  return t;
}

/** Decoding context (one per decoder; avoids allocation). */
class Ctx {
  fetch: (addr: number) => number = () => 0;
  start = 0;
  pos = 0;
  bytes: number[] = [];
  byte(): number {
    if (this.pos - this.start >= 15) throw new DecodeError("instruction longer than 15 bytes", this.start, this.bytes);
    const b = this.fetch(this.pos++);
    this.bytes.push(b);
    return b;
  }
}
const ctx = new Ctx();

/**
 * Decode the instruction at `addr` into `out`. Throws DecodeError for an
 * instruction longer than 15 bytes; a fetch fault propagates as thrown.
 */
export function decode(fetch: (addr: number) => number, addr: number, out: Insn): Insn {
  ctx.fetch = fetch;
  ctx.start = addr;
  ctx.pos = addr;
  ctx.bytes = [];
  const i = out;
  i.addr = addr;
  i.rep = 0;
  i.lock = false;
  i.opsizePrefix = false;
  i.rexW = false;
  i.hasRex = false;
  i.seg = SEG_NONE;
  i.asize = 8;
  i.vexL = 0;
  i.vexV = 0;
  i.modrm = -1;
  i.map = 0;
  i.hasMem = false;
  i.base = BASE_NONE;
  i.index = BASE_NONE;
  i.scale = 0;
  i.disp = 0;
  i.ripRel = false;
  i.imm = 0;
  i.immHi = 0;
  i.imm2 = 0;
  i.target = 0;
  i.ext = 0;
  i.aux = 0;
  i.plan = null;
  i.k0 = i.k1 = i.k2 = i.k3 = K_NONE;
  i.r0 = i.r1 = i.r2 = i.r3 = 0;
  i.s0 = i.s1 = i.s2 = i.s3 = 0;
  i.nops = 0;

  let rex = 0;
  let lastRepPrefix = 0; // f2/f3, the last one wins
  let b: number;
  // legacy prefixes and REX
  for (;;) {
    b = ctx.byte();
    if (b === 0x66) i.opsizePrefix = true;
    else if (b === 0x67) i.asize = 4;
    else if (b === 0xf2 || b === 0xf3) lastRepPrefix = b;
    else if (b === 0xf0) i.lock = true;
    else if (b === 0x64) i.seg = SEG_FS;
    else if (b === 0x65) i.seg = SEG_GS;
    else if (b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) {
      /* null segment prefixes in 64-bit mode */
    } else if ((b & 0xf0) === 0x40) {
      // REX must be the last prefix: a legacy prefix after it cancels it.
      rex = b;
      b = ctx.byte();
      if ((b & 0xf0) === 0x40) {
        // another REX: the earlier one is ignored
        ctx.pos--;
        ctx.bytes.pop();
        continue;
      }
      if (b === 0x66 || b === 0x67 || b === 0xf2 || b === 0xf3 || b === 0xf0 || b === 0x64 || b === 0x65 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) {
        rex = 0;
        ctx.pos--;
        ctx.bytes.pop();
        continue;
      }
      break;
    } else break;
  }
  if (rex) {
    i.hasRex = true;
    i.rexW = (rex & 8) !== 0;
  }
  let rexR = (rex >> 2) & 1;
  let rexX = (rex >> 1) & 1;
  let rexB = rex & 1;

  let map: Spec[] = ONE_BYTE;
  let mandatory = 0; // VEX implied prefix: 0 none, 0x66, 0xf3, 0xf2
  let isVex = false;
  if (b === 0x0f) {
    b = ctx.byte();
    if (b === 0x38) {
      map = THREE_38;
      b = ctx.byte();
      i.map = 2;
    } else if (b === 0x3a) {
      map = THREE_3A;
      b = ctx.byte();
      i.map = 3;
    } else {
      map = TWO_BYTE;
      i.map = 1;
    }
  } else if (b === 0xc4 || b === 0xc5) {
    // VEX (in 64-bit mode C4/C5 are always VEX prefixes)
    if (rex || i.opsizePrefix || lastRepPrefix || i.lock) {
      // VEX after REX/66/F2/F3/F0 is #UD
      i.opcode = b;
      return finishInvalid(i);
    }
    isVex = true;
    const v1 = ctx.byte();
    let mmmmm = 1;
    let pp: number;
    let vvvv: number;
    if (b === 0xc5) {
      rexR = (~v1 >> 7) & 1;
      rexX = 0;
      rexB = 0;
      vvvv = (~v1 >> 3) & 15;
      i.vexL = (v1 >> 2) & 1;
      pp = v1 & 3;
    } else {
      rexR = (~v1 >> 7) & 1;
      rexX = (~v1 >> 6) & 1;
      rexB = (~v1 >> 5) & 1;
      mmmmm = v1 & 31;
      const v2 = ctx.byte();
      i.rexW = (v2 & 0x80) !== 0;
      vvvv = (~v2 >> 3) & 15;
      i.vexL = (v2 >> 2) & 1;
      pp = v2 & 3;
    }
    i.vexV = vvvv;
    i.hasRex = true;
    mandatory = [0, 0x66, 0xf3, 0xf2][pp];
    map = mmmmm === 1 ? VEX_0F : mmmmm === 2 ? VEX_38 : mmmmm === 3 ? VEX_3A : (null as unknown as Spec[]);
    i.map = mmmmm === 1 ? 1 : mmmmm === 2 ? 2 : 3;
    b = ctx.byte();
    if (!map) {
      i.opcode = b;
      return finishInvalid(i);
    }
  }
  i.opcode = b;

  // operand size
  const opsizeFor = (attrs: number): number => {
    if (attrs & ATTR_F64) return 8;
    if (i.rexW) return 8;
    if (i.opsizePrefix && !(mandatory === 0x66)) return 2;
    if (attrs & ATTR_D64) return 8;
    return 4;
  };

  // ModRM
  let modrm = -1;
  const hasModrm = isVex ? !(map === VEX_0F && b === 0x77) : modrmTable(map)[b]; // VEX: all but vzeroupper/vzeroall
  if (hasModrm) {
    modrm = ctx.byte();
    i.modrm = modrm;
  }
  const mod = modrm >> 6;
  const regField = (modrm >> 3) & 7;
  const rmField = modrm & 7;
  i.ext = regField;

  // resolve the spec
  let spec: Spec = map[b];
  if (b === 0x90 && map === ONE_BYTE && rexB) spec = "xchg Zv,rAX"; // 41 90 is xchg r8, rax, not nop
  let pfxConsumed = false;
  for (let guard = 0; guard < 8 && spec !== null && typeof spec !== "string"; guard++) {
    if (Array.isArray(spec)) spec = spec[regField];
    else if ("mem" in spec || "reg" in spec) spec = (mod === 3 ? (spec as { reg?: Spec }).reg : (spec as { mem?: Spec }).mem) ?? "!";
    else if ("rm" in spec) spec = spec.rm[rmField];
    else if ("w0" in spec) spec = i.rexW ? spec.w1 : spec.w0;
    else if ("l0" in spec) spec = i.vexL ? spec.l1 : spec.l0;
    else if ("o16" in spec) {
      const os = i.rexW ? 8 : i.opsizePrefix ? 2 : 4;
      spec = os === 8 ? spec.o64 : os === 2 ? spec.o16 : spec.o32;
    } else {
      const p = spec as { n?: Spec; p66?: Spec; f3?: Spec; f2?: Spec };
      const pf = isVex ? mandatory : lastRepPrefix || (i.opsizePrefix ? 0x66 : 0);
      let chosen: Spec | undefined;
      if (pf === 0xf3) chosen = p.f3;
      else if (pf === 0xf2) chosen = p.f2;
      else if (pf === 0x66) chosen = p.p66;
      else chosen = p.n;
      if (chosen === undefined && !isVex && pf !== 0 && pf !== 0x66 && i.opsizePrefix && p.p66 !== undefined) {
        // F2/F3 not used as mandatory: 66 may be
        chosen = p.p66;
        mandatory = 0x66;
      } else if (pf !== 0 && !(pf === 0x66 && chosen === p.n)) {
        // (66 selecting the same entry as no prefix is an operand-size prefix: bsf, movbe, rdrand)
        mandatory = pf;
      }
      spec = chosen ?? "!";
      pfxConsumed = true;
    }
  }
  let def = typeof spec === "string" ? parseSpec(spec) : INVALID;
  if (pfxConsumed && !isVex) {
    if (mandatory === 0xf2 || mandatory === 0xf3) lastRepPrefix = 0;
  }
  if (def !== INVALID) {
    if (def.attrs & ATTR_I64) def = INVALID;
    else if (def.attrs & ATTR_MEMONLY && mod === 3) def = INVALID;
    else if (def.attrs & ATTR_REGONLY && hasModrm && mod !== 3) def = INVALID;
    else if (isVex && !vexOk(def, i)) def = INVALID;
    else if (isVex) def.attrs |= ATTR_VEX; // VEX specs appear only in the VEX maps: marks the definition (CPU models gate on it)
  }
  i.rep = lastRepPrefix;
  i.def = def;
  i.mnem = def.mnem;
  const size = opsizeFor(def.attrs);
  i.size = size;
  if (mandatory === 0x66 && !isVex) i.opsizePrefix = false; // consumed as a mandatory prefix

  let vsibIndex = -1; // the SIB index field, for the vector index of gathers
  // memory operand (decoded whenever mod != 3 so the length is right even for invalid forms)
  if (hasModrm && mod !== 3) {
    i.hasMem = true;
    let base = rmField;
    let dispSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
    if (rmField === 4) {
      const sib = ctx.byte();
      i.scale = sib >> 6;
      const idx = ((sib >> 3) & 7) | (rexX << 3);
      i.index = idx === 4 ? BASE_NONE : idx;
      vsibIndex = idx;
      base = sib & 7;
      if (base === 5 && mod === 0) {
        i.base = BASE_NONE;
        dispSize = 4;
      } else i.base = base | (rexB << 3);
    } else if (rmField === 5 && mod === 0) {
      i.ripRel = true;
      i.base = BASE_NONE;
      dispSize = 4;
    } else i.base = base | (rexB << 3);
    if (dispSize === 1) i.disp = (ctx.byte() << 24) >> 24;
    else if (dispSize === 4) i.disp = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
  }

  // operands
  const ops = def.ops;
  let nimm = 0;
  for (let k = 0; k < ops.length; k++) {
    const o = ops[k];
    let kind = K_NONE;
    let reg = 0;
    let sz = sizeOf(o.size, size, i.rexW);
    if (isVex) sz = vexSize(o.size, def.attrs & ATTR_LIG ? 0 : i.vexL) || sz; // VEX.256: ymm / 32-byte memory
    switch (o.code) {
      case "E":
      case "M":
      case "R":
        if (mod === 3) {
          kind = K_REG;
          reg = rmField | (rexB << 3);
        } else kind = K_MEM;
        break;
      case "G":
        kind = K_REG;
        reg = regField | (rexR << 3);
        break;
      case "B":
        kind = K_REG;
        reg = i.vexV;
        break;
      case "Z":
        kind = K_REG;
        reg = (b & 7) | (rexB << 3);
        break;
      case "V":
        kind = K_XMM;
        reg = regField | (rexR << 3);
        break;
      case "U":
      case "W":
        if (mod === 3) {
          kind = K_XMM;
          reg = rmField | (rexB << 3);
        } else kind = K_MEM;
        break;
      case "H":
        kind = K_XMM;
        reg = i.vexV;
        break;
      case "L": {
        // VEX /is4: a register in imm8[7:4] (the imm8 is also kept in imm)
        kind = K_XMM;
        const v = ctx.byte();
        reg = v >> 4;
        i.imm = v;
        nimm++;
        break;
      }
      case "P":
        kind = K_MMX;
        reg = regField;
        break;
      case "N":
      case "Q":
        if (mod === 3) {
          kind = K_MMX;
          reg = rmField;
        } else kind = K_MEM;
        break;
      case "S":
        kind = K_SEG;
        reg = regField;
        sz = 2;
        break;
      case "C":
      case "D":
        kind = K_CTL;
        reg = regField | (rexR << 3);
        break;
      case "AL":
        kind = K_REG;
        reg = 0;
        sz = 1;
        break;
      case "XMM0": // implicit mask register of the variable blends
        kind = K_XMM;
        reg = 0;
        break;
      case "CL":
        kind = K_REG;
        reg = 1;
        sz = 1;
        break;
      case "DX":
        kind = K_REG;
        reg = 2;
        sz = 2;
        break;
      case "AX":
        kind = K_REG;
        reg = 0;
        sz = 2;
        break;
      case "rAX":
        kind = K_REG;
        reg = 0;
        sz = size;
        break;
      case "eAX":
        kind = K_REG;
        reg = 0;
        sz = size === 2 ? 2 : 4;
        break;
      case "FS":
      case "GS":
        kind = K_SEG;
        reg = o.code === "FS" ? 4 : 5;
        sz = 2;
        break;
      case "ST":
        kind = K_ST;
        reg = 0;
        break;
      case "STi":
        kind = K_ST;
        reg = rmField;
        break;
      case "1":
        kind = K_IMM;
        i.imm = 1;
        sz = 1;
        break;
      case "I": {
        kind = K_IMM;
        const n = o.size === "b" ? 1 : o.size === "w" ? 2 : o.size === "z" ? (size === 2 ? 2 : 4) : o.size === "v" ? size : 4;
        let lo: number;
        let hi: number;
        if (n === 1) {
          lo = (ctx.byte() << 24) >> 24;
          hi = lo >> 31;
        } else if (n === 2) {
          lo = ((ctx.byte() | (ctx.byte() << 8)) << 16) >> 16;
          hi = lo >> 31;
        } else {
          lo = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
          hi = lo >> 31;
          if (n === 8) hi = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
        }
        if (nimm === 0) {
          i.imm = lo;
          i.immHi = hi;
        } else i.imm2 = lo;
        nimm++;
        sz = n;
        break;
      }
      case "J": {
        kind = K_IMM;
        let rel: number;
        if (o.size === "b") rel = (ctx.byte() << 24) >> 24;
        else rel = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
        i.imm = rel;
        i.immHi = rel >> 31;
        sz = 8;
        break;
      }
      case "O": {
        kind = K_MEM;
        i.hasMem = true;
        i.base = BASE_NONE;
        i.index = BASE_NONE;
        const lo = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
        let hi = 0;
        if (i.asize === 8) hi = ctx.byte() | (ctx.byte() << 8) | (ctx.byte() << 16) | (ctx.byte() << 24);
        i.disp = (hi >>> 0) * 4294967296 + (lo >>> 0);
        break;
      }
      case "X":
      case "Y":
        kind = K_NONE;
        break;
      default:
        kind = K_NONE;
    }
    if (kind === K_REG && sz === 1 && !i.hasRex && reg >= 4 && reg < 8 && (o.code === "E" || o.code === "G" || o.code === "Z" || o.code === "R")) reg += 12; // AH CH DH BH
    setOperand(i, k, kind, reg, sz);
  }
  i.nops = ops.length;
  if (def.attrs & ATTR_VSIB) {
    // gathers: the SIB index is a vector register (operand 3, not printed as one); no SIB, or
    // destination, index and mask not all different: #UD
    i.index = BASE_NONE;
    i.k3 = K_XMM;
    i.r3 = vsibIndex;
    i.s3 = i.vexL && !(def.attrs & ATTR_VSIBX) ? 32 : 16;
    if (vsibIndex < 0 || i.r0 === i.r2 || i.r0 === vsibIndex || i.r2 === vsibIndex) {
      i.def = INVALID;
      i.mnem = INVALID.mnem;
    }
  }

  i.len = ctx.pos - addr;
  i.next = ctx.pos;
  if (i.ripRel) {
    i.aux = i.disp; // raw displacement, for the disassembler
    i.disp = i.asize === 4 ? (i.next + i.disp) % 4294967296 : i.next + i.disp;
  }
  for (const o of ops) if (o.code === "J") i.target = i.next + i.imm;
  if (i.lock && !lockOk(i)) {
    i.def = INVALID;
    i.mnem = "(bad)";
  }
  return i;
}

/** VEX.L and VEX.vvvv constraints: L where the form requires one length; vvvv = 1111 when no operand encodes it. */
function vexOk(def: OpDef, i: Insn): boolean {
  if (def.attrs & ATTR_VL0 && i.vexL) return false;
  if (def.attrs & ATTR_VL1 && !i.vexL) return false;
  if (def.attrs & ATTR_VW0 && i.rexW) return false;
  if (i.vexV !== 0) {
    for (const o of def.ops) if (o.code === "H" || o.code === "B") return true;
    return false;
  }
  return true;
}

function lockOk(i: Insn): boolean {
  return (i.def.attrs & ATTR_LOCK) !== 0 && i.k0 === K_MEM;
}

function finishInvalid(i: Insn): Insn {
  i.def = INVALID;
  i.mnem = INVALID.mnem;
  i.len = ctx.pos - i.addr;
  i.next = ctx.pos;
  return i;
}

function sizeOf(code: string, opsize: number, rexW: boolean): number {
  switch (code) {
    case "b":
      return 1;
    case "w":
      return 2;
    case "d":
    case "ss":
      return 4;
    case "q":
    case "sd":
      return 8;
    case "v":
      return opsize;
    case "y":
      return rexW ? 8 : 4;
    case "z":
      return opsize === 2 ? 2 : 4;
    case "x":
      return 16;
    case "t":
      return 10;
    case "p":
      return opsize === 8 ? 10 : opsize + 2;
    case "s":
      return 10;
    case "e":
      return 28;
    case "f":
      return 512;
    default:
      return 0;
  }
}

function setOperand(i: Insn, k: number, kind: number, reg: number, sz: number): void {
  if (k === 0) {
    i.k0 = kind;
    i.r0 = reg;
    i.s0 = sz;
  } else if (k === 1) {
    i.k1 = kind;
    i.r1 = reg;
    i.s1 = sz;
  } else if (k === 2) {
    i.k2 = kind;
    i.r2 = reg;
    i.s2 = sz;
  } else {
    i.k3 = kind;
    i.r3 = reg;
    i.s3 = sz;
  }
}

/** Raw bytes of the last decoded instruction (valid until the next decode). */
export function lastBytes(): number[] {
  return ctx.bytes.slice();
}
