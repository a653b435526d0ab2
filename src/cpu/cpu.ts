/**
 * CPU state and the interpreter loop over a cache of decoded basic blocks.
 *
 * Registers are lo/hi int32 halves in an Int32Array view over the shared
 * WebAssembly.Memory (index 2*r and 2*r+1). Guest addresses are JS numbers.
 */
import { decode, DecodeError, INVALID } from "../decoder/decode.js";
import { formatBytes, formatInsn } from "../decoder/format.js";
import { ATTR_BRANCH, Insn } from "../decoder/insn.js";
import { cond, F_NONE, getCF, getFlags, setFlags } from "./flags.js";
import { BusError, Memory, MemoryFault, OutOfMemory, PAGE_SIZE, STATE_OFFSET } from "./memory.js";

/** Offsets inside the CPU state area of linear memory. */
export const XMM_OFFSET = 256;
/**
 * The xmm views hold 40 16-byte slots: 0-15 are xmm0-15 (the low halves of
 * ymm0-15), 16-19 scratch registers of the AVX handlers, and slot n + YMM_HI
 * the upper half (bits 128-255) of slot n.
 */
export { HI as YMM_HI } from "./isa/avx-common.js";
import { SLOTS as XMM_SLOTS } from "./isa/avx-common.js";
export const FPR_OFFSET = XMM_OFFSET + XMM_SLOTS * 16; // 0x380
import { handlerFor } from "./registry.js";
import { features as ALL_FEATURES, gateDef, type CpuFeatures } from "./cpuid.js";
import { compileBlock, type CompiledBlock } from "./jit/jsgen.js";
import { buildDispatcher, dispatchSlot, MAX_REGIONS, REGION_VALID_BASE, type DispatchFn } from "./jit/wasm-dispatch.js";
import { compileRegion, wasmUnavailable, Region, S_CUR, S_DTOTAL, S_STOP, S_FAUX, REGION_OVERSHOOT, S_FDST, S_FLAGS, S_FOP, S_FRES, S_FS, S_FSIZE, S_FSRC, S_GS, S_MXCSR, S_RIP, S_VAL, type RegionImports } from "./jit/wasmgen.js";
import { readMem, writeMem } from "./ops.js";
import "./isa/index.js";

export * from "./exceptions.js";
import { CpuException, SIGSEGV, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL } from "./exceptions.js";

/** Details of the last fault, for error messages and signal frames. */
export interface FaultInfo {
  sig: number;
  code: number;
  addr: number;
  rip: number;
  message: string;
  /** Bytes of the faulting instruction, when decodable */
  bytes: number[];
  /** Intel-syntax text of the faulting instruction, when decodable */
  text: string;
  /** Page-fault error code for the signal frame (bit 1: write, bit 4: fetch) */
  err: number;
}

export class Block {
  /** Executions so far (any tier but a region); see JIT_THRESHOLD and WASM_THRESHOLD. */
  count = 0;
  /** The compiled form (jit/jsgen.ts), once hot. */
  jit: CompiledBlock | null = null;
  /** False once invalidated (its code changed or was unmapped). */
  valid = true;
  /** The WebAssembly region this block is an entry of, and its index there. */
  region: Region | null = null;
  regionPc = 0;
  /** The JavaScript block compiler has been tried on this block. */
  jitTried = false;
  /** A region was built from this block (compiled or not): do not try again. */
  regionTried = false;
  /** Successor cache (block chaining): the last two blocks that followed this one. */
  succ1: Block | null = null;
  succ2: Block | null = null;
  constructor(
    public readonly addr: number,
    public readonly insns: Insn[],
    public readonly endAddr: number,
  ) {}
}

/**
 * Executions of a block before it is compiled to JavaScript: only blocks the
 * WebAssembly tier did not take get there. (A new JavaScript function costs
 * V8 a parse, a lazy compile and baseline tiers, more than it saves on the
 * code real programs run a few thousand times: python3's start-up took 13 s
 * with 50 here, 4.7 s with 10,000, 3.9 s in the interpreter alone.)
 */
