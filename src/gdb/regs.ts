/**
 * The register file gdb sees: the numbering and the target description
 * (core, SSE, Linux and, when the CPU model has AVX, the upper ymm halves),
 * and reading and writing one register of the CPU's loaded context.
 */
import { YMM_HI, type CPU } from "../cpu/cpu.js";
import { CPUID1_ECX } from "../cpu/cpuid.js";
import { fpuStatusWord } from "../cpu/fxsave.js";

interface RegDef {
  name: string;
  bits: number;
  type?: string;
  group?: string;
  feature: string;
}

const GPR = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
/** Our register index for gdb's GPR order. */
const GPR_INDEX = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];

/** gdb's register numbers (those of its amd64-linux description with AVX). */
export const REG_RIP = 16;
const REG_ST0 = 24;
const REG_FCTRL = 32;
const REG_XMM0 = 40;
const REG_MXCSR = 56;
const REG_FS_BASE = 58;
const REG_GS_BASE = 59;
const REG_YMM0H = 60;

export const REGS: RegDef[] = [
  ...GPR.map((name) => ({ name, bits: 64, type: name === "rbp" || name === "rsp" ? "data_ptr" : "int64", feature: "core" })),
  { name: "rip", bits: 64, type: "code_ptr", feature: "core" },
  { name: "eflags", bits: 32, type: "i386_eflags", feature: "core" },
  ...["cs", "ss", "ds", "es", "fs", "gs"].map((name) => ({ name, bits: 32, type: "int32", feature: "core" })),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ name: `st${k}`, bits: 80, type: "i387_ext", feature: "core" })),
  ...["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"].map((name) => ({ name, bits: 32, type: "int", group: "float", feature: "core" })),
  ...Array.from({ length: 16 }, (_, k) => ({ name: `xmm${k}`, bits: 128, type: "vec128", feature: "sse" })),
  { name: "mxcsr", bits: 32, type: "i386_mxcsr", group: "vector", feature: "sse" },
  { name: "orig_rax", bits: 64, type: "int", feature: "linux" },
  { name: "fs_base", bits: 64, type: "int", feature: "linux" },
  { name: "gs_base", bits: 64, type: "int", feature: "linux" },
  ...Array.from({ length: 16 }, (_, k) => ({ name: `ymm${k}h`, bits: 128, type: "uint128", feature: "avx" })),
];

/** Whether the CPU model has AVX (then gdb gets the ymm upper halves). */
export function hasAvx(cpu: CPU): boolean {
  return (cpu.features.leaf1Ecx & CPUID1_ECX.avx) !== 0;
}

/** How many registers gdb is told about ('g' packets hold exactly these). */
export function regCount(cpu: CPU): number {
  return hasAvx(cpu) ? REGS.length : REG_YMM0H;
}

const SEGS = [0x33, 0x2b, 0, 0, 0, 0];

export function targetXml(avx: boolean): string {
  const feat = (name: string, tag: string, extra: string) => {
    const regs = REGS.map((r, k) => ({ r, k }))
      .filter(({ r }) => r.feature === name)
      .map(({ r, k }) => `<reg name="${r.name}" bitsize="${r.bits}" regnum="${k}"${r.type ? ` type="${r.type}"` : ""}${r.group ? ` group="${r.group}"` : ""}/>`)
      .join("");
    return `<feature name="${tag}">${extra}${regs}</feature>`;
  };
  const flags =
    '<flags id="i386_eflags" size="4"><field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/><field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/><field name="AC" start="18" end="18"/><field name="ID" start="21" end="21"/></flags>';
  const vec =
    '<vector id="v8bf16" type="bfloat16" count="8"/><vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/><vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/><vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/><union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union><flags id="i386_mxcsr" size="4"><field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/><field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/><field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/></flags>';
  return (
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>' +
    feat("core", "org.gnu.gdb.i386.core", flags) +
    feat("sse", "org.gnu.gdb.i386.sse", vec) +
    feat("linux", "org.gnu.gdb.i386.linux", "") +
    (avx ? feat("avx", "org.gnu.gdb.i386.avx", "") : "") +
    "</target>"
  );
}

