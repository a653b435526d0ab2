/**
 * The WebAssembly tier. A hot block and the blocks reachable from it by
 * direct branches (a region, up to MAX_REGION_BLOCKS) become one wasm
 * function: a loop dispatching on a block index with `br_table`, so branches
 * inside the region (loops, if/else, calls to functions inside it) never
 * leave WebAssembly. Any block of the region can be an entry point.
 *
 * - Registers, xmm and x87 state live in linear memory (see cpu.ts); the
 *   function reads and writes them there with i64 loads and stores (partial
 *   registers are 8/16-bit stores, AH..BH byte 1 of their register).
 * - Guest memory goes through the same TLB as the interpreter (memory.ts),
 *   inline; a miss, a page-crossing access or a store to a code page calls
 *   back into JS (`rd`/`wr`), which may raise the fault.
 * - Lazy flags: producers store the interpreter's lazy-flag record into the
 *   JIT slot of the state area, unless liveness shows they are dead;
 *   conditions whose producer is in the same block are evaluated inline.
 * - Instructions without a wasm form call the interpreter's handler (`call`),
 *   with the lazy flags copied across; branches it cannot follow leave the
 *   region with the next rip in the slot.
 * - Faults are precise: each call out passes the instruction's id and the
 *   count of instructions completed, so the CPU knows the exact rip and count.
 */
import { ATTR_BRANCH, ATTR_PRIV, BASE_NONE, K_IMM, K_MEM, K_REG, SEG_FS, SEG_GS, type Insn } from "../../decoder/insn.js";
import { INVALID } from "../../decoder/decode.js";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_RES, F_SUB } from "../flags.js";
import { PAGE_SIZE, TLB_MASK, TLB_R_FRAME, TLB_R_TAG, TLB_W_FRAME, TLB_W_TAG } from "../memory.js";
import { K_MMX, K_XMM } from "../../decoder/insn.js";
import { buildModule, Code, F64, I32, I64, OP, SIMD, V128, type FuncType } from "./wasm-enc.js";

/** Byte offsets of the JIT slot in the CPU state area (linear memory). */
export const S_FOP = 0x400;
export const S_FSIZE = 0x404;
export const S_FDST = 0x408;
export const S_FSRC = 0x410;
export const S_FRES = 0x418;
export const S_FAUX = 0x420;
export const S_FLAGS = 0x424;
export const S_RIP = 0x428;
export const S_FS = 0x430;
export const S_GS = 0x438;
export const S_VAL = 0x440;
/** The dispatcher's slots: the region running, instructions done by earlier regions of this dispatch, stop request. */
export const S_CUR = 0x460;
export const S_DTOTAL = 0x464;
export const S_STOP = 0x468;

const MAX_REGION_BLOCKS = 96;
const MAX_REGION_INSNS = 1500;
/**
 * How far a region may run past its budget: it checks the budget before
 * entering a block by a backward or out-of-layout branch, not when falling
 * into the next block of its layout (forward, so at most every block once).
 */
export const REGION_OVERSHOOT = MAX_REGION_INSNS + 64;

/** What the region compiler needs to know of a block. */
export interface RegionBlock {
  addr: number;
  insns: Insn[];
  endAddr: number;
}

/** Host functions a region calls (shared by all regions of a CPU). */
export interface RegionImports {
  /** Slow read into the slot's value area: 0, or 1 when it faulted (the fault is kept for the CPU to raise). */
  rd: (addr: number, size: number, id: number, cnt: number) => number;
  /** Slow write from the slot's value area: 0, 1 when it invalidated the running region, 2 when it faulted. */
  wr: (addr: number, size: number, id: number, cnt: number) => number;
  cond: (cc: number) => number;
  cf: () => number;
  call: (id: number, cnt: number) => number;
}

export class Region {
  /**
   * Runs from block `pc` of the region for up to about `max` instructions;
   * returns the count (the next rip is in the slot), or -1 when a memory access
   * faulted (id and cnt tell where).
   */
  run: (pc: number, max: number) => number = () => 0;
  valid = true;
  /** Last call out: instruction id and completed count, for precise faults. */
  id = 0;
  cnt = 0;
  /** Index in the CPU's table of regions (the dispatcher calls regions by it). */
  index = -1;
  /** By id: 1 when the instruction's handler neither reads nor writes the flags (no copying around its call). */
  readonly noFlags: Uint8Array;
  /** By id: 1 when the handler reads the instruction count (the CPU makes it exact around the call). */
  readonly counted: Uint8Array;
  constructor(
    readonly blocks: RegionBlock[],
    /** Instructions by id. */
    readonly insns: Insn[],
    /** Index of each instruction inside its block, by id. */
    readonly idx: Int32Array,
    /** Guest pages the region's code comes from. */
    readonly pages: number[],
  ) {
    this.noFlags = Uint8Array.from(insns, (i) => (flagless(i) ? 1 : 0));
    this.counted = Uint8Array.from(insns, (i) => (READS_ICOUNT.has(i.def.key) ? 1 : 0));
  }
}

/** Handlers that read the CPU's instruction count (the time-stamp counter follows it). */
export const READS_ICOUNT = new Set(["rdtsc", "rdtscp"]);

/** SSE instructions that set the flags (the rest of SSE/MMX neither reads nor writes them). */
const SSE_FLAG_WRITERS = new Set(["comiss", "ucomiss", "comisd", "ucomisd", "ptest", "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm"]);

/** Handlers that neither read nor write the flags: string moves, and SSE/MMX but the few that set flags. */
function flagless(i: Insn): boolean {
  const key = i.def.key;
  if (key === "movs" || key === "stos" || key === "lods") return true;
  const simd = i.k0 === K_XMM || i.k1 === K_XMM || i.k0 === K_MMX || i.k1 === K_MMX;
  return simd && !SSE_FLAG_WRITERS.has(key);
}

// function indices: the imports, in this order
const F_RD = 0,
  F_WR = 1,
  F_COND = 2,
  F_CF = 3,
  F_CALL = 4;
const TYPES: FuncType[] = [
  { params: [F64, I32, I32, I32], results: [I32] }, // rd, wr
  { params: [I32], results: [I32] }, // cond
  { params: [], results: [I32] }, // cf
  { params: [I32, I32], results: [I32] }, // call; the region function (pc, max)
];
const IMPORTS = [
  { name: "rd", type: 0 },
  { name: "wr", type: 0 },
  { name: "cond", type: 1 },
  { name: "cf", type: 2 },
  { name: "call", type: 3 },
];
const MAIN_TYPE = 3;

// locals (0, 1 are the parameters pc and max)
const L_PC = 0,
  L_MAX = 1,
  L_CNT = 2,
  L_TI = 3,
  L_SMC = 4,
  L_EA = 5,
  L_PG = 6,
  L_A = 7,
  L_B = 8,
  L_R = 9,
  L_FA = 10,
  L_FB = 11,
  L_FR = 12,
  L_T = 13,
  L_V = 14,
  L_X = 15,
  L_Y = 16;
/** Locals holding the 16 GPRs inside a region (loaded at entry, written back before leaving or calling out). */
const L_REG = 17;
/** The count a region returns (-1: a fault is pending). */
const L_RET = 33;
const LOCALS = [I32, I32, I32, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, V128, V128, ...new Array<number>(16).fill(I64), I32];
/** Byte offset of xmm register n in linear memory. */
const XMM = (n: number) => 256 + 16 * n;

/** Keys that neither read nor write flags (in their compiled forms). */
const NEUTRAL = new Set(["mov", "movzx", "movsx", "movsxd", "lea", "push", "pop", "nop", "jmp", "call", "ret", "calli", "jmpi", "not", "cdqe", "cqo", "cdq", "cwde"]);
const CONDS = new Set(["jcc", "cmovcc", "setcc"]);

/** The low word of the mask of an operand size below 8 (its high word is 0). */
function lowMask(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
}

/** Flag kinds a condition can be evaluated from inline; returns false when it needs the full flags. */
function inlineCond(op: number, cc: number): boolean {
  if (op === F_SUB) return cc >= 2 && cc !== 10 && cc !== 11;
  if (op === F_LOGIC) return cc !== 10 && cc !== 11;
  if (op === F_ADD) return cc >= 2 && cc <= 5 || cc === 8 || cc === 9;
  if (op === F_INC || op === F_DEC) return cc === 4 || cc === 5 || cc === 8 || cc === 9;
  return false;
}

class Gen {
  c = new Code();
  /** Label of the dispatch loop, and of the block whose end is the common exit. */
  top = 0;
  out = 0;
  /** Flag producer whose operands are in fa/fb/fr (0: unknown). */
  kOp = 0;
  kSize = 0;
  /** Current instruction: id, index in block, block length. */
  id = 0;
  k = 0;
  n = 0;
  /** The block being emitted loops to itself: its start and the label of its loop (else -1). */
  selfAddr = -1;
  selfLabel = 0;
  /** Address of the block laid out right after the current one (-1 for the last). */
  nextAddr = -1;
  /** The current instruction's flags are dead (overwritten before any read). */
  dead = false;
  constructor(
    readonly blockIndex: Map<number, number>,
    /** Blocks of the region that follow a call (where rets usually go), at most a few. */
    readonly returnSites: number[],
    /** Registers compiled code of the region may write: written back to memory before leaving or calling out. */
    readonly dirty: number[],
  ) {}

