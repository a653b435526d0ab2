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
 *
 * This file gathers and lays out a region and assembles its function; the
 * parts: wasm-abi (slot, imports, locals), wasm-gen (the generator's
 * registers, memory, control and flag primitives), wasm-flags (flag
 * liveness), wasm-insn (instructions and branches), wasm-arith (multiply,
 * divide, shifts), wasm-sse (SIMD forms), wasm-enc (the binary encoder).
 */
import { ATTR_BRANCH, K_MEM, K_MMX, K_XMM, type Insn } from "../../decoder/insn.js";
import { PAGE_SIZE } from "../memory.js";
import { buildModule, OP } from "./wasm-enc.js";
import { IMPORTS, L_PC, L_RET, LOCALS, MAIN_TYPE, TYPES, keyOf, type RegionImports } from "./wasm-abi.js";
import { CONDS, FALL, NEUTRAL, effectOf, flagStep, producerKind, type Effect } from "./wasm-flags.js";
import { Gen } from "./wasm-gen.js";
import { dirtyRegs, emitBranch, emitInsn } from "./wasm-insn.js";

export { S_CUR, S_DTOTAL, S_FAUX, S_FDST, S_FLAGS, S_FOP, S_FRES, S_FS, S_FSIZE, S_FSRC, S_GS, S_RIP, S_STOP, S_MXCSR, S_VAL, type RegionImports } from "./wasm-abi.js";

const MAX_REGION_BLOCKS = 96;
const MAX_REGION_INSNS = 1500;
/**
 * How far a region may run past its budget: it enters a block only when the
 * block fits, but the entry block runs whole (blocks have at most 64 instructions).
 */
export const REGION_OVERSHOOT = 64;

/** What the region compiler needs to know of a block. */
export interface RegionBlock {
  addr: number;
  insns: Insn[];
  endAddr: number;
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
for (const k of [...SSE_FLAG_WRITERS]) SSE_FLAG_WRITERS.add("v" + k); // their VEX forms
SSE_FLAG_WRITERS.add("vtestps").add("vtestpd");

/** Handlers that neither read nor write the flags: string moves, and SSE/MMX but the few that set flags. */
function flagless(i: Insn): boolean {
  const key = i.def.key;
  if (key === "movs" || key === "stos" || key === "lods") return true;
  const simd = i.k0 === K_XMM || i.k1 === K_XMM || i.k0 === K_MMX || i.k1 === K_MMX;
  return simd && !SSE_FLAG_WRITERS.has(key);
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
    const keys = blocks[bi].insns.map(keyOf);
    blocks[bi].insns.forEach((i, k) => {
      const key = keys[k];
      es.push(effectOf(key, i, known));
      const p = producerKind(key, i);
      if (p > 0) known = p;
      else if (!NEUTRAL.has(key) && !CONDS.has(key)) known = 0;
    });
    effects.push(es);
  }
  // Every edge out of a block may leave the region (the budget check in goto), and the code
  // after the exit reads the flags: they are all live at every block's end. Only stores that a
  // later instruction of the same block overwrites are dead.
  const liveOut: number[] = new Array(nb).fill(FALL);
  const sites: number[] = [];
  for (const b of blocks) {
    const last = b.insns[b.insns.length - 1];
    const k = keyOf(last);
    if ((k === "call" || k === "calli") && index.has(last.next) && !sites.includes(last.next) && sites.length < 8) sites.push(last.next);
  }
  const g = new Gen(index, blocks.map((b) => b.insns.length), sites, dirtyRegs(insns));
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
    g.pkZero = false;
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
  g.pkZero = false;
  g.materialize(true); // the CPU (and the next region) reads the slot's record
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