export const JIT_THRESHOLD = 10_000;
/** Executions (any tier) of a block before its region is compiled to WebAssembly. */
export const WASM_THRESHOLD = 3000;
/** A block joins a region when it has run at least wasmThreshold >> this many times. */
const REGION_WARM_SHIFT = 6;
/** Instructions the dispatcher runs before returning to the CPU loop (which then checks for signals and limits). */
const REGION_SLICE = 200_000;

export type SyscallHandler = (cpu: CPU) => void;
export type FaultHandler = (cpu: CPU, info: FaultInfo) => void;
/** Called before each instruction when set; return false to stop before executing it. @internal */
export type InsnHook = (cpu: CPU, insn: Insn) => boolean | void;

export const REG_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

export const RAX = 0,
  RCX = 1,
  RDX = 2,
  RBX = 3,
  RSP = 4,
  RBP = 5,
  RSI = 6,
  RDI = 7;

const MAX_BLOCK = 64;

export class CPU {
  readonly mem: Memory;
  /** GPRs: r[2n] low 32 bits, r[2n+1] high 32 bits (int32). */
  r!: Int32Array;
  rip = 0;
  // lazy flags (see flags.ts)
  fOp = F_NONE;
  fSize = 4;
  fDst = 0;
  fDstHi = 0;
  fSrc = 0;
  fSrcHi = 0;
  fRes = 0;
  fResHi = 0;
  fAux = 0;
  /** Materialized RFLAGS (status bits valid only when fOp === F_NONE). */
  flags = 0x202;
  fsBase = 0;
  gsBase = 0;
  // SSE/AVX state: XMM0-15 as int32 lanes (xmm[4*n .. 4*n+3]), float/double views over the same bytes;
  // the upper halves of ymm0-15 at slots YMM_HI + n (see YMM_HI)
  xmm!: Int32Array;
  xmmF32!: Float32Array;
  xmmF64!: Float64Array;
  xmmU8!: Uint8Array;
  xmmI8!: Int8Array;
  xmmU16!: Uint16Array;
  xmmI16!: Int16Array;
  mxcsr = 0x1f80;
  /**
   * The CPU model: what CPUID reports; instructions of features it lacks raise
   * SIGILL (gated when decoded, so set it before running). Default: everything.
   */
  features: CpuFeatures = ALL_FEATURES;
  // x87 state: 8 physical registers R0..R7, 16 bytes each, in the 80-bit format
  // (bytes 0-7 significand, bytes 8-9 sign and exponent); MMX register n is the
  // low 64 bits of Rn. ST(i) is R[(top + i) & 7].
  fpr!: Uint8Array;
  fprView!: DataView;
  fpuControl = 0x37f;
  /** Status word without TOP (bits 11-13 come from fpuTop). */
  fpuStatus = 0;
  fpuTop = 0;
  /** Full tag word: 2 bits per physical register (00 valid, 01 zero, 10 special, 11 empty). */
  fpuTag = 0xffff;
  fpuLastIp = 0;
  fpuLastDp = 0;
  fpuLastOpcode = 0;
  /** Scratch: high half of the last 64-bit operand read. */
  hi = 0;
  /** Scratch: effective address computed by the last memory operand read. */
  ea = 0;
  /** Instructions executed. */
  icount = 0;
  /** Set to stop the run loop after the current instruction/block. */
  stopRequested = false;
  /** Stop (before executing) when a block starts at this address (API calls' return sentinel). */
  stopAt = -1;
  /** Syscall entry (the kernel). */
  onSyscall: SyscallHandler = (c) => {
    c.setReg64(RAX, -38, -1); // -ENOSYS
  };
  /** Fault delivery (the kernel). When null, faults stop the CPU. */
  onFault: FaultHandler | null = null;
  /** Per-instruction hook (API, debugger, tracer): forces single-stepping. */
  insnHook: InsnHook | null = null;
  /** The last unhandled fault (set when onFault is null). */
  lastFault: FaultInfo | null = null;
  /** CPUID/extension state available to handlers (filled by handlers modules). */
  ext: Record<string, unknown> = {};