  // ---- registers (in locals L_REG + n) -----------------------------------------

  /** Load all registers from the CPU state into their locals. */
  loadRegs(): void {
    const c = this.c;
    for (let n = 0; n < 16; n++) {
      c.i32(0);
      c.mem(OP.i64_load, 8 * n);
      c.set(L_REG + n);
    }
  }

  /** Write the registers compiled code may have changed back to the CPU state. */
  spillRegs(): void {
    const c = this.c;
    for (const n of this.dirty) {
      c.i32(0);
      c.get(L_REG + n);
      c.mem(OP.i64_store, 8 * n);
    }
  }

  /** Push register n read at size (zero-extended to i64); 1-byte 16..19 are AH CH DH BH. */
  readReg(n: number, size: number): void {
    const c = this.c;
    if (size === 1 && n >= 16) {
      c.get(L_REG + n - 16);
      c.i64(8, 0);
      c.op(OP.i64_shr_u);
      c.i64(0xff, 0);
      c.op(OP.i64_and);
      return;
    }
    c.get(L_REG + n);
    if (size < 8) {
      c.i64(lowMask(size), 0);
      c.op(OP.i64_and);
    }
  }

  /** Write local v to register n at size (32-bit writes zero the upper half, 8/16 merge). */
  writeReg(n: number, size: number, v: number): void {
    const c = this.c;
    if (size === 8) {
      c.get(v);
      c.set(L_REG + n);
      return;
    }
    if (size === 4) {
      c.get(v);
      c.i64(-1, 0);
      c.op(OP.i64_and);
      c.set(L_REG + n);
      return;
    }
    // merge: (old & ~(mask << sh)) | ((v & mask) << sh)
    const high = size === 1 && n >= 16;
    const r = L_REG + (high ? n - 16 : n);
    const mask = size === 2 ? 0xffff : 0xff;
    const sh = high ? 8 : 0;
    c.get(r);
    c.i64(~(mask << sh), -1);
    c.op(OP.i64_and);
    c.get(v);
    c.i64(mask, 0);
    c.op(OP.i64_and);
    if (sh) {
      c.i64(sh, 0);
      c.op(OP.i64_shl);
    }
    c.op(OP.i64_or);
    c.set(r);
  }

  // ---- memory ---------------------------------------------------------------

  /** Effective address into L_EA (with the fs/gs base unless `noSeg`). */
  ea(i: Insn, noSeg = false): void {
    const c = this.c;
    c.i64n(i.disp);
    if (i.base !== BASE_NONE) {
      this.readReg(i.base, 8);
      c.op(OP.i64_add);
    }
    if (i.index !== BASE_NONE) {
      this.readReg(i.index, 8);
      if (i.scale) {
        c.i64(i.scale, 0);
        c.op(OP.i64_shl);
      }
      c.op(OP.i64_add);
    }
    if (i.asize === 4) {
      c.i64(-1, 0);
      c.op(OP.i64_and);
    }
    if (!noSeg && (i.seg === SEG_FS || i.seg === SEG_GS)) {
      c.i32(0);
      c.mem(OP.i64_load, i.seg === SEG_FS ? S_FS : S_GS);
      c.op(OP.i64_add);
    }
    c.set(L_EA);
  }

  /** TLB hit test for an access of `size` at L_EA; leaves an i32 on the stack, the index in L_TI. */
  tlbTest(size: number, write: boolean): void {
    const c = this.c;
    c.get(L_EA);
    c.i64(12, 0);
    c.op(OP.i64_shr_u);
    c.tee(L_PG);
    c.op(OP.i32_wrap_i64);
    c.i32(TLB_MASK);
    c.op(OP.i32_and);
    c.tee(L_TI);
    c.i32(3);
    c.op(OP.i32_shl);
    c.mem(OP.f64_load, write ? TLB_W_TAG : TLB_R_TAG);
    c.get(L_PG);
    c.op(OP.f64_convert_i64_u);
    c.op(OP.f64_eq);
    if (size > 1) {
      c.get(L_EA);
      c.op(OP.i32_wrap_i64);
      c.i32(4095);
      c.op(OP.i32_and);
      c.i32(PAGE_SIZE - size);
      c.op(OP.i32_le_u);
      c.op(OP.i32_and);
    }
  }

  /** Linear address of L_EA inside its frame (after a TLB hit). */
  hostAddr(write: boolean): void {
    const c = this.c;
    c.get(L_TI);
    c.i32(2);
    c.op(OP.i32_shl);
    c.mem(OP.i32_load, write ? TLB_W_FRAME : TLB_R_FRAME);
    c.get(L_EA);
    c.op(OP.i32_wrap_i64);
    c.i32(4095);
    c.op(OP.i32_and);
    c.op(OP.i32_add);
  }

  /** Push the memory value at L_EA: zero-extended i64, or a v128 for 16 bytes. */
  memRead(size: number): void {
    const c = this.c;
    const wide = size === 16;
    this.tlbTest(size, false);
    c.op(OP.if);
    c.byte(wide ? V128 : I64);
    c.depth++;
    this.hostAddr(false);
    this.load(size, 0);
    c.op(OP.else);
    this.slowCall(F_RD, size);
    this.faultCheck();
    c.i32(0);
    this.load(wide ? 16 : 8, S_VAL);
    c.close();
  }

  /** A load of `size` bytes at the address on the stack plus offset (i64 zero-extended, or v128). */
  private load(size: number, offset: number): void {
    if (size === 16) this.c.simdMem(SIMD.v128_load, offset);
    else this.c.mem(size === 8 ? OP.i64_load : size === 4 ? OP.i64_load32_u : size === 2 ? OP.i64_load16_u : OP.i64_load8_u, offset);
  }

  private store(size: number, offset: number): void {
    if (size === 16) this.c.simdMem(SIMD.v128_store, offset);
    else this.c.mem(size === 8 ? OP.i64_store : size === 4 ? OP.i64_store32 : size === 2 ? OP.i64_store16 : OP.i64_store8, offset);
  }

  /** Call rd/wr for the access at L_EA (address as a JS number, size, instruction id, completed count). */
  private slowCall(f: number, size: number): void {
    const c = this.c;
    c.get(L_EA);
    c.op(OP.f64_convert_i64_s); // exact for both canonical halves (the CPU reports the rest as non-canonical)
    c.i32(size);
    c.i32(this.id);
    c.get(L_CNT);
    c.call(f);
  }

  /**
   * Store local v (i64, or v128 for 16 bytes) at L_EA. A slow store that
   * invalidated this region sets L_SMC; one that faulted leaves the region.
   */
  memWrite(size: number, v: number): void {
    const c = this.c;
    this.tlbTest(size, true);
    c.open(OP.if);
    this.hostAddr(true);
    c.get(v);
    this.store(size, 0);
    c.op(OP.else);
    c.i32(0);
    c.get(v);
    this.store(size === 16 ? 16 : 8, S_VAL);
    this.slowCall(F_WR, size);
    c.tee(L_SMC);
    c.i32(2);
    c.op(OP.i32_eq);
    c.open(OP.if);
    c.i32(-1);
    c.set(L_RET);
    c.br(this.out);
    c.close();
    c.close();
  }

  /** Push xmm register n as a v128. */
  readXmm(n: number): void {
    this.c.i32(0);
    this.c.simdMem(SIMD.v128_load, XMM(n));
  }

  /** xmm register n = the v128 local x. */
  writeXmm(n: number, x: number): void {
    this.c.i32(0);
    this.c.get(x);
    this.c.simdMem(SIMD.v128_store, XMM(n));
  }

  /** After an instruction that stored to memory: leave if the store hit this region's code. */
  smcCheck(next: number): void {
    const c = this.c;
    c.get(L_SMC);
    c.open(OP.if);
    this.exitTo(next, this.k + 1);
    c.close();
  }

  /** Push operand (kind, reg, size) as i64; immediates sign-extended to 64 bits. Memory computes L_EA. */
  readOp(i: Insn, kind: number, reg: number, size: number): void {
    const c = this.c;
    if (kind === K_REG) this.readReg(reg, size);
    else if (kind === K_IMM) c.i64(i.imm, i.immHi);
    else {
      this.ea(i);
      this.memRead(size);
    }
  }

  /** Write local v to operand 0 (memory at L_EA, already computed when `addrKnown`). */
  writeOp0(i: Insn, size: number, v: number, addrKnown: boolean): void {
    if (i.k0 === K_REG) this.writeReg(i.r0, size, v);
    else {
      if (!addrKnown) this.ea(i);
      this.memWrite(size, v);
    }
  }

  // ---- control ----------------------------------------------------------------

  /** Leave the region: rip = addr, count = cnt + adj. */
  exitTo(addr: number, adj: number): void {
    const c = this.c;
    c.i32(0);
    c.f64c(addr);
    c.mem(OP.f64_store, S_RIP);
    this.ret(adj);
  }

  /** Leave with count cnt + adj, through the common tail (which writes the registers back). */
  ret(adj: number): void {
    const c = this.c;
    c.get(L_CNT);
    if (adj) {
      c.i32(adj);
      c.op(OP.i32_add);
    }
    c.set(L_RET);
    c.br(this.out);
  }

