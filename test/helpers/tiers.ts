/**
 * The tier property test's machinery (test/tiers-property.test.ts,
 * scripts/tiers-fuzz.mjs): seeded random cases, each run under the
 * interpreter and the compiled tiers, and a comparison of everything the
 * guest can observe.
 *
 * A case is code at CODE (random bytes, or a loop of random valid
 * instructions with forward branches, calls, indirect jumps and returns),
 * registers from the seed (most pointing into DATA), DATA (two read/write
 * pages, one read-only page, then a hole) and a stack, and an instruction
 * limit. Everything derives from (seed, index), so one case replays alone.
 */
import { decode, INVALID } from "../../src/decoder/decode.js";
import { ATTR_BRANCH, ATTR_PRIV, ATTR_VEX, Insn, K_REG } from "../../src/decoder/insn.js";
import { CPU } from "../../src/cpu/cpu.js";
import { Memory, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../src/cpu/memory.js";
import { prng } from "./prng.js";

export const CODE = 0x400000;
export const CODE_LEN = 0x2000;
export const DATA = 0x600000;
/** DATA .. DATA+0x2000 read/write, then one read-only page, then unmapped. */
export const DATA_RW = 0x2000;
export const STACK = 0x7ff0000;
export const STACK_LEN = 0x4000;

export interface Case {
  seed: number;
  index: number;
  mode: "bytes" | "valid";
  code: Uint8Array;
  writableCode: boolean;
  regs: bigint[];
  xmm: number[];
  rflags: number;
  data: Uint8Array;
  limit: number;
}

export type Tier = "interp" | "js" | "wasm" | "mixed";
export const TIERS: Tier[] = ["interp", "js", "wasm", "mixed"];

export interface Outcome {
  kind: string;
  sig: number;
  code: number;
  addr: number;
  faultRip: number;
  rip: number;
  icount: number;
  regs: bigint[];
  rflags: number;
  xmm: number[];
  mxcsr: number;
  x87: number[];
  memory: Map<number, Uint8Array>;
}

function rand64(r: () => number): bigint {
  return (BigInt(r()) << 32n) | BigInt(r());
}

/** A register value: mostly pointers into DATA, some small numbers, some anything. */
function regValue(r: () => number): bigint {
  const k = r() % 10;
  if (k < 6) return BigInt(DATA + (r() % (DATA_RW + 0x1000 - 16)));
  if (k < 8) return BigInt(r() % 64);
  if (k < 9) return -BigInt(1 + (r() % 8)) & 0xffffffffffffffffn;
  return rand64(r);
}

// ---- random valid instructions ----------------------------------------------

/** Opcode starts (after optional prefixes) of the instructions the generator draws from. */
const ONE_BYTE: number[] = [];
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6 && ![0x26, 0x2e, 0x36, 0x3e].includes(op)) ONE_BYTE.push(op);
ONE_BYTE.push(0x63, 0x69, 0x6b, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x90, 0x91, 0x93, 0x98, 0x99);
ONE_BYTE.push(0xa8, 0xa9, 0xb0, 0xb3, 0xb8, 0xbb, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xf5, 0xf8, 0xf9, 0xfc);
ONE_BYTE.push(0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xa6, 0xae); // string instructions (with rep sometimes)
const TWO_BYTE: number[] = [0xaf, 0xb6, 0xb7, 0xbe, 0xbf, 0xa3, 0xab, 0xb3, 0xbb, 0xba, 0xbc, 0xbd, 0xc8, 0xcb, 0xa4, 0xa5, 0xac, 0xad, 0xc0, 0xc1, 0xb0, 0xb1, 0x31];
for (let c = 0; c < 16; c++) TWO_BYTE.push(0x40 + c, 0x90 + c);
/** SSE with a 66 prefix (0F map). */
const SSE66: number[] = [0xef, 0xeb, 0xdb, 0xdf, 0xfe, 0xfa, 0xd4, 0xfb, 0xfc, 0xf8, 0x6f, 0x7f, 0x70, 0x60, 0x61, 0x62, 0x6c, 0x68, 0x69, 0x6a, 0x6d, 0xd7, 0x73, 0x72, 0x71, 0x67, 0x63, 0x6b, 0x74, 0x75, 0x76, 0x6e, 0x7e, 0xd6, 0xd5, 0xe4, 0xf4, 0xda, 0xde, 0x64, 0x65, 0x66, 0xe0, 0xe3, 0xf6, 0x2f, 0x28, 0x58, 0x59, 0x5c];
const SSE_NONE: number[] = [0x28, 0x29, 0x57, 0x54, 0x10, 0x11, 0x58, 0x59, 0x5c, 0x2f];
const SSE_F3: number[] = [0x6f, 0x7f, 0x7e, 0x10, 0x58, 0x59, 0x2a, 0x2d, 0x2c];
const SSE_F2: number[] = [0x10, 0x11, 0x58, 0x59, 0x5c, 0x5e, 0x51, 0x2a, 0x2c];