  /** Compile hot blocks (false: interpreter only, `--no-jit`). */
  jitEnabled = true;
  /** Interpreted executions before a block is compiled (0: compile before the first execution). */
  jitThreshold = JIT_THRESHOLD;
  /** Compile hot regions to WebAssembly (when jitEnabled too and WebAssembly can compile here). */
  wasmEnabled = true;
  /** Executions of a block before its region becomes WebAssembly (0: at once). */
  wasmThreshold = WASM_THRESHOLD;
  /** Index of the faulting instruction inside a compiled block (set by compiled code). */
  jitIndex = 0;
  /** Complete iterations of a self-looping compiled block before a fault. */
  jitIter = 0;
  /** Changes whenever decoded code is invalidated (compiled blocks stop after a store that changes it). */
  codeEpoch = 0;
  /** Statistics for --stats. */
  stats = { jitInsns: 0, blocksCompiled: 0, compileMs: 0, wasmInsns: 0, regionsCompiled: 0, regionBlocks: 0, wasmCompileMs: 0 };
  /** Every region compiled, by index (the dispatcher's function table holds the same). */
  private regionList: Region[] = [];
  private regionTable: WebAssembly.Table | null = null;
  private dispatch: DispatchFn | null = null;
  /** The fault a region's slow memory access met (raised once the region has returned). */
  private regionFault: unknown = null;
  private readonly pageRegions = new Map<number, Region[]>();
  private slotF64!: Float64Array;

  private readonly blocks = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, Block[]>();
  blocksDecoded = 0;

  constructor(mem?: Memory) {
    this.mem = mem ?? new Memory();
    this.makeViews();
    this.mem.onViewsChanged(() => this.makeViews());
    this.mem.onCodeWrite = (page) => this.invalidatePage(page);
  }

  private makeViews(): void {
    const buf = this.mem.wmem.buffer;
    this.r = new Int32Array(buf, STATE_OFFSET, 32);
    const xo = STATE_OFFSET + XMM_OFFSET;
    this.xmm = new Int32Array(buf, xo, XMM_SLOTS * 4);
    this.xmmF32 = new Float32Array(buf, xo, XMM_SLOTS * 4);
    this.xmmF64 = new Float64Array(buf, xo, XMM_SLOTS * 2);
    this.xmmU8 = new Uint8Array(buf, xo, XMM_SLOTS * 16);
    this.xmmI8 = new Int8Array(buf, xo, XMM_SLOTS * 16);
    this.xmmU16 = new Uint16Array(buf, xo, XMM_SLOTS * 8);
    this.xmmI16 = new Int16Array(buf, xo, XMM_SLOTS * 8);
    this.fpr = new Uint8Array(buf, STATE_OFFSET + FPR_OFFSET, 128);
    this.fprView = new DataView(buf, STATE_OFFSET + FPR_OFFSET, 128);
    this.slotF64 = new Float64Array(buf, STATE_OFFSET, 0x500 / 8);
  }

  // ---- registers ------------------------------------------------------------

  getReg64(n: number): bigint {
    return (BigInt(this.r[2 * n + 1] >>> 0) << 32n) | BigInt(this.r[2 * n] >>> 0);
  }

  setReg64(n: number, lo: number, hi: number): void {
    this.r[2 * n] = lo;
    this.r[2 * n + 1] = hi;
  }

  setReg64Big(n: number, v: bigint): void {
    this.r[2 * n] = Number(v & 0xffffffffn) | 0;
    this.r[2 * n + 1] = Number((v >> 32n) & 0xffffffffn) | 0;
  }

  /** Register value as an address-sized JS number (exact below 2^53). */
  regNum(n: number): number {
    return (this.r[2 * n + 1] >>> 0) * 4294967296 + (this.r[2 * n] >>> 0);
  }

  setRegNum(n: number, v: number): void {
    this.r[2 * n] = v % 4294967296 | 0;
    this.r[2 * n + 1] = Math.floor(v / 4294967296) | 0;
  }

  getRflags(): number {
    return getFlags(this);
  }

  setRflags(v: number): void {
    setFlags(this, v);
  }

  // ---- stack helpers (used by kernel/API; handlers use their own fast paths) --

  push64(lo: number, hi: number): void {
    const sp = this.regNum(RSP) - 8;
    this.mem.write64(sp, lo, hi);
    this.setRegNum(RSP, sp);
  }

  // ---- blocks -----------------------------------------------------------------

  private fetchByte = (a: number): number => this.mem.fetch8(a);

