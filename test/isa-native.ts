/**
 * Helpers for the ISA unit tests: run small Intel-syntax snippets natively
 * (assembled with as/ld into one static program) and under the emulator
 * (in process, src/ directly), and return registers, flags and a 128-byte
 * memory area per case.
 *
 * Each case starts from its own registers (all 15 GPRs but rsp, default 0),
 * flags and memory `m` (16 qwords). rbx-relative or [rip+m] memory operands
 * reach `m`; the label `m` has the same address in both runs (static, non-PIE).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VENDOR } from "../src/cpu/cpuid.js";
import { Process } from "../src/kernel/program.js";
import { MemoryHost } from "../src/host/memory.js";

export const REGS = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;
export type RegName = (typeof REGS)[number];

export interface Case {
  name: string;
  /** Intel-syntax instructions (may use the label `m`). */
  code: string;
  regs?: Partial<Record<RegName, bigint | number>>;
  /** Initial RFLAGS (status flags and DF). */
  flags?: number;
  /** Initial qwords of `m` (the rest is 0). */
  mem?: (bigint | number)[];
  /** Flags the SDM leaves undefined for this case (not compared). */
  undef?: number;
  /**
   * The result differs between CPU vendors (the SDM leaves it undefined or
   * implementation-specific): compared with the host only on a host of the
   * emulated vendor, elsewhere with the golden record made on one.
   * "faults": the other vendor's CPU faults on it (REX.W far pointers, say),
   * so there it is not run natively at all.
   */
  vendor?: boolean | "faults";
}

export interface Result {
  regs: bigint[];
  flags: number;
  mem: Uint8Array;
}