  /** After rd: a nonzero status is a fault (raised by the CPU once the region has returned -1). */
  faultCheck(): void {
    const c = this.c;
    c.i32(-1);
    c.set(L_RET);
    c.op(OP.br_if);
    c.u32(c.depth - 1 - this.out);
  }

  /** Leave with the i64 target in L_T as rip (cnt already counts the block). */
  exitDynamic(): void {
    const c = this.c;
    c.i32(0);
    c.get(L_T);
    c.op(OP.f64_convert_i64_u);
    c.mem(OP.f64_store, S_RIP);
    this.ret(0);
  }

  /**
   * Continue at the i64 target in L_T: a return site or other block of the
   * region when it is one of them (checked against each), else leave.
   */
  gotoDynamic(): void {
    const c = this.c;
    for (const a of this.returnSites) {
      c.get(L_T);
      c.i64n(a);
      c.op(OP.i64_eq);
      c.open(OP.if);
      this.goto(a, false);
      c.close();
    }
    this.exitDynamic();
  }

  /** Continue at addr (cnt already counts the block): inside the region, or leave. */
  goto(addr: number, mayFall = true): void {
    const c = this.c;
    if (mayFall && addr === this.nextAddr && addr !== this.selfAddr) return; // falls into the next block of the layout (always forward: no budget check)
    if (addr === this.selfAddr) {
      c.get(L_CNT);
      c.get(L_MAX);
      c.op(OP.i32_ge_u);
      c.open(OP.if);
      this.exitTo(addr, 0);
      c.close();
      c.br(this.selfLabel);
      return;
    }
    const j = this.blockIndex.get(addr);
    if (j === undefined) {
      this.exitTo(addr, 0);
      return;
    }
    c.get(L_CNT);
    c.get(L_MAX);
    c.op(OP.i32_ge_u);
    c.open(OP.if);
    this.exitTo(addr, 0);
    c.close();
    c.i32(j);
    c.set(L_PC);
    c.br(this.top);
  }

  /** cnt += block length. */
  finishBlock(): void {
    const c = this.c;
    c.get(L_CNT);
    c.i32(this.n);
    c.op(OP.i32_add);
    c.set(L_CNT);
  }

  // ---- flags ------------------------------------------------------------------

  /** Store the lazy-flag record (op, size, dst=fa, src=fb, res=fr, aux). */
  storeFlags(op: number, size: number, aux: "none" | "local" | number): void {
    const c = this.c;
    c.i32(0);
    c.i32(op);
    c.mem(OP.i32_store, S_FOP);
    c.i32(0);
    c.i32(size);
    c.mem(OP.i32_store, S_FSIZE);
    if (op !== F_LOGIC && op !== F_RES) {
      c.i32(0);
      c.get(L_FA);
      c.mem(OP.i64_store, S_FDST);
      c.i32(0);
      c.get(L_FB);
      c.mem(OP.i64_store, S_FSRC);
    }
    c.i32(0);
    c.get(L_FR);
    c.mem(OP.i64_store, S_FRES);
    if (aux !== "none") {
      c.i32(0);
      if (aux === "local") {
        c.get(L_V);
        c.op(OP.i32_wrap_i64);
      } else c.i32(aux);
      c.mem(OP.i32_store, S_FAUX);
    }
  }

  unsignedOf(l: number, size: number): void {
    const c = this.c;
    c.get(l);
    if (size < 8) {
      c.i64(lowMask(size), 0);
      c.op(OP.i64_and);
    }
  }

  signedOf(l: number, size: number): void {
    const c = this.c;
    c.get(l);
    if (size === 1) c.op(OP.i64_extend8_s);
    else if (size === 2) c.op(OP.i64_extend16_s);
    else if (size === 4) c.op(OP.i64_extend32_s);
  }

  /** Push condition cc (i32 0/1): inline from the known producer, else from the full flags. */
  cond(cc: number): void {
    const c = this.c;
    const op = this.kOp;
    const s = this.kSize;
    if (op !== 0 && inlineCond(op, cc)) {
      const neg = (cc & 1) === 1;
      const base = cc & ~1;
      const z = () => {
        this.unsignedOf(L_FR, s);
        c.op(OP.i64_eqz);
      };
      const sg = () => {
        this.signedOf(L_FR, s);
        c.i64(0, 0);
        c.op(OP.i64_lt_s);
      };
      if (op === F_SUB && base !== 8 && base !== 0) {
        const signed = base >= 12;
        const ld = (l: number) => (signed ? this.signedOf(l, s) : this.unsignedOf(l, s));
        ld(L_FA);
        ld(L_FB);
        const t: Record<number, number[]> = {
          2: [OP.i64_lt_u, OP.i64_ge_u],
          4: [OP.i64_eq, OP.i64_ne],
          6: [OP.i64_le_u, OP.i64_gt_u],
          12: [OP.i64_lt_s, OP.i64_ge_s],
          14: [OP.i64_le_s, OP.i64_gt_s],
        };
        c.op(t[base][neg ? 1 : 0]);
        return;
      }
      if (op === F_ADD && base === 2) {
        // carry: result < destination
        this.unsignedOf(L_FR, s);
        this.unsignedOf(L_FA, s);
        c.op(neg ? OP.i64_ge_u : OP.i64_lt_u);
        return;
      }
      switch (base) {
        case 0: // o: logic ops clear OF
        case 2: // b: logic ops clear CF
          c.i32(neg ? 1 : 0);
          return;
        case 4:
          z();
          break;
        case 6: // be = ZF (CF=0)
          z();
          break;
        case 8:
        case 12: // l = SF (OF=0)
          sg();
          break;
        case 14: // le = ZF | SF
          z();
          sg();
          c.op(OP.i32_or);
          break;
      }
      if (neg) c.op(OP.i32_eqz);
      return;
    }
    c.i32(cc);
    c.call(F_COND);
  }

  /** Call the interpreter's handler for the current instruction; leave when it says so. */
  fallback(): void {
    const c = this.c;
    this.spillRegs();
    c.i32(this.id);
    c.get(L_CNT);
    c.call(F_CALL);
    this.loadRegs(); // the handler may have changed any register
    c.open(OP.if);
    this.ret(this.k + 1);
    c.close();
  }
}

// Flag liveness works on four groups: CF, ZF, SF (with PF and AF), OF.
const FC = 1,
  FZ = 2,
  FS = 4,
  FO = 8,
  FALL = 15;
/** Groups condition cc reads (o b e be s p l le, each with its negation). */
const COND_READS = [FO, FC, FZ, FC | FZ, FS, FS, FS | FO, FZ | FS | FO];

const T_NONE = 0, // neither reads the flag record nor writes it
  T_FULL = 1, // writes the whole record (when any flag is live after it)
  T_INC = 2, // inc/dec: writes the record with CF taken from the previous one
  T_MAYBE = 3, // writes the whole record or nothing (shift by cl: count 0)
  T_PART = 4, // compiled only when the groups it writes are dead; else the handler reads everything
  T_READ = 5; // reads the groups in the mask (handlers: everything)

/**
 * What an instruction does to the flags: [type, groups, visibility]; the
 * visibility bits say whether it may fault (all flags are seen before it: a
 * signal frame) or store (all flags are seen after it: a store into code
 * leaves the region).
 */
type Effect = [number, number, number];
const V_FAULT = 1,
  V_STORE = 2;

function effectOf(key: string, i: Insn, known: number): Effect {
  const [t, m] = flagEffect(key, i, known);
  let v = 0;
  if (key !== "lea" && key !== "nop" && (i.hasMem || ["push", "pop", "call", "calli", "ret", "jmpi", "div", "idiv"].includes(key))) v |= V_FAULT;
  if (i.k0 === K_MEM && key !== "lea" && key !== "nop" || key === "push" || key === "call" || key === "calli") v |= V_STORE;
  return [t, m, v];
}

/** How an instruction's compiled form or handler uses the flag record: [type, mask]. */
function flagEffect(key: string, i: Insn, known: number): [number, number] {
  if (NEUTRAL.has(key)) return [T_NONE, 0];
  const regDst = i.k0 === K_REG && i.s0 >= 4;
  switch (key) {
    case "add":
    case "sub":
    case "cmp":
    case "and":
    case "or":
    case "xor":
    case "test":
    case "neg":
      return i.lock ? [T_READ, FALL] : [T_FULL, 0];
    case "inc":
    case "dec":
      return i.lock ? [T_READ, FALL] : [T_INC, 0];
    case "shl":
    case "sal":
    case "shr":
    case "sar":
      if (regDst && i.k1 === K_IMM) return (i.imm & (i.s0 === 8 ? 63 : 31)) === 0 ? [T_NONE, 0] : [T_FULL, 0];
      if (regDst && i.k1 === K_REG && i.r1 === 1 && i.s1 === 1) return [T_MAYBE, 0];
      return [T_READ, FALL];
    case "rol":
    case "ror":
      return regDst && i.k1 === K_IMM && (i.imm & (i.s0 === 8 ? 63 : 31)) !== 0 ? [T_PART, FC | FO] : [T_READ, FALL];
    case "bsf":
    case "bsr":
      return regDst ? [T_PART, FZ] : [T_READ, FALL];
    case "imul2":
    case "imul3":
      return regDst ? [T_FULL, 0] : [T_READ, FALL];
    case "mul":
    case "imul1":
      return i.s0 >= 4 && !i.lock ? [T_FULL, 0] : [T_READ, FALL];
    case "div":
    case "idiv":
      return i.s0 >= 4 ? [T_NONE, 0] : [T_READ, FALL];
    case "jcc":
    case "cmovcc":
    case "setcc": {
      const cc = i.opcode & 15;
      if (known !== 0 && inlineCond(known, cc) && condCompiled(key, i)) return [T_NONE, 0];
      return [T_READ, COND_READS[cc >> 1]];
    }
  }
  if (SSE_COMPILED.has(key)) return [T_NONE, 0];
  return [T_READ, FALL];
}

