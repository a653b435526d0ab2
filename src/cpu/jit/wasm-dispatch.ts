/**
 * The region dispatcher: a small wasm function that runs compiled regions
 * back to back without returning to JavaScript. After a region leaves, it
 * looks the next rip up in a hash table in linear memory (rip -> region index
 * in a shared function table, and the block's index inside the region) and
 * calls that region through `call_indirect`; a miss, an invalidated region, a
 * stop request, a fault or the end of the budget return to the CPU.
 */
import { FRAMES_OFFSET } from "../memory.js";
import { buildModule, Code, F64, I32, OP } from "./wasm-enc.js";
import { S_CUR, S_DTOTAL, S_RIP, S_STOP } from "./wasm-abi.js";

/** Hash table of region entries: DISPATCH_SIZE entries of 16 bytes (f64 rip, i32 region, i32 pc). */
export const DISPATCH_BASE = 0x80000;
export const DISPATCH_BITS = 12;
export const DISPATCH_SIZE = 1 << DISPATCH_BITS;
/** One byte per region index: 1 while the region is valid. */
export const REGION_VALID_BASE = DISPATCH_BASE + DISPATCH_SIZE * 16;
export const MAX_REGIONS = FRAMES_OFFSET - REGION_VALID_BASE; // stays below the guest frames

/** Slot of rip's entry in the dispatch table (JS side; the wasm computes the same). */
export function dispatchSlot(rip: number): number {
  const x = rip | 0;
  return DISPATCH_BASE + (((x ^ (x >>> 12)) & (DISPATCH_SIZE - 1)) << 4);
}

export type DispatchFn = (region: number, pc: number, max: number) => number;

/** Build the dispatcher over `table` (region functions of type (pc, max) -> count). */
export function buildDispatcher(memory: WebAssembly.Memory, table: WebAssembly.Table): DispatchFn {
  // empty entries: a NaN tag matches no rip (a zero tag would send rip 0 to region 0)
  const tags = new Float64Array(memory.buffer, DISPATCH_BASE, DISPATCH_SIZE * 2);
  for (let k = 0; k < DISPATCH_SIZE * 2; k += 2) tags[k] = NaN;
  // the same code for every CPU: compiled once
  dispatcherModule ??= new WebAssembly.Module(dispatcherCode() as BufferSource);
  const inst = new WebAssembly.Instance(dispatcherModule, { e: { m: memory, t: table } });
  return inst.exports.f as DispatchFn;
}

let dispatcherModule: WebAssembly.Module | null = null;

function dispatcherCode(): Uint8Array {
  const c = new Code();
  const P_IDX = 0,
    P_PC = 1,
    P_MAX = 2,
    L_TOTAL = 3,
    L_N = 4,
    L_RIP = 5,
    L_H = 6;
  c.open(OP.loop);
  c.i32(0);
  c.get(P_IDX);
  c.mem(OP.i32_store, S_CUR);
  c.i32(0);
  c.get(L_TOTAL);
  c.mem(OP.i32_store, S_DTOTAL);
  c.get(P_PC);
  c.get(P_MAX);
  c.get(L_TOTAL);
  c.op(OP.i32_sub);
  c.get(P_IDX);
  c.op(OP.call_indirect); // type 0 (a region), table 0
  c.u32(0);
  c.u32(0);
  c.tee(L_N);
  c.i32(0);
  c.op(OP.i32_lt_s);
  c.open(OP.if);
  c.i32(-1);
  c.op(OP.return);
  c.close();
  c.get(L_TOTAL);
  c.get(L_N);
  c.op(OP.i32_add);
  c.tee(L_TOTAL);
  c.get(P_MAX);
  c.op(OP.i32_ge_u);
  c.i32(0);
  c.mem(OP.i32_load, S_STOP);
  c.op(OP.i32_or);
  c.open(OP.if);
  c.get(L_TOTAL);
  c.op(OP.return);
  c.close();
  // h = entry address of rip
  c.i32(0);
  c.mem(OP.f64_load, S_RIP);
  c.tee(L_RIP);
  c.byte(0xfc); // i64.trunc_sat_f64_s
  c.u32(6);
  c.op(OP.i32_wrap_i64);
  c.tee(L_H);
  c.get(L_H);
  c.i32(12);
  c.op(OP.i32_shr_u);
  c.op(OP.i32_xor);
  c.i32(DISPATCH_SIZE - 1);
  c.op(OP.i32_and);
  c.i32(4);
  c.op(OP.i32_shl);
  c.tee(L_H);
  c.mem(OP.f64_load, DISPATCH_BASE);
  c.get(L_RIP);
  c.op(OP.f64_eq);
  c.op(OP.i32_eqz);
  c.open(OP.if);
  c.get(L_TOTAL);
  c.op(OP.return);
  c.close();
  c.get(L_H);
  c.mem(OP.i32_load, DISPATCH_BASE + 8);
  c.set(P_IDX);
  c.get(L_H);
  c.mem(OP.i32_load, DISPATCH_BASE + 12);
  c.set(P_PC);
  c.get(P_IDX);
  c.mem(OP.i32_load8_u, REGION_VALID_BASE);
  c.op(OP.i32_eqz);
  c.open(OP.if);
  c.get(L_TOTAL);
  c.op(OP.return);
  c.close();
  c.byte(OP.br);
  c.u32(0);
  c.close(); // loop
  c.op(OP.unreachable);

  const types = [
    { params: [I32, I32], results: [I32] }, // a region: (pc, max) -> count
    { params: [I32, I32, I32], results: [I32] }, // dispatch: (region, pc, max) -> count
  ];
  return buildModule(types, [], 1, [I32, I32, F64, I32], c, true); // locals: total, n, rip, h
}