/** Registers holding pointers into DATA (memory operands use them as bases). */
const PTR = [3, 5, 6, 7];

/** Registers the body must not write: rsp (the stack), r15 (the loop counter), the pointers (but string instructions move rsi/rdi). */
function writesReserved(i: Insn): boolean {
  const wr = (n: number, s: number) => (s === 1 && n >= 16 ? n - 16 === 3 : n === 4 || n === 15 || PTR.includes(n));
  if (i.k0 === K_REG && wr(i.r0, i.s0)) return true;
  // xchg, xadd, cmpxchg write their register operand too
  const k = i.def.key;
  if ((k === "xchg" || k === "xadd") && i.k1 === K_REG && wr(i.r1, i.s1)) return true;
  return false;
}

/** One random valid non-branch instruction (its bytes), or null. */
function randomInsn(r: () => number): Uint8Array | null {
  const bytes: number[] = [];
  const pick = r() % 100;
  let rex = -1;
  if (pick < 70) {
    if (r() % 4 === 0) bytes.push(0x66);
    else if (r() % 16 === 0) bytes.push([0xf3, 0xf2, 0x64, 0x65][r() % 4]);
    if (r() % 2 === 0) rex = 0x40 | (r() & 15);
    if (rex >= 0) bytes.push(rex);
    bytes.push(ONE_BYTE[r() % ONE_BYTE.length]);
  } else if (pick < 88) {
    if (r() % 5 === 0) bytes.push(0x66);
    if (r() % 2 === 0) bytes.push(0x40 | (r() & 15));
    bytes.push(0x0f, TWO_BYTE[r() % TWO_BYTE.length]);
  } else {
    const t = r() % 4;
    const table = t === 0 ? SSE66 : t === 1 ? SSE_NONE : t === 2 ? SSE_F3 : SSE_F2;
    if (t === 0 || t > 1 || r() % 3 === 0) bytes.push(t === 0 || t === 1 ? 0x66 : t === 2 ? 0xf3 : 0xf2);
    if (r() % 3 === 0) bytes.push(0x40 | (r() & 15));
    bytes.push(0x0f, table[r() % table.length]);
  }
  // ModRM: a register half the time, else memory through a base register (small displacement)
  const mod = r() % 2 === 0 ? 3 : [0, 1, 1, 2][r() % 4];
  let rm = r() & 7;
  if (mod !== 3 && rm === 5 && r() % 4 !== 0) rm = 3; // rip-relative sometimes only
  bytes.push((mod << 6) | ((r() & 7) << 3) | rm);
  if (mod !== 3 && rm === 4) bytes.push(r() & 0xff); // SIB
  const small = [r() & (r() % 2 === 0 ? 0x78 : 0x7f), r() & 0x3f, 0, 0, r() & 0xff, r() & 0xff, r() & 0xff, r() & 0xff, 0, 0];
  if (mod === 2) small.splice(0, 4, r() & 0xff, r() & 0x0f, 0, 0);
  bytes.push(...small);
  const code = Uint8Array.from(bytes);
  const i = new Insn();
  try {
    decode((a) => code[a] ?? 0, 0, i);
  } catch {
    return null;
  }
  if (i.def === INVALID || i.def.attrs & (ATTR_BRANCH | ATTR_PRIV | ATTR_VEX)) return null;
  if (writesReserved(i)) return null;
  const k = i.def.key;
  if (k === "rdtscp" || k === "enter" || k === "leave") return null;
  // memory through a pointer register, mostly without an index (a few wild ones fault somewhere)
  if (i.hasMem && !i.ripRel && r() % 16 !== 0) {
    if (!PTR.includes(i.base) || Math.abs(i.disp) > 0x1000) return null;
    if (i.index !== -1 && r() % 4 !== 0) return null;
  }
  return code.subarray(0, i.len);
}