/**
 * Backwards over one instruction: the groups live before it, given those
 * live after; `dead` tells whether its own record store can be skipped.
 */
function flagStep(e: Effect, after: number): { before: number; dead: boolean } {
  const st = flagStep1(e, e[2] & V_STORE ? FALL : after);
  if (e[2] & V_STORE) st.dead = false;
  if (e[2] & V_FAULT) st.before = FALL;
  return st;
}

function flagStep1(e: Effect, after: number): { before: number; dead: boolean } {
  const [t, m] = e;
  switch (t) {
    case T_NONE:
      return { before: after, dead: true };
    case T_FULL:
      return { before: 0, dead: after === 0 };
    case T_INC:
      return after === 0 ? { before: 0, dead: true } : { before: FC, dead: false };
    case T_MAYBE:
      return { before: after, dead: after === 0 };
    case T_PART:
      return (after & m) === 0 ? { before: after, dead: true } : { before: FALL, dead: false };
    default:
      return { before: after | m, dead: false };
  }
}

/** Whether a jcc/cmovcc/setcc gets a compiled form (else its handler reads the flag record). */
function condCompiled(key: string, i: Insn): boolean {
  if (i.hasMem && i.asize !== 8) return false;
  if (key === "cmovcc") return i.s0 >= 4 && i.k0 === K_REG;
  if (key === "setcc") return i.k0 === K_REG || i.k0 === K_MEM;
  return true;
}

/** The flag kind an instruction leaves in fa/fb/fr when compiled (0: none known). */
function producerKind(key: string, i: Insn): number {
  switch (key) {
    case "add":
      return i.lock ? 0 : F_ADD;
    case "sub":
    case "cmp":
    case "neg":
      return i.lock ? 0 : F_SUB;
    case "and":
    case "or":
    case "xor":
    case "test":
      return i.lock ? 0 : F_LOGIC;
    case "inc":
      return i.lock ? 0 : F_INC;
    case "dec":
      return i.lock ? 0 : F_DEC;
  }
  return -1; // unchanged (neutral) or unknown
}

function keyOf(i: Insn): string {
  return i.def.attrs & ATTR_PRIV || i.def === INVALID ? "" : i.def.key;
}

/** Terminators the region compiles; other branches end the block before them. */
const BRANCHES = new Set(["jcc", "jmp", "call", "ret", "calli", "jmpi"]);

/** Whether emitBranch compiles this branch (else the region leaves before it). */
function branchCompiled(i: Insn, key: string): boolean {
  if (!BRANCHES.has(key)) return false;
  if (key === "calli" || key === "jmpi") return i.s0 === 8 && (i.k0 !== K_MEM || i.asize === 8);
  return true;
}

/** A block starting with a branch the region cannot run would only bounce back to the CPU: keep it out. */
function usefulInRegion(b: RegionBlock): boolean {
  const i = b.insns[0];
  return !(i.def.attrs & ATTR_BRANCH) || branchCompiled(i, keyOf(i));
}

/** The successor worth placing right after a block: a jcc's not-taken path, a jmp's target, a cut block's continuation. */
function fallSuccessor(b: RegionBlock): number {
  const last = b.insns[b.insns.length - 1];
  if (!(last.def.attrs & ATTR_BRANCH)) return b.endAddr;
  const k = keyOf(last);
  return k === "jcc" ? last.next : k === "jmp" ? last.target : -1;
}

function blockSuccessors(b: RegionBlock): number[] {
  const last = b.insns[b.insns.length - 1];
  if (!(last.def.attrs & ATTR_BRANCH)) return [b.endAddr];
  switch (keyOf(last)) {
    case "jcc":
      return [last.target, last.next];
    case "jmp":
      return [last.target];
    case "call":
      return [last.target, last.next]; // the return site: a ret can come back inside the region
    case "calli":
      return [last.next];
  }
  return [];
}

/**
 * Build and compile the region starting at `entry`. `blockAt` returns the
 * decoded block at an address (or null when it cannot be decoded).
 */
export function compileRegion(entry: RegionBlock, blockAt: (addr: number) => RegionBlock | null, imports: RegionImports, memory: WebAssembly.Memory): Region | null {
  if (!usefulInRegion(entry)) return null;
  // gather blocks breadth-first
  const blocks: RegionBlock[] = [entry];
  const index = new Map<number, number>([[entry.addr, 0]]);
  let total = entry.insns.length;
  for (let q = 0; q < blocks.length && blocks.length < MAX_REGION_BLOCKS; q++) {
    for (const a of blockSuccessors(blocks[q])) {
      if (index.has(a) || blocks.length >= MAX_REGION_BLOCKS) continue;
      const b = blockAt(a);
      if (b === null || total + b.insns.length > MAX_REGION_INSNS || !usefulInRegion(b)) continue;
      index.set(a, blocks.length);
      blocks.push(b);
      total += b.insns.length;
    }
  }
  // layout: each block followed, where possible, by its fall-through successor
  // (a branch to the next block in the layout costs nothing: the code falls into it)
  {
    const placed = new Set<RegionBlock>();
    const layout: RegionBlock[] = [];
    for (const b of blocks) {
      let x: RegionBlock | undefined = b;
      while (x !== undefined && !placed.has(x)) {
        placed.add(x);
        layout.push(x);
        const f = fallSuccessor(x);
        const j = f < 0 ? undefined : index.get(f);
        x = j === undefined ? undefined : blocks[j];
      }
    }
    blocks.length = 0;
    blocks.push(...layout);
    index.clear();
    blocks.forEach((b, k) => index.set(b.addr, k));
  }
  // instruction ids
  const insns: Insn[] = [];
  const idx = new Int32Array(total);
  const firstId: number[] = [];
  for (const b of blocks) {
    firstId.push(insns.length);
    b.insns.forEach((i, k) => {
      idx[insns.length] = k;
      insns.push(i);
    });
  }
  // flag liveness: effects (forward, per block, tracking inline producers) then backward dataflow over the region
  const nb = blocks.length;
  const effects: Effect[][] = [];
  for (let bi = 0; bi < nb; bi++) {
    let known = 0;
    const es: Effect[] = [];
    for (const i of blocks[bi].insns) {
      const key = keyOf(i);
      es.push(effectOf(key, i, known));
      const p = producerKind(key, i);
      if (p > 0) known = p;
      else if (!NEUTRAL.has(key) && !CONDS.has(key)) known = 0;
    }
    effects.push(es);
  }
  const succs = blocks.map((b) => {
    const last = b.insns[b.insns.length - 1];
    const dynamic = last.def.attrs & ATTR_BRANCH && !["jcc", "jmp", "call"].includes(keyOf(last));
    return { list: blockSuccessors(b).map((a) => index.get(a) ?? -1), dynamic: !!dynamic };
  });
  const blockIn = (bi: number, out: number): number => {
    let live = out;
    const es = effects[bi];
    for (let k = es.length - 1; k >= 0; k--) live = flagStep(es[k], live).before;
    return live;
  };
  const liveIn: number[] = new Array(nb).fill(0);
  const liveOut: number[] = new Array(nb).fill(0);
  for (let changed = true; changed; ) {
    changed = false;
    for (let bi = nb - 1; bi >= 0; bi--) {
      const s = succs[bi];
      let out = s.dynamic || s.list.length === 0 ? FALL : 0;
      for (const j of s.list) out |= j < 0 ? FALL : liveIn[j];
      const inn = blockIn(bi, out);
      if (out !== liveOut[bi] || inn !== liveIn[bi]) {
        liveOut[bi] = out;
        liveIn[bi] = inn;
        changed = true;
      }
    }
  }
  const sites: number[] = [];
  for (const b of blocks) {
    const last = b.insns[b.insns.length - 1];
    const k = keyOf(last);
    if ((k === "call" || k === "calli") && index.has(last.next) && !sites.includes(last.next) && sites.length < 8) sites.push(last.next);
  }
  const g = new Gen(index, sites, dirtyRegs(insns));
  const c = g.c;
  g.loadRegs();
  // out: { loop { block_{n-1} ... block_0 { br_table } code_0 } code_1 ... } }; write back registers; return L_RET
  g.out = c.depth;
  c.open(OP.block);
  g.top = c.depth;
  c.open(OP.loop);
  for (let k = 0; k < nb; k++) c.open(OP.block);
  c.get(L_PC);
  c.op(OP.br_table);
  c.u32(nb);
  for (let k = 0; k < nb; k++) c.u32(k);
  c.u32(nb - 1);
  for (let bi = 0; bi < nb; bi++) {
    c.close(); // end of block_bi: its code follows
    const b = blocks[bi];
    // dead flag stores per instruction, backwards from liveOut
    const dead: boolean[] = new Array(b.insns.length).fill(false);
    let live = liveOut[bi];
    for (let k = b.insns.length - 1; k >= 0; k--) {
      const st = flagStep(effects[bi][k], live);
      dead[k] = st.dead;
      live = st.before;
    }
    g.kOp = 0;
    g.n = b.insns.length;
    g.nextAddr = bi + 1 < nb ? blocks[bi + 1].addr : -1;
    // a block branching to itself loops in place (no trip through the dispatcher)
    const lastI = b.insns[b.insns.length - 1];
    const lk = keyOf(lastI);
    const selfLoop = (lk === "jcc" || lk === "jmp") && lastI.target === b.addr;
    g.selfAddr = selfLoop ? b.addr : -1;
    if (selfLoop) {
      g.selfLabel = c.depth;
      c.open(OP.loop);
    }
    let ended = false;
    for (let k = 0; k < b.insns.length && !ended; k++) {
      const i = b.insns[k];
      g.id = firstId[bi] + k;
      g.k = k;
      g.dead = dead[k];
      const key = keyOf(i);
      if (i.def.attrs & ATTR_BRANCH || k === b.insns.length - 1) {
        ended = true;
        if (!(i.def.attrs & ATTR_BRANCH)) {
          // a block cut at the size limit: this instruction, then fall through
          emitInsn(g, i, key);
          g.finishBlock();
          g.goto(b.endAddr);
        } else if (branchCompiled(i, key)) emitBranch(g, i, key);
        else g.exitTo(i.addr, k); // syscall, int3, hlt...: the interpreter runs it
        continue;
      }
      emitInsn(g, i, key);
    }
    if (selfLoop) c.close();
    // every path has left by now, except a branch to the next block of the layout, which falls into it
  }
  c.close(); // loop
  c.op(OP.unreachable);
  c.close(); // out
  g.spillRegs();
  c.get(L_RET);
  const bytes = buildModule(TYPES, IMPORTS, MAIN_TYPE, LOCALS, c);
  const region = new Region(blocks, insns, idx, []);
  let inst: WebAssembly.Instance;
  try {
    inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { e: { m: memory, ...imports } });
  } catch (e) {
    // A CompileError/LinkError is a generator bug (tests keep this list empty); anything
    // else (a CSP without 'wasm-unsafe-eval') means WebAssembly cannot be generated here.
    if (!(e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError)) wasmUnavailable.value = true;
    if (wasmErrors.length < 100) wasmErrors.push(`region at 0x${entry.addr.toString(16)}: ${(e as Error).message}`);
    return null;
  }
  region.run = inst.exports.f as (pc: number, max: number) => number;
  const pages = new Set<number>();
  for (const b of blocks) for (let p = Math.floor(b.addr / PAGE_SIZE); p <= Math.floor((b.endAddr - 1) / PAGE_SIZE); p++) pages.add(p);
  region.pages.push(...pages);
  return region;
}