function tool(name: string): boolean {
  try {
    execFileSync(name, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Native runs need x86-64 Linux with GNU as and ld. */
export const canRunNative = process.platform === "linux" && process.arch === "x64" && tool("as") && tool("ld");
export const nativeSkipReason = canRunNative ? "" : "skipped: needs x86-64 Linux with GNU as/ld to run snippets natively";

function readHostVendor(): string {
  try {
    return /vendor_id\s*:\s*(\S+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
  } catch {
    return "";
  }
}
/** The host CPU's vendor string (/proc/cpuinfo, or X64EMU_HOST_VENDOR to try the other path), "" when unknown. */
export const hostVendor = process.env.X64EMU_HOST_VENDOR ?? (process.platform === "linux" ? readHostVendor() : "");
/**
 * Where vendors differ the emulator follows the vendor its CPUID reports
 * (src/cpu/cpuid.ts): cases marked `vendor` are compared with the host only
 * when the host is of that vendor, otherwise with test/golden/vendor/NAME.json,
 * recorded on such a host with X64EMU_GOLDEN_RECORD=1.
 */
export const hostIsEmulatedVendor = hostVendor === VENDOR;
const GOLDEN_DIR = join(__dirname, "golden", "vendor");

const FLAG_MASK = 0xcd5; // CF PF AF ZF SF DF OF
const RECORD = 16 * 8 + 8 + 128;

function q(v: bigint | number): string {
  return "0x" + BigInt.asUintN(64, BigInt(v)).toString(16);
}

function programSource(cases: Case[]): string {
  const out: string[] = [
    ".intel_syntax noprefix",
    ".globl _start",
    ".data",
    ".balign 4096",
    "m: .zero 128",
    "out: .zero 512",
    ".text",
    "_start:",
  ];
  cases.forEach((c, k) => {
    out.push(`# case ${k}: ${c.name}`);
    for (let w = 0; w < 16; w++) {
      out.push(`  movabs rax, ${q(c.mem?.[w] ?? 0)}`, `  mov [rip+m+${w * 8}], rax`);
    }
    out.push(`  push ${(c.flags ?? 0) | 2}`, "  popfq");
    for (const r of REGS) if (r !== "rsp") out.push(`  movabs ${r}, ${q(c.regs?.[r] ?? 0)}`);
    out.push(c.code, "  call dump");
  });
  out.push("  mov eax, 60", "  xor edi, edi", "  syscall");
  out.push("dump:");
  REGS.forEach((r, k) => out.push(`  mov [rip+out+${k * 8}], ${r}`));
  out.push("  pushfq", "  pop rax", "  mov [rip+out+128], rax");
  for (let w = 0; w < 16; w++) out.push(`  mov rax, [rip+m+${w * 8}]`, `  mov [rip+out+${136 + w * 8}], rax`);
  out.push("  mov eax, 1", "  mov edi, 1", "  lea rsi, [rip+out]", `  mov edx, ${RECORD}`, "  syscall", "  ret");
  return out.join("\n") + "\n";
}

/** Assemble and link the cases into a static ELF (bytes). */
export function buildCases(cases: Case[]): { elf: Uint8Array; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "x64emu-isa-"));
  const src = join(dir, "t.s");
  writeFileSync(src, programSource(cases));
  execFileSync("as", ["--64", "-o", join(dir, "t.o"), src]);
  execFileSync("ld", ["-static", "-o", join(dir, "t"), join(dir, "t.o")]);
  const path = join(dir, "t");
  return { elf: new Uint8Array(readFileSync(path)), path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Parse the records a case program writes. */
export function parseResults(buf: Uint8Array, n: number): Result[] {
  return parse(buf, n);
}

function parse(buf: Uint8Array, n: number): Result[] {
  const res: Result[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let k = 0; k < n && (k + 1) * RECORD <= buf.length; k++) {
    const o = k * RECORD;
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(dv.getBigUint64(o + r * 8, true));
    res.push({ regs, flags: Number(dv.getBigUint64(o + 128, true)) & FLAG_MASK, mem: buf.slice(o + 136, o + RECORD) });
  }
  return res;
}

export function runNative(path: string, n: number): Result[] {
  return parse(new Uint8Array(execFileSync(path, { maxBuffer: 1 << 28 })), n);
}

/**
 * Execution tiers every case runs under: the interpreter alone, the JavaScript
 * block compiler alone, and WebAssembly regions, everything compiled first.
 */
export const TIERS = ["interpreter", "jit", "wasm"] as const;

export function runEmulated(elf: Uint8Array, n: number, tier: (typeof TIERS)[number] = "interpreter"): { results: Result[]; status: unknown } {
  const host = new MemoryHost();
  const p = new Process(elf, { argv: ["t"], envp: [], host });
  p.cpu.jitEnabled = tier !== "interpreter";
  p.cpu.wasmEnabled = tier === "wasm";
  p.cpu.jitThreshold = 0;
  p.cpu.wasmThreshold = 0;
  const status = p.run(10_000_000);
  return { results: parse(Uint8Array.from(host.stdout), n), status };
}

/** Compare emulated results with native ones (optionally not the vendor-dependent cases); returns a list of readable differences. */
export function diffCases(cases: Case[], nat: Result[], emu: Result[], skipVendor = false): string[] {
  const diffs: string[] = [];
  cases.forEach((c, k) => {
    if (skipVendor && c.vendor) return;
    const a = nat[k];
    const b = emu[k];
    if (!a || !b) {
      diffs.push(`${c.name}: missing result (native ${!!a}, emulated ${!!b})`);
      return;
    }
    REGS.forEach((r, j) => {
      if (r !== "rsp" && a.regs[j] !== b.regs[j]) diffs.push(`${c.name}: ${r} native 0x${a.regs[j].toString(16)} emulated 0x${b.regs[j].toString(16)}`);
    });
    const mask = FLAG_MASK & ~(c.undef ?? 0);
    if ((a.flags & mask) !== (b.flags & mask))
      diffs.push(`${c.name}: flags native 0x${(a.flags & mask).toString(16)} emulated 0x${(b.flags & mask).toString(16)}`);
    for (let x = 0; x < 128; x++)
      if (a.mem[x] !== b.mem[x]) {
        diffs.push(`${c.name}: m+${x} native 0x${a.mem[x].toString(16)} emulated 0x${b.mem[x].toString(16)}`);
        break;
      }
  });
  return diffs;
}

export function toHex(r: Result): string {
  const b = new Uint8Array(RECORD);
  const dv = new DataView(b.buffer);
  r.regs.forEach((v, k) => dv.setBigUint64(k * 8, v, true));
  dv.setBigUint64(128, BigInt(r.flags), true);
  b.set(r.mem, 136);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function fromHex(h: string): Result {
  const b = Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
  return parse(b, 1)[0];
}

/**
 * Vendor-dependent cases: on a host of the emulated vendor, check (or with
 * X64EMU_GOLDEN_RECORD=1 write) the golden record `golden` against the native
 * results; on any other host, put the recorded results in place of the native
 * ones. Returns the problems found (a missing or stale record).
 */
export function applyVendorGolden(cases: Case[], nat: Result[], golden: string | undefined): string[] {
  const idx = cases.flatMap((c, k) => (c.vendor ? [k] : []));
  if (idx.length === 0) return [];
  if (!golden) return ["vendor-dependent cases need a golden record name"];
  const file = join(GOLDEN_DIR, `${golden}.json`);
  let rec: Record<string, string> = {};
  try {
    rec = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    /* no record yet */
  }
  const problems: string[] = [];
  if (hostIsEmulatedVendor) {
    if (process.env.X64EMU_GOLDEN_RECORD) {
      rec = {};
      for (const k of idx) if (nat[k]) rec[cases[k].name] = toHex(nat[k]);
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, JSON.stringify(rec, null, 1) + "\n");
      return [];
    }
    for (const k of idx) {
      const r = rec[cases[k].name];
      if (!r) problems.push(`${cases[k].name}: no golden record in ${file} (record with X64EMU_GOLDEN_RECORD=1 on an ${VENDOR} host)`);
      else if (nat[k] && diffCases([cases[k]], [fromHex(r)], [nat[k]]).length) problems.push(`${cases[k].name}: the golden record differs from this ${VENDOR} host (record again with X64EMU_GOLDEN_RECORD=1)`);
    }
    return problems;
  }
  for (const k of idx) {
    const r = rec[cases[k].name];
    if (r) nat[k] = fromHex(r);
    else problems.push(`${cases[k].name}: vendor-dependent, and ${file} has no record of it`);
  }
  return problems;
}

/**
 * Another vendor's results for vendor-dependent cases (test/golden/vendor/NAME.VENDOR.json):
 * on a host of that vendor, checked against the native results (or written with
 * X64EMU_GOLDEN_RECORD=1); anywhere, returned (undefined where not recorded) so that
 * the emulator can be measured against that vendor too. `problems` lists a stale record.
 */
export function otherVendorRecord(cases: Case[], nat: Result[] | null, golden: string, vendor: string): { results: (Result | undefined)[]; problems: string[] } {
  const file = join(GOLDEN_DIR, `${golden}.${vendor}.json`);
  let rec: Record<string, string> = {};
  try {
    rec = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    /* no record yet */
  }
  const problems: string[] = [];
  if (nat && hostVendor === vendor) {
    if (process.env.X64EMU_GOLDEN_RECORD) {
      rec = {};
      cases.forEach((c, k) => c.vendor && nat[k] && (rec[c.name] = toHex(nat[k])));
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, JSON.stringify(rec, null, 1) + "\n");
    } else
      cases.forEach((c, k) => {
        const r = rec[c.name];
        if (c.vendor && nat[k] && (!r || diffCases([c], [fromHex(r)], [nat[k]]).length)) problems.push(`${c.name}: ${r ? "differs from" : "missing in"} ${file} (record again with X64EMU_GOLDEN_RECORD=1 on this ${vendor} host)`);
      });
  }
  return { results: cases.map((c) => (rec[c.name] ? fromHex(rec[c.name]) : undefined)), problems };
}

/** Build, run both ways, and return the differences (empty when all agree); `golden` names the record of the vendor-dependent cases. */
export function checkCases(cases: Case[], golden?: string): string[] {
  const b = buildCases(cases);
  // on a host of the other vendor, cases that fault there are replaced by a nop in the native run (the golden record stands in)
  const skip = !hostIsEmulatedVendor && cases.some((c) => c.vendor === "faults");
  const nb = skip ? buildCases(cases.map((c) => (c.vendor === "faults" ? { ...c, code: "nop" } : c))) : b;
  try {
    const nat = runNative(nb.path, cases.length);
    const d: string[] = applyVendorGolden(cases, nat, golden);
    for (const tier of TIERS) {
      const emu = runEmulated(b.elf, cases.length, tier);
      const t = diffCases(cases, nat, emu.results).map((x) => `[${tier}] ${x}`);
      if (emu.results.length < cases.length) t.unshift(`[${tier}] emulator stopped early: ${JSON.stringify(emu.status, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`);
      d.push(...t);
    }
    return d;
  } finally {
    b.cleanup();
    if (nb !== b) nb.cleanup();
  }
}

// Flag bits for `undef` masks.
export const CF = 0x1,
  PF = 0x4,
  AF = 0x10,
  ZF = 0x40,
  SF = 0x80,
  OF = 0x800;

/** The first differences (at most 40) and their count, for a readable assertion. */
export function firstDiffs(cases: Case[], golden?: string): string[] {
  const d = checkCases(cases, golden);
  return d.length > 40 ? [...d.slice(0, 40), `... ${d.length} differences in all`] : d;
}
