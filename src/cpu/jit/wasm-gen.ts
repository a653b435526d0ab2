/**
 * The code generator's building blocks for a region function: registers in
 * locals, memory through the inline TLB (with the slow calls out), leaving
 * and continuing (budget checks, dynamic targets), the lazy-flag record and
 * inline conditions, and the fall back to the interpreter's handler.
 */
import { BASE_NONE, K_IMM, K_REG, SEG_FS, SEG_GS, type Insn } from "../../decoder/insn.js";
import { F_ADD, F_DEC, F_INC, F_LOGIC, F_SUB } from "../flags.js";
import { PAGE_SIZE, TLB_MASK, TLB_R_FRAME, TLB_R_TAG, TLB_W_FRAME, TLB_W_TAG } from "../memory.js";
import { Code, I64, OP, SIMD, V128 } from "./wasm-enc.js";
import { F_CALL, F_COND, F_RD, F_WR, L_AUXT, L_PAUX, L_PK, L_CNT, L_EA, L_FA, L_FB, L_FR, L_MAX, L_PC, L_PG, L_REG, L_RET, L_SMC, L_T, L_TI, L_V, S_FDST, S_FOP, S_FRES, S_FS, S_FSIZE, S_FSRC, S_FAUX, S_GS, S_RIP, S_VAL, XMM, lowMask } from "./wasm-abi.js";

/** Flag kinds a condition can be evaluated from inline; returns false when it needs the full flags. */
export function inlineCond(op: number, cc: number): boolean {
  if (op === F_SUB) return cc >= 2 && cc !== 10 && cc !== 11;
  if (op === F_LOGIC) return cc !== 10 && cc !== 11;
  if (op === F_ADD) return cc >= 2 && cc <= 5 || cc === 8 || cc === 9;
  if (op === F_INC || op === F_DEC) return cc === 4 || cc === 5 || cc === 8 || cc === 9;
  return false;
}
export class Gen {
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
  /** The pending-record local is known to be 0 here (see L_PK). */
  pkZero = false;
  /** The instruction just emitted stored to memory. */
  wrote = false;
  constructor(
    readonly blockIndex: Map<number, number>,
    /** Instructions in each block, by index. */
    readonly blockLen: number[],
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

  /**
   * Store the pending producer's record, if any, into the slot (before
   * anything that reads the slot's record, and on the way out). `top`: at an
   * instruction's top level, so that the local is known to be 0 after.
   */
  materialize(top: boolean): void {
    if (this.pkZero) return;
    const c = this.c;
    c.get(L_PK);
    c.open(OP.if);
    c.i32(0);
    c.get(L_PK);
    c.i32(255);
    c.op(OP.i32_and);
    c.mem(OP.i32_store, S_FOP);
    c.i32(0);
    c.get(L_PK);
    c.i32(8);
    c.op(OP.i32_shr_u);
    c.mem(OP.i32_store, S_FSIZE);
    for (const [l, off] of [
      [L_FA, S_FDST],
      [L_FB, S_FSRC],
      [L_FR, S_FRES],
    ]) {
      c.i32(0);
      c.get(l);
      c.mem(OP.i64_store, off);
    }
    c.i32(0);
    c.get(L_PAUX);
    c.mem(OP.i32_store, S_FAUX);
    c.i32(0);
    c.set(L_PK);
    c.close();
    if (top) this.pkZero = true;
  }

  /**
   * A producer of `kind` and `size` has its operands and result in fa/fb/fr
   * (and its aux word, if the kind has one, in L_V as i64 or L_AUXT as i32):
   * its record is now the pending one.
   */
  setPending(kind: number, size: number, aux: "none" | "local" | "staged" = "none"): void {
    const c = this.c;
    if (aux === "local") {
      c.get(L_V);
      c.op(OP.i32_wrap_i64);
      c.set(L_PAUX);
    } else if (aux === "staged") {
      c.get(L_AUXT);
      c.set(L_PAUX);
    }
    c.i32(kind | (size << 8));
    c.set(L_PK);
    this.pkZero = false;
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

  /**
   * Continue at addr (cnt already counts the block): inside the region, or
   * leave. A block is entered only when it fits in the budget, so a region
   * never runs past it by more than its entry block.
   */
  goto(addr: number, mayFall = true): void {
    const c = this.c;
    const j = this.blockIndex.get(addr);
    if (j === undefined) {
      this.exitTo(addr, 0);
      return;
    }
    c.get(L_CNT);
    c.i32(this.blockLen[j]);
    c.op(OP.i32_add);
    c.get(L_MAX);
    c.op(OP.i32_gt_u);
    c.open(OP.if);
    this.exitTo(addr, 0);
    c.close();
    if (mayFall && addr === this.nextAddr && addr !== this.selfAddr) return; // falls into the next block of the layout
    if (addr === this.selfAddr) {
      c.br(this.selfLabel);
      return;
    }
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
    this.materialize(false);
    c.i32(cc);
    c.call(F_COND);
  }

  /** Call the interpreter's handler for the current instruction; leave when it says so. */
  fallback(): void {
    const c = this.c;
    this.materialize(false); // the handler may read the flags
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