/** Regions that failed to compile (a generator bug: tests assert this stays empty). */
export const wasmErrors: string[] = [];
/** Set once generating WebAssembly has been refused (strict CSP): the CPU stops trying. */
export const wasmUnavailable = { value: false };

/** Registers the compiled forms of these instructions may write (a superset). */
function dirtyRegs(insns: Insn[]): number[] {
  let m = 0;
  for (const i of insns) {
    if (i.k0 === K_REG) m |= 1 << (i.s0 === 1 && i.r0 >= 16 ? i.r0 - 16 : i.r0);
    const k = keyOf(i);
    if (["push", "pop", "call", "calli", "ret"].includes(k)) m |= 1 << 4;
    if (["mul", "imul1", "div", "idiv", "cdq", "cqo", "cdqe"].includes(k)) m |= 1 | 4;
  }
  const out: number[] = [];
  for (let n = 0; n < 16; n++) if (m & (1 << n)) out.push(n);
  return out;
}

/** The branch ending a block (the count covers the whole block before the transfer). */
function emitBranch(g: Gen, i: Insn, key: string): void {
  const c = g.c;
  switch (key) {
    case "jcc": {
      g.cond(i.opcode & 15);
      g.finishBlock();
      // the arm that continues in the next block of the layout falls through
      const fallTaken = i.target === g.nextAddr && i.next !== g.nextAddr;
      if (fallTaken) c.op(OP.i32_eqz);
      c.open(OP.if);
      g.goto(fallTaken ? i.next : i.target);
      if (fallTaken || i.next !== g.nextAddr) {
        if (!fallTaken) {
          c.op(OP.else);
          g.goto(i.next);
        }
      }
      c.close();
      if (fallTaken) g.goto(i.target);
      return;
    }
    case "jmp":
      g.finishBlock();
      g.goto(i.target);
      return;
    case "call":
    case "calli": {
      if (key === "calli") {
        if (i.s0 !== 8 || (i.k0 === K_MEM && i.asize !== 8)) break;
        g.readOp(i, i.k0, i.r0, 8);
        c.set(L_T);
      }
      pushConst(g, i.next);
      g.finishBlock();
      if (key === "call") g.goto(i.target);
      else g.gotoDynamic();
      return;
    }
    case "jmpi":
      if (i.s0 !== 8) break;
      g.readOp(i, i.k0, i.r0, 8);
      c.set(L_T);
      g.finishBlock();
      g.gotoDynamic();
      return;
    case "ret":
      // t = [rsp]; rsp += 8
      g.readReg(4, 8);
      c.set(L_EA);
      g.memRead(8);
      c.set(L_T);
      g.c.get(L_EA);
      c.i64(8, 0);
      c.op(OP.i64_add);
      c.set(L_REG + 4);
      g.finishBlock();
      g.gotoDynamic();
      return;
  }
  // not compiled here: the interpreter runs the branch
  g.exitTo(i.addr, g.k);
}

/** Push a 64-bit constant: [rsp-8] = v, then rsp -= 8 (after the store, which may fault). */
function pushConst(g: Gen, v: number): void {
  const c = g.c;
  c.i64n(v);
  c.set(L_V);
  pushLocal(g, L_V);
}

function pushLocal(g: Gen, v: number): void {
  const c = g.c;
  g.readReg(4, 8);
  c.i64(8, 0);
  c.op(OP.i64_sub);
  c.set(L_EA);
  g.memWrite(8, v);
  c.get(L_EA);
  c.set(L_REG + 4);
}

const ALU_KIND: Record<string, number> = { add: F_ADD, sub: F_SUB, cmp: F_SUB, and: F_LOGIC, or: F_LOGIC, xor: F_LOGIC, test: F_LOGIC };
const ALU_OP: Record<string, number> = { add: OP.i64_add, sub: OP.i64_sub, cmp: OP.i64_sub, and: OP.i64_and, or: OP.i64_or, xor: OP.i64_xor, test: OP.i64_and };

/** One non-branch instruction: compiled, or the interpreter's handler. */
function emitInsn(g: Gen, i: Insn, key: string): void {
  const compiled = emitCompiled(g, i, key);
  if (!compiled) g.fallback();
  const p = producerKind(key, i);
  if (compiled && p > 0) {
    g.kOp = p;
    g.kSize = i.s0;
  } else if (!NEUTRAL.has(key) && !CONDS.has(key)) g.kOp = 0; // handlers of neutral instructions leave flags and locals alone
}