  /** Decode one instruction at addr (fresh object). Throws MemoryFault on fetch failure. */
  decodeAt(addr: number): Insn {
    const i = decode(this.fetchByte, addr, new Insn());
    i.def = gateDef(this.features, i.def, i.map, i.vexL);
    i.fn = handlerFor(i.def) as Insn["fn"];
    return i;
  }

  private buildBlock(addr: number): Block {
    const insns: Insn[] = [];
    let a = addr;
    for (;;) {
      let i: Insn;
      try {
        i = this.decodeAt(a);
      } catch (e) {
        if (insns.length === 0) throw e;
        break; // the fault is raised when execution gets there
      }
      insns.push(i);
      a = i.next;
      if (i.def.attrs & ATTR_BRANCH || i.def === INVALID || insns.length >= MAX_BLOCK) break;
    }
    const b = new Block(addr, insns, a);
    this.blocks.set(addr, b);
    this.blocksDecoded++;
    const p0 = Math.floor(addr / PAGE_SIZE);
    const p1 = Math.floor((a - 1) / PAGE_SIZE);
    for (let p = p0; p <= p1; p++) {
      let list = this.pageBlocks.get(p);
      if (!list) this.pageBlocks.set(p, (list = []));
      list.push(b);
      this.mem.markCode(p * PAGE_SIZE);
    }
    return b;
  }

  /** Drop decoded blocks of a page (self-modifying code, munmap, mprotect). */
  invalidatePage(page: number): void {
    this.codeEpoch++;
    const rs = this.pageRegions.get(page);
    if (rs) {
      for (const r of rs) this.dropRegion(r);
      this.pageRegions.delete(page);
    }
    const list = this.pageBlocks.get(page);
    if (!list) return;
    for (const b of list) {
      b.valid = false;
      if (this.blocks.get(b.addr) === b) this.blocks.delete(b.addr);
    }
    this.pageBlocks.delete(page);
  }

  /**
   * A forked child's CPU starts with the parent's decoded blocks (and their
   * compiled JavaScript, which takes the CPU as an argument): the same code
   * at the same addresses, so nothing is decoded again. WebAssembly regions
   * belong to the parent's memory and are not taken.
   */
  copyBlocksFrom(parent: CPU): void {
    for (const [addr, b] of parent.blocks) {
      if (!b.valid) continue;
      // blocks from MAP_SHARED pages are decoded again: another process may rewrite those pages
      if (this.mem.sharedAt(addr) || this.mem.sharedAt(b.endAddr - 1)) continue;
      const nb = new Block(addr, b.insns, b.endAddr);
      nb.count = b.count;
      nb.jit = b.jit;
      nb.jitTried = b.jitTried;
      this.blocks.set(addr, nb);
      const p0 = Math.floor(addr / PAGE_SIZE);
      const p1 = Math.floor((b.endAddr - 1) / PAGE_SIZE);
      for (let p = p0; p <= p1; p++) {
        let list = this.pageBlocks.get(p);
        if (!list) this.pageBlocks.set(p, (list = []));
        list.push(nb);
        this.mem.markCode(p * PAGE_SIZE);
      }
    }
  }

  invalidateAll(): void {
    this.codeEpoch++;
    for (const r of this.regionList) this.dropRegion(r);
    this.pageRegions.clear();
    for (const b of this.blocks.values()) b.valid = false;
    this.blocks.clear();
    this.pageBlocks.clear();
  }

  // ---- execution --------------------------------------------------------------