function validInsn(r: () => number): Uint8Array {
  for (;;) {
    const b = randomInsn(r);
    if (b !== null) return b;
  }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * A loop of random instructions with forward jcc's, ended by `dec r15; jnz`,
 * then an ending (exit syscall, a call, a jump or return to 0...), and a
 * small function the body may call directly or through a register.
 */
function validProgram(r: () => number): Uint8Array {
  const n = 3 + (r() % 24);
  const body: number[][] = [];
  for (let k = 0; k < n; k++) {
    const x = r() % 20;
    if (x === 0) body.push([0xe8, 0, 0, 0, 0]); // call fn (fixed below)
    else if (x === 1) body.push([0x48, 0x8d, 0x05, 0, 0, 0, 0, 0xff, 0xd0]); // lea rax,[rip+fn]; call rax
    else if (x === 2) body.push([0x0f, 0x31]); // rdtsc
    else if (x === 3) body.push([0x50 | (r() & 3), 0x58 | (r() & 3)]); // push; pop
    else body.push(Array.from(validInsn(r)));
  }
  // forward branches to later instruction boundaries
  const jumps: { at: number; to: number; cc: number }[] = [];
  for (let k = 0; k < n; k++) if (r() % 6 === 0) jumps.push({ at: k, to: k + 1 + (r() % Math.max(1, n - k)), cc: r() & 15 });
  const out: number[] = [];
  const starts: number[] = [];
  const calls: number[] = []; // offsets of rel32 fields pointing at fn
  const fixups: { pos: number; to: number }[] = [];
  for (let k = 0; k <= n; k++) {
    starts[k] = out.length;
    for (const j of jumps) if (j.at === k) {
      out.push(0x0f, 0x80 | j.cc, 0, 0, 0, 0);
      fixups.push({ pos: out.length - 4, to: j.to });
    }
    if (k === n) break;
    const b = body[k];
    if (b[0] === 0xe8) calls.push(out.length + 1);
    if (b[0] === 0x48 && b[1] === 0x8d && b[2] === 0x05 && b.length === 9) calls.push(out.length + 3);
    out.push(...b);
  }
  starts[n] = out.length;
  // dec r15; jnz start
  out.push(0x49, 0xff, 0xcf, 0x0f, 0x85, ...le32(-(out.length + 9)));
  for (const f of fixups) {
    const rel = starts[f.to] - (f.pos + 4);
    out.splice(f.pos, 4, ...le32(rel));
  }
  // the ending
  const e = r() % 8;
  if (e === 0) out.push(0x31, 0xc0, 0xff, 0xe0); // xor eax,eax; jmp rax
  else if (e === 1) out.push(0x6a, 0x00, 0xc3); // push 0; ret
  else if (e === 2) out.push(0x31, 0xc0, 0xff, 0xd0); // xor eax,eax; call rax
  else if (e === 3) out.push(0x0f, 0x0b); // ud2
  else out.push(0xb8, 60, 0, 0, 0, 0x0f, 0x05); // mov eax,60; syscall
  // fn: a few instructions and ret
  const fn = out.length;
  for (let k = r() % 4; k > 0; k--) out.push(...validInsn(r));
  out.push(0xc3);
  for (const p of calls) out.splice(p, 4, ...le32(fn - (p + 4)));
  return Uint8Array.from(out);
}

/** Case `index` of `seed`. */
export function makeCase(seed: number, index: number): Case {
  const r = prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  for (let k = 0; k < 4; k++) r();
  const mode = r() % 3 === 0 ? "bytes" : "valid";
  let code: Uint8Array;
  if (mode === "bytes") {
    const len = 16 + (r() % 240);
    code = Uint8Array.from({ length: len }, () => r() & 0xff);
    // sprinkle valid instructions into the noise
    const parts: number[] = Array.from(code);
    for (let k = r() % 6; k > 0; k--) parts.splice(r() % parts.length, 0, ...validInsn(r));
    code = Uint8Array.from(parts);
  } else code = validProgram(r);
  const regs = Array.from({ length: 16 }, () => regValue(r));
  for (const n of PTR) regs[n] = BigInt(DATA + ((r() % (r() % 8 === 0 ? DATA_RW + 0xf00 : DATA_RW - 0x100)) & (r() % 4 === 0 ? -1 : -16)));
  regs[4] = BigInt(STACK + STACK_LEN - 256 - 8 * (r() % 8));
  regs[15] = BigInt(1 + (r() % (r() % 4 === 0 ? 400 : 40)));
  const xmm = Array.from({ length: 64 }, () => (r() % 3 === 0 ? r() & 0xff : r()) | 0);
  const rflags = 0x202 | (r() & 0x8d5);
  const data = Uint8Array.from({ length: DATA_RW + 0x1000 }, () => (r() % 4 === 0 ? 0 : r() & 0xff));
  const lk = r() % 4;
  const limit = lk === 0 ? 1 + (r() % 200) : lk === 1 ? 1 + (r() % 5000) : 200_000;
  return { seed, index, mode, code, writableCode: r() % 4 === 0, regs, xmm, rflags, data, limit };
}

// ---- running ----------------------------------------------------------------

function setupCpu(t: Case, tier: Tier): CPU {
  const mem = new Memory(2 * 1024 * 1024);
  mem.map(CODE, CODE_LEN, PROT_READ | PROT_EXEC | (t.writableCode ? PROT_WRITE : 0));
  mem.writeBytes(CODE, t.code, false);
  mem.map(DATA, DATA_RW, PROT_READ | PROT_WRITE);
  mem.map(DATA + DATA_RW, 0x1000, PROT_READ);
  mem.writeBytes(DATA, t.data, false);
  mem.map(STACK, STACK_LEN, PROT_READ | PROT_WRITE);
  const c = new CPU(mem);
  c.rip = CODE;
  t.regs.forEach((v, n) => c.setReg64Big(n, v));
  for (let k = 0; k < 64; k++) c.xmm[k] = t.xmm[k];
  c.setRflags(t.rflags);
  c.jitEnabled = tier !== "interp";
  c.wasmEnabled = tier === "wasm" || tier === "mixed";
  c.jitThreshold = tier === "mixed" ? 3 : 0;
  c.wasmThreshold = tier === "mixed" ? 7 : tier === "wasm" ? 0 : 1e9;
  return c;
}

export function runCase(t: Case, tier: Tier): Outcome {
  const c = setupCpu(t, tier);
  let syscalled = false;
  c.onSyscall = (cpu) => {
    syscalled = true;
    cpu.stopRequested = true;
  };
  c.run(t.limit);
  const f = c.lastFault;
  const kind = f ? "fault" : syscalled ? "syscall" : c.icount >= t.limit ? "limit" : "stopped";
  const memory = new Map<number, Uint8Array>();
  for (const [a, len] of [
    [CODE, CODE_LEN],
    [DATA, DATA_RW + 0x1000],
    [STACK, STACK_LEN],
  ])
    memory.set(a, c.mem.readBytes(a, len, false));
  return {
    kind,
    sig: f?.sig ?? 0,
    code: f?.code ?? 0,
    addr: f?.addr ?? 0,
    faultRip: f?.rip ?? 0,
    rip: c.rip,
    icount: c.icount,
    regs: Array.from({ length: 16 }, (_, n) => c.getReg64(n)),
    rflags: c.getRflags(),
    xmm: Array.from(c.xmm),
    mxcsr: c.mxcsr,
    x87: [c.fpuControl, c.fpuStatus, c.fpuTop, c.fpuTag, ...c.fpr],
    memory,
  };
}

const REG = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const hex = (v: number | bigint) => "0x" + (typeof v === "bigint" ? v : BigInt(Math.round(v))).toString(16);

/** Differences of b from the reference a, as readable lines (empty when they agree). */
export function compareOutcomes(a: Outcome, b: Outcome): string[] {
  const d: string[] = [];
  const cmp = (name: string, x: number | bigint | string, y: number | bigint | string) => {
    if (x !== y) d.push(`${name}: ${typeof x === "string" ? x : hex(x)} vs ${typeof y === "string" ? y : hex(y)}`);
  };
  cmp("outcome", a.kind, b.kind);
  if (a.kind === "fault" || b.kind === "fault") {
    cmp("signal", a.sig, b.sig);
    cmp("si_code", a.code, b.code);
    cmp("fault address", a.addr, b.addr);
    cmp("fault rip", a.faultRip, b.faultRip);
  }
  cmp("rip", a.rip, b.rip);
  cmp("icount", a.icount, b.icount);
  a.regs.forEach((v, n) => cmp(REG[n], v, b.regs[n]));
  cmp("rflags", a.rflags, b.rflags);
  for (let k = 0; k < 64; k++) if (a.xmm[k] !== b.xmm[k]) {
    d.push(`xmm${k >> 2} differs`);
    break;
  }
  cmp("mxcsr", a.mxcsr, b.mxcsr);
  if (a.x87.some((v, k) => v !== b.x87[k])) d.push("x87 state differs");
  for (const [addr, bytes] of a.memory) {
    const other = b.memory.get(addr)!;
    for (let k = 0; k < bytes.length; k++)
      if (bytes[k] !== other[k]) {
        d.push(`memory at ${hex(addr + k)}: ${hex(bytes[k])} vs ${hex(other[k])}`);
        break;
      }
  }
  return d;
}

/** Run case `index` of `seed` under every tier; the differences of each from the interpreter. */
export function checkCase(seed: number, index: number, tiers: Tier[] = TIERS): { t: Case; ref: Outcome; diffs: string[] } {
  return checkTiers(makeCase(seed, index), tiers);
}

/** Run a case under every tier; the differences of each from the interpreter. */
export function checkTiers(t: Case, tiers: Tier[] = TIERS): { t: Case; ref: Outcome; diffs: string[] } {
  const ref = runCase(t, "interp");
  const diffs: string[] = [];
  for (const tier of tiers) {
    if (tier === "interp") continue;
    for (const line of compareOutcomes(ref, runCase(t, tier))) diffs.push(`[${tier}] ${line}`);
  }
  return { t, ref, diffs };
}

/**
 * A hand-written case: `code` at CODE (end it with `mov eax,60; syscall`),
 * registers zero except those given (r15 = 1 unless given), DATA filled
 * with its offsets' low bytes.
 */
export function handCase(code: number[], regs: Record<number, bigint> = {}, rflags = 0x202): Case {
  const r = Array.from({ length: 16 }, (_, n) => regs[n] ?? (n === 4 ? BigInt(STACK + STACK_LEN - 256) : n === 15 ? 1n : 0n));
  const data = Uint8Array.from({ length: DATA_RW + 0x1000 }, (_, k) => k & 0xff);
  return { seed: 0, index: 0, mode: "valid", code: Uint8Array.from(code), writableCode: false, regs: r, xmm: new Array<number>(64).fill(0), rflags, data, limit: 100_000 };
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