function emitCompiled(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  const mem = i.hasMem;
  if (mem && i.asize !== 8 && key !== "lea") return false;
  let wrote = false; // stored to memory (check for self-modifying code after)
  switch (key) {
    case "nop":
      return true;
    case "add":
    case "sub":
    case "cmp":
    case "and":
    case "or":
    case "xor":
    case "test": {
      if (i.lock) return false;
      const size = i.s0;
      g.readOp(i, i.k0, i.r0, size);
      c.set(L_FA);
      g.readOp(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1);
      c.set(L_FB);
      c.get(L_FA);
      c.get(L_FB);
      c.op(ALU_OP[key]);
      c.set(L_FR);
      if (key !== "cmp" && key !== "test") {
        g.writeOp0(i, size, L_FR, true);
        wrote = i.k0 === K_MEM;
      }
      if (!g.dead) g.storeFlags(ALU_KIND[key], size, "none");
      break;
    }
    case "neg":
    case "not": {
      if (i.lock) return false;
      const size = i.s0;
      if (key === "neg") {
        c.i64(0, 0);
        c.set(L_FA);
      }
      g.readOp(i, i.k0, i.r0, size);
      c.set(key === "neg" ? L_FB : L_V);
      if (key === "neg") {
        c.get(L_FA);
        c.get(L_FB);
        c.op(OP.i64_sub);
        c.set(L_FR);
      } else {
        // not: no flags; keeps fa/fb/fr (a producer's operands) intact
        c.get(L_V);
        c.i64(-1, -1);
        c.op(OP.i64_xor);
        c.set(L_R);
      }
      g.writeOp0(i, size, key === "neg" ? L_FR : L_R, true);
      wrote = i.k0 === K_MEM;
      if (key === "neg" && !g.dead) g.storeFlags(F_SUB, size, "none");
      break;
    }
    case "inc":
    case "dec": {
      if (i.lock) return false;
      const size = i.s0;
      g.readOp(i, i.k0, i.r0, size);
      c.set(L_FA);
      c.i64(1, 0);
      c.set(L_FB);
      c.get(L_FA);
      c.i64(1, 0);
      c.op(key === "inc" ? OP.i64_add : OP.i64_sub);
      c.set(L_FR);
      if (!g.dead) {
        // the preserved CF, before anything changes
        c.call(F_CF);
        c.op(OP.i64_extend_i32_u);
        c.set(L_V);
      }
      g.writeOp0(i, size, L_FR, true);
      wrote = i.k0 === K_MEM;
      if (!g.dead) g.storeFlags(key === "inc" ? F_INC : F_DEC, size, "local");
      break;
    }
    case "mov": {
      const size = i.s0;
      if (i.k0 !== K_REG && i.k0 !== K_MEM) return false;
      if (i.k1 !== K_REG && i.k1 !== K_MEM && i.k1 !== K_IMM) return false;
      g.readOp(i, i.k1, i.r1, i.k1 === K_IMM ? size : i.s1);
      c.set(L_V);
      g.writeOp0(i, size, L_V, false);
      wrote = i.k0 === K_MEM;
      break;
    }
    case "movzx":
    case "movsx":
    case "movsxd": {
      if (i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, i.s1);
      if (key !== "movzx") c.op(i.s1 === 1 ? OP.i64_extend8_s : i.s1 === 2 ? OP.i64_extend16_s : OP.i64_extend32_s);
      c.set(L_V);
      g.writeReg(i.r0, i.s0, L_V);
      break;
    }
    case "lea": {
      if (i.k0 !== K_REG) return false;
      g.ea(i, true);
      g.writeReg(i.r0, i.s0, L_EA);
      break;
    }
    case "push": {
      if (i.size !== 8 || (i.k0 !== K_REG && i.k0 !== K_IMM && i.k0 !== K_MEM)) return false;
      g.readOp(i, i.k0, i.r0, 8);
      c.set(L_V);
      pushLocal(g, L_V);
      wrote = true;
      break;
    }
    case "pop": {
      if (i.size !== 8 || i.k0 !== K_REG) return false;
      g.readReg(4, 8);
      c.set(L_EA);
      g.memRead(8);
      c.set(L_V);
      c.get(L_EA);
      c.i64(8, 0);
      c.op(OP.i64_add);
      c.set(L_REG + 4);
      g.writeReg(i.r0, 8, L_V);
      break;
    }
    case "cdqe":
      g.readReg(0, 4);
      c.op(OP.i64_extend32_s);
      c.set(L_V);
      g.writeReg(0, 8, L_V);
      break;
    case "cqo":
    case "cdq": {
      const size = key === "cqo" ? 8 : 4;
      g.readReg(0, size);
      if (size === 4) c.op(OP.i64_extend32_s);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
      c.set(L_V);
      g.writeReg(2, size, L_V);
      break;
    }
    case "shl":
    case "sal":
    case "shr":
    case "sar": {
      const size = i.s0;
      if (size >= 4 && i.k0 === K_REG && i.k1 === K_REG && i.r1 === 1 && i.s1 === 1) {
        emitShiftCl(g, i, key);
        break;
      }
      if (i.k1 !== K_IMM || size < 4 || i.k0 !== K_REG) return false;
      const cnt = i.imm & (size === 8 ? 63 : 31);
      const n = i.r0;
      if (cnt === 0) {
        if (size === 4) {
          g.readReg(n, 4);
          c.set(L_V);
          g.writeReg(n, 4, L_V);
        }
        return true; // flags unchanged
      }
      const bits = size * 8;
      const left = key === "shl" || key === "sal";
      // x: the value, sign- or zero-extended to 64 bits
      g.readReg(n, size);
      if (key === "sar" && size === 4) c.op(OP.i64_extend32_s);
      c.set(L_A);
      c.get(L_A);
      c.i64(cnt, 0);
      c.op(left ? OP.i64_shl : key === "sar" ? OP.i64_shr_s : OP.i64_shr_u);
      c.set(L_FR);
      g.writeReg(n, size, L_FR);
      if (!g.dead) shiftFlags(g, key, size, cnt);
      break;
    }
    case "imul2":
    case "imul3": {
      const size = i.s0;
      if (i.k0 !== K_REG || size < 4) return false;
      if (key === "imul2") {
        g.readOp(i, i.k0, i.r0, size);
        if (size === 4) c.op(OP.i64_extend32_s);
        g.readOp(i, i.k1, i.r1, size);
      } else {
        g.readOp(i, i.k1, i.r1, size);
        if (size === 4) c.op(OP.i64_extend32_s);
        c.i64(i.imm, i.immHi);
      }
      if (size === 4) c.op(OP.i64_extend32_s);
      if (size === 8) {
        c.set(L_B);
        c.set(L_A);
        c.get(L_A);
        c.get(L_B);
      }
      c.op(OP.i64_mul);
      c.set(L_FR);
      g.writeReg(i.r0, size, L_FR);
      if (!g.dead) {
        // CF=OF: the product does not fit in the operand size
        if (size === 4) {
          c.get(L_FR);
          c.op(OP.i64_extend32_s);
          c.get(L_FR);
          c.op(OP.i64_ne);
        } else mulOverflow64(g);
        overflowRecord(g, size);
      }
      break;
    }
    case "cmovcc": {
      const size = i.s0;
      if (size < 4 || i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, size);
      c.set(L_V);
      g.cond(i.opcode & 15);
      c.open(OP.if);
      g.writeReg(i.r0, size, L_V);
      if (size === 4) {
        c.op(OP.else);
        g.readReg(i.r0, 4);
        c.set(L_V);
        g.writeReg(i.r0, 4, L_V);
      }
      c.close();
      break;
    }
    case "setcc": {
      if (i.k0 !== K_REG && i.k0 !== K_MEM) return false;
      g.cond(i.opcode & 15);
      c.op(OP.i64_extend_i32_u);
      c.set(L_V);
      g.writeOp0(i, 1, L_V, false);
      wrote = i.k0 === K_MEM;
      break;
    }
    case "mul":
    case "imul1":
      if (i.s0 < 4 || i.lock) return false;
      emitMul(g, i, key === "imul1");
      break;
    case "div":
    case "idiv":
      if (i.s0 < 4) return false;
      emitDiv(g, i, key === "idiv");
      break;
    case "bsf":
    case "bsr": {
      // only with dead flags (the handler keeps the other flags and sets ZF)
      const size = i.s0;
      if (!g.dead || size < 4 || i.k0 !== K_REG) return false;
      g.readOp(i, i.k1, i.r1, size);
      c.tee(L_A);
      c.op(OP.i64_eqz);
      c.op(OP.i32_eqz);
      c.open(OP.if);
      c.get(L_A);
      if (key === "bsf") c.op(OP.i64_ctz);
      else {
        c.op(OP.i64_clz);
        c.set(L_V);
        c.i64(63, 0);
        c.get(L_V);
        c.op(OP.i64_sub);
      }
      c.set(L_V);
      g.writeReg(i.r0, size, L_V);
      c.close();
      break;
    }
    case "rol":
    case "ror": {
      // only when the flags (CF/OF) are dead: then a rotate is pure data movement
      const size = i.s0;
      if (!g.dead || i.k1 !== K_IMM || size < 4 || i.k0 !== K_REG) return false;
      const bits = size * 8;
      const cnt = i.imm & (size === 8 ? 63 : 31) % bits;
      if (cnt === 0) return false;
      const n = i.r0;
      const l = key === "rol" ? cnt : bits - cnt;
      // (x << l) | (x >> (bits - l)), in the low `bits` bits
      g.readReg(n, size);
      c.set(L_A);
      c.get(L_A);
      c.i64(l, 0);
      c.op(OP.i64_shl);
      c.get(L_A);
      c.i64(bits - l, 0);
      c.op(OP.i64_shr_u);
      c.op(OP.i64_or);
      c.set(L_V);
      g.writeReg(n, size, L_V);
      break;
    }
    default:
      if (!emitSse(g, i, key)) return false;
      wrote = i.k0 === K_MEM;
  }
  if (wrote) g.smcCheck(i.next);
  return true;
}

/** Push i32: the signed 64-bit product L_A * L_B (low half in L_FR) overflowed. */
function mulOverflow64(g: Gen): void {
  const c = g.c;
  // a == -1: overflow iff b == MIN; a == 0: never; else r / a != b
  c.get(L_A);
  c.i64(-1, -1);
  c.op(OP.i64_eq);
  c.op(OP.if);
  c.byte(I32);
  c.depth++;
  c.get(L_B);
  c.i64(0, 0x80000000 | 0);
  c.op(OP.i64_eq);
  c.op(OP.else);
  c.get(L_A);
  c.op(OP.i64_eqz);
  c.op(OP.if);
  c.byte(I32);
  c.depth++;
  c.i32(0);
  c.op(OP.else);
  c.get(L_FR);
  c.get(L_A);
  c.op(OP.i64_div_s);
  c.get(L_B);
  c.op(OP.i64_ne);
  c.close();
  c.close();
}