  /**
   * Run until stopRequested or `limit` instructions have executed in total
   * (icount >= limit). Faults go to onFault (which may redirect execution) or
   * stop the CPU with lastFault set.
   */
  run(limit = Infinity): void {
    this.stopRequested = false;
    let prev: Block | null = null;
    while (!this.stopRequested && this.icount < limit) {
      const rip = this.rip;
      if (rip === this.stopAt) {
        this.stopRequested = true;
        break;
      }
      if (this.insnHook !== null || this.icount + MAX_BLOCK > limit) {
        this.step();
        prev = null;
        continue;
      }
      // block chaining: try the previous block's successors before the map
      let b: Block | undefined;
      if (prev !== null) {
        const s1: Block | null = prev.succ1;
        if (s1 !== null && s1.addr === rip && s1.valid) b = s1;
        else {
          const s2: Block | null = prev.succ2;
          if (s2 !== null && s2.addr === rip && s2.valid) b = s2;
          else {
            b = this.blocks.get(rip);
            if (b !== undefined) {
              prev.succ2 = prev.succ1;
              prev.succ1 = b;
            }
          }
        }
      } else b = this.blocks.get(rip);
      if (b === undefined) {
        try {
          b = this.buildBlock(this.rip);
        } catch (e) {
          this.raise(e);
          prev = null;
          continue;
        }
      }
      prev = b;
      if (this.jitEnabled) {
        if (b.region !== null) {
          // (near the limit, the lower tiers run the last instructions exactly)
          if (b.region.valid && limit - this.icount > REGION_OVERSHOOT) {
            this.runRegion(b, limit);
            prev = null;
            continue;
          }
          if (!b.region.valid) b.region = null;
        } else if (b.count >= this.wasmThreshold && !b.regionTried && this.wasmEnabled) {
          this.compileRegionAt(b);
          if (b.region !== null) continue;
        }
      }
      if (b.jit === null && !b.jitTried && b.count >= this.jitThreshold && this.jitEnabled) this.compile(b);
      const insns = b.insns;
      const n = insns.length;
      if (b.jit !== null) {
        this.jitIter = 0;
        try {
          let max = limit === Infinity ? 100000 : Math.max(1, Math.min(100000, Math.floor((limit - this.icount) / n) - 1));
          // a hot loop should reach the WebAssembly tier soon
          if (this.wasmEnabled && !b.regionTried) max = Math.max(1, Math.min(max, this.wasmThreshold - b.count));
          const it = b.jit(this, insns, max);
          if (it < 0) {
            // it stored into code: left after that instruction (rip set)
            const done = this.jitIter * n + this.jitIndex;
            b.count += this.jitIter;
            this.icount += done;
            this.stats.jitInsns += done;
          } else {
            b.count += it;
            this.icount += it * n;
            this.stats.jitInsns += it * n;
          }
        } catch (e) {
          const done = this.jitIter * n + this.jitIndex;
          this.rip = insns[this.jitIndex].addr;
          this.icount += done;
          this.stats.jitInsns += done;
          this.raise(e);
        }
        continue;
      }
      let k = 0;
      try {
        for (k = 0; k < n; k++) {
          const i = insns[k];
          this.rip = i.next;
          i.fn(this, i);
          this.icount++; // exact for handlers that read it (rdtsc)
          if (!b.valid) break; // it stored into its own code: go on with the new code
        }
        b.count++;
      } catch (e) {
        this.rip = insns[k].addr;
        this.raise(e);
      }
    }
  }

  // ---- the WebAssembly tier (jit/wasmgen.ts) -----------------------------------

  private compileRegionAt(b: Block): void {
    b.regionTried = true;
    // (a full dispatcher table: interpreter and JS blocks from here)
    if (typeof WebAssembly !== "object" || wasmUnavailable.value || this.regionList.length >= MAX_REGIONS) return;
    const t = globalThis.performance.now();
    const r = compileRegion(b, (a) => this.blockForRegion(a), this.wasmImports, this.mem.wmem);
    this.stats.wasmCompileMs += globalThis.performance.now() - t;
    if (r === null) return;
    if (this.dispatch === null) {
      this.regionTable = new WebAssembly.Table({ element: "anyfunc", initial: 64 });
      this.dispatch = buildDispatcher(this.mem.wmem, this.regionTable);
    }
    r.index = this.regionList.length;
    this.regionList.push(r);
    const table = this.regionTable!;
    if (r.index >= table.length) table.grow(Math.max(64, table.length));
    table.set(r.index, r.run);
    this.mem.u8[REGION_VALID_BASE + r.index] = 1;
    this.stats.regionsCompiled++;
    this.stats.regionBlocks += r.blocks.length;
    for (const p of r.pages) {
      let l = this.pageRegions.get(p);
      if (!l) this.pageRegions.set(p, (l = []));
      l.push(r);
    }
    r.blocks.forEach((rb, k) => {
      const blk = rb as Block;
      if (blk.region === null || !blk.region.valid) {
        blk.region = r;
        blk.regionPc = k;
        const slot = dispatchSlot(blk.addr);
        const dv = this.mem.dv;
        dv.setFloat64(slot, blk.addr, true);
        dv.setInt32(slot + 8, r.index, true);
        dv.setInt32(slot + 12, k, true);
      }
    });
  }