/** 128 bits of xmm slot `slot` (4 int32 lanes, low first). */
function slot128(c: CPU, slot: number): bigint {
  let v = 0n;
  for (let j = 3; j >= 0; j--) v = (v << 32n) | BigInt(c.xmm[slot * 4 + j] >>> 0);
  return v;
}

function setSlot128(c: CPU, slot: number, v: bigint): void {
  for (let j = 0; j < 4; j++) c.xmm[slot * 4 + j] = Number((v >> BigInt(32 * j)) & 0xffffffffn) | 0;
}

/** Register k of the context loaded in the CPU. */
export function regValue(c: CPU, k: number): bigint {
  if (k < 16) return c.getReg64(GPR_INDEX[k]);
  if (k === REG_RIP) return BigInt(c.rip);
  if (k === 17) return BigInt(c.getRflags() >>> 0);
  if (k < REG_ST0) return BigInt(SEGS[k - 18]);
  if (k < REG_FCTRL) {
    const phys = (c.fpuTop + (k - REG_ST0)) & 7;
    let v = 0n;
    for (let b = 9; b >= 0; b--) v = (v << 8n) | BigInt(c.fpr[phys * 16 + b]);
    return v;
  }
  if (k < REG_XMM0) {
    switch (k - REG_FCTRL) {
      case 0:
        return BigInt(c.fpuControl);
      case 1:
        return BigInt(fpuStatusWord(c));
      case 2:
        return BigInt(c.fpuTag);
      case 4:
        return BigInt(c.fpuLastIp % 4294967296);
      case 6:
        return BigInt(c.fpuLastDp % 4294967296);
      case 7:
        return BigInt(c.fpuLastOpcode);
      default:
        return 0n;
    }
  }
  if (k < REG_MXCSR) return slot128(c, k - REG_XMM0);
  if (k === REG_MXCSR) return BigInt(c.mxcsr);
  if (k === 57) return 0xffffffffffffffffn; // orig_rax: -1, not in a syscall
  if (k === REG_FS_BASE) return BigInt(c.fsBase);
  if (k === REG_GS_BASE) return BigInt(c.gsBase);
  return slot128(c, YMM_HI + (k - REG_YMM0H));
}

/** Write register k of the context loaded in the CPU (read-only ones are ignored, as segment selectors under Linux). */
export function writeReg(c: CPU, k: number, v: bigint): void {
  if (k < 16) c.setReg64Big(GPR_INDEX[k], v);
  else if (k === REG_RIP) c.rip = Number(v);
  else if (k === 17) c.setRflags(Number(v & 0xffffffffn));
  else if (k >= REG_ST0 && k < REG_FCTRL) {
    const phys = (c.fpuTop + (k - REG_ST0)) & 7;
    for (let b = 0; b < 10; b++) c.fpr[phys * 16 + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  } else if (k === REG_FCTRL) c.fpuControl = Number(v) & 0xffff;
  else if (k >= REG_XMM0 && k < REG_MXCSR) setSlot128(c, k - REG_XMM0, v);
  else if (k === REG_MXCSR) c.mxcsr = Number(v) & 0xffff;
  else if (k === REG_FS_BASE) c.fsBase = Number(v);
  else if (k === REG_GS_BASE) c.gsBase = Number(v);
  else if (k >= REG_YMM0H && k < REGS.length) setSlot128(c, YMM_HI + (k - REG_YMM0H), v);
}

export function hexLE(v: bigint, bytes: number): string {
  let s = "";
  for (let k = 0; k < bytes; k++) {
    s += Number((v >> BigInt(8 * k)) & 0xffn)
      .toString(16)
      .padStart(2, "0");
  }
  return s;
}

/** Register k as gdb's little-endian hex. */
export function readReg(c: CPU, k: number): string {
  return hexLE(regValue(c, k), REGS[k].bits / 8);
}