/** High 64 bits of the unsigned product L_A * L_B into L_T (from 32-bit partial products). */
function mulHighU64(g: Gen): void {
  const c = g.c;
  const lo32 = (l: number) => {
    c.get(l);
    c.i64(-1, 0);
    c.op(OP.i64_and);
  };
  const hi32 = (l: number) => {
    c.get(l);
    c.i64(32, 0);
    c.op(OP.i64_shr_u);
  };
  // t = lo(a)*lo(b); mid1 = hi(a)*lo(b) + (t >> 32); mid2 = lo(a)*hi(b) + lo(mid1)
  lo32(L_A);
  lo32(L_B);
  c.op(OP.i64_mul);
  c.set(L_T);
  hi32(L_A);
  lo32(L_B);
  c.op(OP.i64_mul);
  hi32(L_T);
  c.op(OP.i64_add);
  c.set(L_R); // mid1 (cannot overflow)
  lo32(L_A);
  hi32(L_B);
  c.op(OP.i64_mul);
  lo32(L_R);
  c.op(OP.i64_add);
  c.set(L_V); // mid2
  // high = hi(a)*hi(b) + (mid1 >> 32) + (mid2 >> 32)
  hi32(L_A);
  hi32(L_B);
  c.op(OP.i64_mul);
  hi32(L_R);
  c.op(OP.i64_add);
  hi32(L_V);
  c.op(OP.i64_add);
  c.set(L_T);
}

/** mul/imul with one operand (32/64-bit): rdx:rax = rax * src; CF=OF when the high half is significant. */
function emitMul(g: Gen, i: Insn, signed: boolean): void {
  const c = g.c;
  const size = i.s0;
  g.readOp(i, i.k0, i.r0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_B);
  g.readReg(0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_A);
  c.get(L_A);
  c.get(L_B);
  c.op(OP.i64_mul);
  c.set(L_FR);
  if (size === 4) {
    // the exact product fits in 64 bits
    c.get(L_FR);
    c.i64(32, 0);
    c.op(OP.i64_shr_u);
    c.set(L_T);
  } else {
    mulHighU64(g);
    if (signed) {
      // high_s = high_u - (a < 0 ? b : 0) - (b < 0 ? a : 0)
      for (const [x, y] of [
        [L_A, L_B],
        [L_B, L_A],
      ]) {
        c.get(L_T);
        c.get(y);
        c.get(x);
        c.i64(63, 0);
        c.op(OP.i64_shr_s);
        c.op(OP.i64_and);
        c.op(OP.i64_sub);
        c.set(L_T);
      }
    }
  }
  g.writeReg(0, size, L_FR);
  g.writeReg(2, size, L_T);
  if (!g.dead) {
    // overflow: high half is not the extension of the low half
    c.get(L_T);
    if (size === 4) {
      c.i64(-1, 0);
      c.op(OP.i64_and);
    }
    if (signed) {
      c.get(L_FR);
      if (size === 4) c.op(OP.i64_extend32_s);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
      if (size === 4) {
        c.i64(-1, 0);
        c.op(OP.i64_and);
      }
      c.op(OP.i64_ne);
    } else {
      c.i64(0, 0);
      c.op(OP.i64_ne);
    }
    overflowRecord(g, size);
  }
}

/** The flag record of a multiply: CF = OF = the i32 on the stack; the rest from the low half in L_FR. */
function overflowRecord(g: Gen, size: number): void {
  const c = g.c;
  c.op(OP.i64_extend_i32_u);
  c.i64(0x801, 0);
  c.op(OP.i64_mul);
  c.set(L_V);
  g.storeFlags(F_RES, size, "local");
}

/**
 * div/idiv (32/64-bit) when the quotient certainly fits (64-bit: rdx is the
 * extension of rax; 32-bit: the quotient is checked); otherwise, or for a zero
 * divisor, the handler (128-bit division, #DE).
 */
function emitDiv(g: Gen, i: Insn, signed: boolean): void {
  const c = g.c;
  const size = i.s0;
  g.readOp(i, i.k0, i.r0, size);
  if (size === 4 && signed) c.op(OP.i64_extend32_s);
  c.set(L_B);
  // dividend into L_A
  if (size === 8) {
    g.readReg(0, 8);
    c.set(L_A);
  } else {
    g.readReg(2, 4);
    c.i64(32, 0);
    c.op(OP.i64_shl);
    g.readReg(0, 4);
    c.op(OP.i64_or);
    c.set(L_A);
  }
  // fast-path condition (i32)
  c.get(L_B);
  c.op(OP.i64_eqz);
  c.op(OP.i32_eqz); // divisor != 0
  c.get(L_B);
  c.i64(-1, -1);
  c.op(OP.i64_ne); // and (signed) != -1
  if (signed) c.op(OP.i32_and);
  else c.op(OP.drop);
  if (size === 8) {
    // rdx is the extension of rax
    g.readReg(2, 8);
    if (signed) {
      c.get(L_A);
      c.i64(63, 0);
      c.op(OP.i64_shr_s);
    } else c.i64(0, 0);
    c.op(OP.i64_eq);
    c.op(OP.i32_and);
  }
  c.open(OP.if);
  c.get(L_A);
  c.get(L_B);
  c.op(signed ? OP.i64_div_s : OP.i64_div_u);
  c.set(L_V);
  if (size === 4) {
    // the quotient must fit in 32 bits
    c.get(L_V);
    if (signed) {
      c.op(OP.i64_extend32_s);
      c.get(L_V);
      c.op(OP.i64_ne);
    } else {
      c.i64(32, 0);
      c.op(OP.i64_shr_u);
      c.i64(0, 0);
      c.op(OP.i64_ne);
    }
    c.open(OP.if);
    g.fallback();
    c.op(OP.else);
    divStore(g, size, signed);
    c.close();
  } else divStore(g, size, signed);
  c.op(OP.else);
  g.fallback();
  c.close();
  g.kOp = 0;
}

function divStore(g: Gen, size: number, signed: boolean): void {
  const c = g.c;
  c.get(L_A);
  c.get(L_B);
  c.op(signed ? OP.i64_rem_s : OP.i64_rem_u);
  c.set(L_T);
  g.writeReg(0, size, L_V);
  g.writeReg(2, size, L_T);
}

/**
 * The flag record of a shift by a nonzero count (constant, or L_B): CF = the
 * last bit out, OF = MSB(result) ^ CF for shl, MSB(original) for shr, 0 for
 * sar (the interpreter computes OF alike for every count). L_A holds the
 * original (sign-extended for sar), L_FR the result.
 */
function shiftFlags(g: Gen, key: string, size: number, cnt: number | null): void {
  const c = g.c;
  const bits = size * 8;
  const left = key === "shl" || key === "sal";
  c.get(L_A);
  if (cnt !== null) c.i64(left ? bits - cnt : cnt - 1, 0);
  else if (left) {
    c.i64(bits, 0);
    c.get(L_B);
    c.op(OP.i64_sub);
  } else {
    c.get(L_B);
    c.i64(1, 0);
    c.op(OP.i64_sub);
  }
  c.op(OP.i64_shr_u);
  c.i64(1, 0);
  c.op(OP.i64_and);
  c.set(L_V);
  if (key !== "sar") {
    c.get(left ? L_FR : L_A);
    c.i64(bits - 1, 0);
    c.op(OP.i64_shr_u);
    if (left) {
      c.get(L_V);
      c.op(OP.i64_xor);
    }
    c.i64(1, 0);
    c.op(OP.i64_and);
    c.i64(11, 0);
    c.op(OP.i64_shl);
    c.get(L_V);
    c.op(OP.i64_or);
    c.set(L_V);
  }
  g.storeFlags(F_RES, size, "local");
}

/** shl/shr/sar r32/r64, cl: nothing changes for a zero count (but a 32-bit register is still zero-extended). */
function emitShiftCl(g: Gen, i: Insn, key: string): void {
  const c = g.c;
  const size = i.s0;
  const bits = size * 8;
  const left = key === "shl" || key === "sal";
  const n = i.r0;
  g.readReg(1, 1);
  c.i64(bits - 1, 0);
  c.op(OP.i64_and);
  c.set(L_B);
  g.readReg(n, size);
  if (key === "sar" && size === 4) c.op(OP.i64_extend32_s);
  c.set(L_A);
  c.get(L_A);
  c.get(L_B);
  c.op(left ? OP.i64_shl : key === "sar" ? OP.i64_shr_s : OP.i64_shr_u);
  c.set(L_FR);
  g.writeReg(n, size, L_FR);
  if (g.dead) return;
  c.get(L_B);
  c.op(OP.i64_eqz);
  c.op(OP.i32_eqz);
  c.open(OP.if);
  shiftFlags(g, key, size, null);
  c.close();
}

/** SSE instructions with WebAssembly forms (none touches the flags). */
const SSE_COMPILED = new Set(["movdqa", "movaps", "movapd", "movdqu", "movups", "movupd", "pandn", "andnps", "andnpd", "pslldq", "psrldq", "pshufd", "pmovmskb", "movq", "movd"]);