  /** A block for a region under construction, decoding it when needed; null if it cannot be fetched. */
  private blockForRegion(addr: number): Block | null {
    const b = this.blocks.get(addr);
    // only code that has run often joins a region: cold paths (error handling,
    // set-up run once) would only lengthen compilation; a region leaves to them
    const min = this.wasmThreshold >> REGION_WARM_SHIFT;
    if (b !== undefined) return b.count >= min ? b : null;
    if (min > 0) return null;
    try {
      return this.buildBlock(addr);
    } catch {
      return null;
    }
  }

  private dropRegion(r: Region): void {
    r.valid = false;
    if (r.index >= 0) this.mem.u8[REGION_VALID_BASE + r.index] = 0;
  }

  /** The region running now (calls out from compiled code ask). */
  private curRegion(): Region {
    return this.regionList[this.mem.i32[S_CUR >> 2]];
  }

  /**
   * Run the region of block b through the dispatcher, which goes on from
   * region to region inside WebAssembly; when it returns (a rip it does not
   * know, a stop, the budget), continue here with another region if the next
   * block has one (the lazy flags stay in the slot throughout).
   */
  private runRegion(b: Block, limit: number): void {
    let r = b.region!;
    let pc = b.regionPc;
    this.flagsToSlot();
    this.mem.i32[S_STOP >> 2] = 0;
    this.mem.i32[S_MXCSR >> 2] = this.mxcsr;
    const dispatch = this.dispatch!;
    try {
      for (;;) {
        const n = dispatch(r.index, pc, Math.min(REGION_SLICE, limit - this.icount - REGION_OVERSHOOT));
        if (n < 0) {
          // a memory access faulted: the same as a throw from inside
          const e = this.regionFault;
          this.regionFault = null;
          throw e;
        }
        this.icount += n;
        this.stats.wasmInsns += n;
        const rip = this.slotF64[S_RIP / 8];
        this.rip = rip;
        if (this.stopRequested || limit - this.icount <= REGION_OVERSHOOT || rip === this.stopAt) break;
        // the dispatcher did not know rip (a hash collision, a block not in a region yet)
        const nb = this.blocks.get(rip);
        if (nb === undefined || !nb.valid || nb.region === null || !nb.region.valid) break;
        r = nb.region;
        pc = nb.regionPc;
      }
      this.flagsFromSlot();
      this.mxcsr = this.mem.i32[S_MXCSR >> 2];
    } catch (e) {
      const cur = this.curRegion();
      const done = this.mem.i32[S_DTOTAL >> 2] + cur.cnt + cur.idx[cur.id];
      this.icount += done;
      this.stats.wasmInsns += done;
      this.rip = cur.insns[cur.id].addr;
      this.flagsFromSlot();
      this.mxcsr = this.mem.i32[S_MXCSR >> 2];
      this.raise(e);
    }
  }

  /** Copy the lazy flags and segment bases into the JIT slot (before running a region or after a handler). */
  private flagsToSlot(): void {
    const m = this.mem.i32;
    m[S_FOP >> 2] = this.fOp;
    m[S_FSIZE >> 2] = this.fSize;
    m[S_FDST >> 2] = this.fDst;
    m[(S_FDST >> 2) + 1] = this.fDstHi;
    m[S_FSRC >> 2] = this.fSrc;
    m[(S_FSRC >> 2) + 1] = this.fSrcHi;
    m[S_FRES >> 2] = this.fRes;
    m[(S_FRES >> 2) + 1] = this.fResHi;
    m[S_FAUX >> 2] = this.fAux;
    m[S_FLAGS >> 2] = this.flags;
    m[S_FS >> 2] = this.fsBase % 4294967296 | 0;
    m[(S_FS >> 2) + 1] = Math.floor(this.fsBase / 4294967296) | 0;
    m[S_GS >> 2] = this.gsBase % 4294967296 | 0;
    m[(S_GS >> 2) + 1] = Math.floor(this.gsBase / 4294967296) | 0;
  }

