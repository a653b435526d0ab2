/**
 * The decoded instruction: one plain, monomorphic object per instruction,
 * shared by the interpreter, the JIT and the disassembler.
 */

/** Operand kinds. */
export const K_NONE = 0;
export const K_REG = 1; // general register; for 1-byte operands 16..19 are AH CH DH BH
export const K_MEM = 2; // the instruction's memory operand (base/index/scale/disp/seg)
export const K_IMM = 3; // immediate (imm/immHi, sign-extended to 64 bits)
export const K_XMM = 4;
export const K_MMX = 5;
export const K_SEG = 6; // segment register (0 es, 1 cs, 2 ss, 3 ds, 4 fs, 5 gs)
export const K_ST = 7; // x87 st(i)
export const K_CTL = 8; // control/debug register (privileged)

/** Register number used as `base` for RIP-relative addressing (disp then holds the absolute address). */
export const BASE_NONE = -1;

/** Segment override numbers kept in Insn.seg. Only fs and gs have bases in 64-bit mode. */
export const SEG_NONE = 0;
export const SEG_FS = 4;
export const SEG_GS = 5;

export const ATTR_D64 = 1; // default operand size 64 (push, pop, ...)
export const ATTR_F64 = 2; // operand size forced 64 (near branches)
export const ATTR_I64 = 4; // invalid in 64-bit mode
export const ATTR_LOCK = 8; // lock prefix allowed (with a memory destination)
export const ATTR_STR = 16; // string instruction (rep prefixes meaningful)
export const ATTR_BRANCH = 32; // ends a basic block
export const ATTR_PRIV = 64; // privileged: #GP in user mode (SIGSEGV)
export const ATTR_VEX = 128; // VEX-encoded
export const ATTR_MEMONLY = 256; // r/m operand must be memory
export const ATTR_REGONLY = 512; // r/m operand must be register
export const ATTR_VL0 = 1024; // VEX.L must be 0
export const ATTR_VL1 = 2048; // VEX.L must be 1

export interface OperandDef {
  /** Operand code as in the Intel opcode map: E, G, I, J, M, R, Z, O, S, X, Y, V, W, U, P, Q, N, B, fixed reg... */
  code: string;
  /** Size code: b w d q v y z x ... */
  size: string;
}

export interface OpDef {
  mnem: string;
  ops: OperandDef[];
  attrs: number;
  /** Set by the executor on first use: the handler for this definition. */
  fn: unknown;
  /** Handler key override (`@name` in the table). */
  key: string;
}

export class Insn {
  addr = 0;
  len = 0;
  next = 0;
  def: OpDef = null as unknown as OpDef;
  mnem = "";
  /** Handler (filled by the executor). */
  fn: (cpu: any, i: Insn) => void = null as unknown as (cpu: any, i: Insn) => void;
  /** Main operand size in bytes. */
  size = 4;
  /** Address size: 8 or 4 (0x67). */
  asize = 8;
  k0 = K_NONE;
  r0 = 0;
  s0 = 0;
  k1 = K_NONE;
  r1 = 0;
  s1 = 0;
  k2 = K_NONE;
  r2 = 0;
  s2 = 0;
  k3 = K_NONE;
  r3 = 0;
  s3 = 0;
  nops = 0;
  // memory operand
  base = BASE_NONE;
  index = BASE_NONE;
  scale = 0; // shift count 0..3
  disp = 0; // sign-extended displacement (absolute address when ripRel)
  ripRel = false;
  seg = SEG_NONE;
  hasMem = false;
  // immediates (sign-extended to 64 bits as lo/hi int32)
  imm = 0;
  immHi = 0;
  imm2 = 0; // second immediate (enter)
  target = 0; // branch target for J operands
  // prefixes
  rep = 0; // 0, 0xf2, 0xf3 (when not consumed as a mandatory prefix)
  lock = false;
  opsizePrefix = false;
  rexW = false;
  hasRex = false;
  vexL = 0;
  vexV = 0; // VEX.vvvv register
  modrm = -1; // raw ModRM byte or -1
  opcode = 0; // last opcode byte
  map = 0; // 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A
  /** x87 / misc extra: the ModRM reg field (group member). */
  ext = 0;
  /** A free slot the executor may use to cache per-instruction data. */
  aux = 0;
  /** The executor's per-instruction plan (AVX: the instruction rewritten per 128-bit lane), built on first use. */
  plan: unknown = null;
}