/** 128-bit moves whose memory operand must be 16-byte aligned. */
const SSE_MOV_ALIGNED = new Set(["movdqa", "movaps", "movapd"]);
const SSE_MOV_UNALIGNED = new Set(["movdqu", "movups", "movupd"]);
/** Lane-wise operations xmm, xmm/m128 (memory aligned) -> one SIMD op (andn: not(dest) and src). */
const SSE_BINARY: Record<string, number> = {
  pxor: SIMD.v128_xor,
  xorps: SIMD.v128_xor,
  xorpd: SIMD.v128_xor,
  por: SIMD.v128_or,
  orps: SIMD.v128_or,
  orpd: SIMD.v128_or,
  pand: SIMD.v128_and,
  andps: SIMD.v128_and,
  andpd: SIMD.v128_and,
  paddb: SIMD.i8x16_add,
  paddw: SIMD.i16x8_add,
  paddd: SIMD.i32x4_add,
  paddq: SIMD.i64x2_add,
  psubb: SIMD.i8x16_sub,
  psubw: SIMD.i16x8_sub,
  psubd: SIMD.i32x4_sub,
  psubq: SIMD.i64x2_sub,
  pcmpeqb: SIMD.i8x16_eq,
  pcmpeqw: SIMD.i16x8_eq,
  pcmpeqd: SIMD.i32x4_eq,
};
const SSE_ANDN = new Set(["pandn", "andnps", "andnpd"]);
/** Shifts by an immediate: [lane bits, op, arithmetic]. */
const SSE_SHIFT: Record<string, [number, number, boolean]> = {
  psllw: [16, SIMD.i16x8_shl, false],
  pslld: [32, SIMD.i32x4_shl, false],
  psllq: [64, SIMD.i64x2_shl, false],
  psrlw: [16, SIMD.i16x8_shr_u, false],
  psrld: [32, SIMD.i32x4_shr_u, false],
  psrlq: [64, SIMD.i64x2_shr_u, false],
  psraw: [16, SIMD.i16x8_shr_s, true],
  psrad: [32, SIMD.i32x4_shr_s, true],
};
/** Interleaves: [element bytes, high half]. */
const SSE_UNPACK: Record<string, [number, boolean]> = {
  punpcklbw: [1, false],
  punpcklwd: [2, false],
  punpckldq: [4, false],
  punpcklqdq: [8, false],
  punpckhbw: [1, true],
  punpckhwd: [2, true],
  punpckhdq: [4, true],
  punpckhqdq: [8, true],
};

for (const t of [SSE_BINARY, SSE_SHIFT, SSE_UNPACK]) for (const k of Object.keys(t)) SSE_COMPILED.add(k);

/** Source operand 1 (xmm or m128) into L_Y; false (nothing emitted) when it is neither. */
function sseSource(g: Gen, i: Insn, aligned: boolean): boolean {
  const c = g.c;
  if (i.k1 === K_XMM) {
    g.readXmm(i.r1);
    c.set(L_Y);
    return true;
  }
  if (i.k1 !== K_MEM) return false;
  g.ea(i);
  if (aligned) alignCheck(g);
  g.memRead(16);
  c.set(L_Y);
  return true;
}

/** A misaligned m128: the interpreter's handler raises the fault. */
function alignCheck(g: Gen): void {
  const c = g.c;
  c.get(L_EA);
  c.op(OP.i32_wrap_i64);
  c.i32(15);
  c.op(OP.i32_and);
  c.open(OP.if);
  g.spillRegs();
  c.i32(g.id);
  c.get(L_CNT);
  c.call(F_CALL);
  c.op(OP.drop);
  g.ret(g.k); // not reached: the handler throws
  c.close();
}

/** The SSE instructions with a direct WebAssembly SIMD form (xmm operands only; MMX forms use the handlers). */
function emitSse(g: Gen, i: Insn, key: string): boolean {
  const c = g.c;
  if (i.k0 !== K_XMM && !(i.k0 === K_MEM && i.k1 === K_XMM) && key !== "pmovmskb" && key !== "movd") return false;
  const aligned = SSE_MOV_ALIGNED.has(key);
  if (aligned || SSE_MOV_UNALIGNED.has(key)) {
    if (i.k0 === K_XMM) {
      if (!sseSource(g, i, aligned)) return false;
      g.writeXmm(i.r0, L_Y);
    } else {
      g.readXmm(i.r1);
      c.set(L_Y);
      g.ea(i);
      if (aligned) alignCheck(g);
      g.memWrite(16, L_Y);
    }
    return true;
  }
  const bin = SSE_BINARY[key];
  if (bin !== undefined || SSE_ANDN.has(key)) {
    if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
    if (bin !== undefined) {
      g.readXmm(i.r0);
      c.get(L_Y);
      c.simd(bin);
    } else {
      c.get(L_Y);
      g.readXmm(i.r0);
      c.simd(SIMD.v128_andnot); // a & ~b
    }
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  const sh = SSE_SHIFT[key];
  if (sh !== undefined) {
    if (i.k0 !== K_XMM || i.k1 !== K_IMM) return false;
    const [bits, op, arith] = sh;
    const n = i.imm & 0xff;
    if (n >= bits && !arith) {
      c.i64(0, 0);
      c.simd(SIMD.i64x2_splat);
    } else {
      g.readXmm(i.r0);
      c.i32(Math.min(n, bits - 1));
      c.simd(op);
    }
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  const up = SSE_UNPACK[key];
  if (up !== undefined) {
    if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
    const [e, high] = up;
    const lanes: number[] = [];
    const start = high ? 8 : 0;
    for (let k = 0; k < 8 / e; k++) {
      for (let b = 0; b < e; b++) lanes.push(start + k * e + b);
      for (let b = 0; b < e; b++) lanes.push(16 + start + k * e + b);
    }
    g.readXmm(i.r0);
    c.get(L_Y);
    c.shuffle(lanes);
    c.set(L_X);
    g.writeXmm(i.r0, L_X);
    return true;
  }
  switch (key) {
    case "pslldq":
    case "psrldq": {
      if (i.k0 !== K_XMM || i.k1 !== K_IMM) return false;
      const n = Math.min(i.imm & 0xff, 16);
      // bytes from (value, zero): left shift moves byte k to k+n
      const lanes: number[] = [];
      for (let k = 0; k < 16; k++) {
        const from = key === "pslldq" ? k - n : k + n;
        lanes.push(from >= 0 && from < 16 ? from : 16);
      }
      g.readXmm(i.r0);
      c.i64(0, 0);
      c.simd(SIMD.i64x2_splat);
      c.shuffle(lanes);
      c.set(L_X);
      g.writeXmm(i.r0, L_X);
      return true;
    }
    case "pshufd": {
      if (i.k0 !== K_XMM || !sseSource(g, i, true)) return false;
      const imm = i.imm & 0xff;
      const lanes: number[] = [];
      for (let k = 0; k < 4; k++) for (let b = 0; b < 4; b++) lanes.push(((imm >> (2 * k)) & 3) * 4 + b);
      c.get(L_Y);
      c.get(L_Y);
      c.shuffle(lanes);
      c.set(L_X);
      g.writeXmm(i.r0, L_X);
      return true;
    }
    case "pmovmskb": {
      if (i.k0 !== K_REG || i.k1 !== K_XMM) return false;
      g.readXmm(i.r1);
      c.simd(SIMD.i8x16_bitmask);
      c.op(OP.i64_extend_i32_u);
      c.set(L_V);
      g.writeReg(i.r0, i.s0 === 8 ? 8 : 4, L_V);
      return true;
    }
    case "movq": {
      // movq xmm, xmm/m64 (upper half zeroed) and movq xmm/m64, xmm
      if (i.k0 === K_XMM && (i.k1 === K_XMM || i.k1 === K_MEM)) {
        if (i.k1 === K_XMM) {
          c.i32(0);
          c.mem(OP.i64_load, XMM(i.r1));
        } else {
          g.ea(i);
          g.memRead(8);
        }
        c.set(L_V);
        zeroXmmWith64(g, i.r0, L_V);
        return true;
      }
      if (i.k0 === K_MEM && i.k1 === K_XMM) {
        c.i32(0);
        c.mem(OP.i64_load, XMM(i.r1));
        c.set(L_V);
        g.ea(i);
        g.memWrite(8, L_V);
        return true;
      }
      return false;
    }
    case "movd": {
      // movd/movq xmm, r/m32/64 (zero-extended) and r/m32/64, xmm
      if (i.k0 === K_XMM && (i.k1 === K_REG || i.k1 === K_MEM)) {
        const s = i.s1 === 8 ? 8 : 4;
        g.readOp(i, i.k1, i.r1, s);
        c.set(L_V);
        zeroXmmWith64(g, i.r0, L_V);
        return true;
      }
      if ((i.k0 === K_REG || i.k0 === K_MEM) && i.k1 === K_XMM) {
        const s = i.s0 === 8 ? 8 : 4;
        c.i32(0);
        c.mem(s === 8 ? OP.i64_load : OP.i64_load32_u, XMM(i.r1));
        c.set(L_V);
        g.writeOp0(i, s, L_V, false);
        return true;
      }
      return false;
    }
  }
  return false;
}

/** xmm n = zero-extended 64-bit local v. */
function zeroXmmWith64(g: Gen, n: number, v: number): void {
  const c = g.c;
  c.i32(0);
  c.get(v);
  c.mem(OP.i64_store, XMM(n));
  c.i32(0);
  c.i64(0, 0);
  c.mem(OP.i64_store, XMM(n) + 8);
}