  private flagsFromSlot(): void {
    const m = this.mem.i32;
    this.fOp = m[S_FOP >> 2];
    this.fSize = m[S_FSIZE >> 2];
    this.fDst = m[S_FDST >> 2];
    this.fDstHi = m[(S_FDST >> 2) + 1];
    this.fSrc = m[S_FSRC >> 2];
    this.fSrcHi = m[(S_FSRC >> 2) + 1];
    this.fRes = m[S_FRES >> 2];
    this.fResHi = m[(S_FRES >> 2) + 1];
    this.fAux = m[S_FAUX >> 2];
    this.flags = m[S_FLAGS >> 2];
  }

  /** What compiled regions call back into. */
  private readonly wasmImports: RegionImports = {
    rd: (addr, size, id, cnt) => {
      const r = this.curRegion();
      r.id = id;
      r.cnt = cnt;
      try {
        // 16 bytes as two 8-byte halves; the value goes to the slot's value area as lo/hi words
        const lo = readMem(this, addr, size === 16 ? 8 : size);
        const hi = this.hi;
        const lo2 = size === 16 ? readMem(this, addr + 8, 8) : 0;
        const v = this.mem.i32;
        v[S_VAL >> 2] = lo;
        v[(S_VAL >> 2) + 1] = hi;
        if (size === 16) {
          v[(S_VAL >> 2) + 2] = lo2;
          v[(S_VAL >> 2) + 3] = this.hi;
        }
        return 0;
      } catch (e) {
        this.regionFault = e;
        return 1;
      }
    },
    wr: (addr, size, id, cnt) => {
      const r = this.curRegion();
      r.id = id;
      r.cnt = cnt;
      const m = this.mem;
      try {
        const v = m.i32;
        const w = S_VAL >> 2;
        if (size === 16) {
          // read the value first: checkWritable may grow the memory (and detach `v`)
          const w0 = v[w];
          const w1 = v[w + 1];
          const w2 = v[w + 2];
          const w3 = v[w + 3];
          m.checkWritable(addr, 16); // nothing is stored if any part faults
          writeMem(this, addr, 8, w0, w1);
          writeMem(this, addr + 8, 8, w2, w3);
        } else writeMem(this, addr, size, v[w], v[w + 1]);
      } catch (e) {
        this.regionFault = e;
        return 2;
      }
      return r.valid ? 0 : 1;
    },
    cond: (cc) => {
      this.flagsFromSlot();
      return cond(this, cc) ? 1 : 0;
    },
    cf: () => {
      this.flagsFromSlot();
      return getCF(this);
    },
    call: (id, cnt) => {
      const r = this.curRegion();
      r.id = id;
      r.cnt = cnt;
      const i = r.insns[id];
      const sync = r.noFlags[id] === 0;
      if (sync) this.flagsFromSlot();
      this.mxcsr = this.mem.i32[S_MXCSR >> 2]; // inline floating point may have set flags
      this.rip = i.next;
      try {
        if (r.counted[id] === 1) {
          // the handler reads the instruction count (rdtsc): make it exact for the moment
          const base = this.icount;
          this.icount = base + this.mem.i32[S_DTOTAL >> 2] + cnt + r.idx[id];
          i.fn(this, i);
          this.icount = base;
        } else i.fn(this, i);
      } catch (e) {
        // a fault part way (rep string instructions): the flags as the handler left them
        if (sync) this.flagsToSlot();
        this.mem.i32[S_MXCSR >> 2] = this.mxcsr;
        throw e;
      }
      if (sync) this.flagsToSlot();
      this.mem.i32[S_MXCSR >> 2] = this.mxcsr; // (read i32 again: the handler may have grown the memory)
      if (this.stopRequested) this.mem.i32[S_STOP >> 2] = 1;
      if (this.rip !== i.next || this.stopRequested || !r.valid) {
        this.slotF64[S_RIP / 8] = this.rip;
        return 1;
      }
      return 0;
    },
  };

  private compile(b: Block): void {
    const t = globalThis.performance.now();
    b.jit = compileBlock(b.insns);
    b.jitTried = true; // compiled, or not worth it: never try again
    this.stats.compileMs += globalThis.performance.now() - t;
    if (b.jit) this.stats.blocksCompiled++;
  }

  /** Execute one instruction (honours insnHook). Returns false if the hook stopped it. */
  step(): boolean {
    let i: Insn | undefined;
    try {
      let b = this.blocks.get(this.rip);
      if (b === undefined) b = this.buildBlock(this.rip);
      i = b.insns[0];
      if (this.insnHook !== null && this.insnHook(this, i) === false) {
        this.stopRequested = true;
        return false;
      }
      this.rip = i.next;
      i.fn(this, i);
      this.icount++;
    } catch (e) {
      if (i !== undefined) this.rip = i.addr;
      this.raise(e);
    }
    return true;
  }

  /** Turn a thrown exception into a fault delivery. Non-guest errors propagate. */
  raise(e: unknown): void {
    let info: FaultInfo;
    if (e instanceof MemoryFault) {
      const text = this.describeAt(this.rip);
      const exec = e.access === "exec";
      // addresses arrive as unsigned or signed numbers: the signed form is exact for both canonical halves
      const a = e.addr >= 2 ** 63 ? e.addr - 2 ** 64 : e.addr;
      if (a >= 2 ** 47 || a < -(2 ** 47)) {
        // a non-canonical address: #GP, which Linux reports without an address
        info = { sig: SIGSEGV, code: SI_KERNEL, addr: 0, rip: this.rip, message: `${e.access} of non-canonical address 0x${hexAddr(a)} (general protection)`, bytes: text.bytes, text: exec ? "" : text.text, err: 0 };
        if (this.onFault) this.onFault(this, info);
        else {
          this.lastFault = info;
          this.stopRequested = true;
        }
        return;
      }
      info = {
        sig: SIGSEGV,
        code: e.protection ? SEGV_ACCERR : SEGV_MAPERR,
        addr: a,
        rip: this.rip,
        message: `${e.access} of ${e.protection ? "protected" : "unmapped"} address 0x${hexAddr(a)}`,
        bytes: text.bytes,
        text: exec ? "" : text.text,
        // (kernel addresses are present, but not for user mode)
        err: (e.access === "write" ? 2 : 0) | (exec ? 16 : 0) | (e.protection || a < 0 ? 1 : 0) | 4,
      };
    } else if (e instanceof CpuException) {
      const text = this.describeAt(this.rip);
      if (e.resumeAt >= 0) this.rip = e.resumeAt; // a trap reports the next instruction
      info = { sig: e.sig, code: e.code, addr: e.addr, rip: this.rip, message: e.message, bytes: text.bytes, text: text.text, err: 0 };
    } else if (e instanceof OutOfMemory || e instanceof BusError) {
      // SIGBUS (BUS_ADRERR): no frame left for a page the guest may use (memory Linux cannot provide),
      // or a page past the end of a shared mapping's object or file
      const text = this.describeAt(this.rip);
      const mib = Math.round(this.mem.commitLimit / 1048576);
      const message = e instanceof BusError ? e.message : `out of guest memory at address 0x${hexAddr(e.addr)} (x64emu holds at most ${mib} MiB of guest RAM)`;
      info = { sig: 7, code: 2, addr: e.addr, rip: this.rip, message, bytes: text.bytes, text: text.text, err: 0 };
    } else if (e instanceof DecodeError) {
      info = { sig: SIGSEGV, code: SI_KERNEL, addr: 0, rip: this.rip, message: e.message, bytes: e.bytes, text: "", err: 0 };
    } else throw e;
    if (this.onFault) this.onFault(this, info);
    else {
      this.lastFault = info;
      this.stopRequested = true;
    }
  }

  /** Bytes and text of the instruction at addr, or empty when it cannot be fetched. */
  describeAt(addr: number): { bytes: number[]; text: string } {
    try {
      const i = decode(this.fetchByte, addr, new Insn());
      const bytes = Array.from(this.mem.readBytes(addr, i.len, false));
      return { bytes, text: formatInsn(i) };
    } catch {
      const bytes: number[] = [];
      try {
        for (let k = 0; k < 15; k++) bytes.push(this.mem.fetch8(addr + k));
      } catch {
        /* ends at the unreadable byte */
      }
      return { bytes, text: "" };
    }
  }
}

export function hexAddr(a: number): string {
  if (a < 0) return (BigInt(Math.round(a)) + (1n << 64n)).toString(16);
  return a.toString(16);
}

export { formatBytes };
