/** Register access by name for the API (bigint values; cold path). */
import { YMM_HI, type CPU } from "../cpu/cpu.js";
import { EmulatorError } from "./errors.js";

const R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"];
const R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"];
const R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"];
const H8 = ["ah", "ch", "dh", "bh"];

/** A resolved register: kind and index. */
export interface RegRef {
  kind: "gpr" | "rip" | "rflags" | "fs_base" | "gs_base" | "xmm" | "ymm";
  index: number;
  size: number;
  high?: boolean;
}

export function regIndex(name: string): RegRef {
  const n = name.toLowerCase();
  let k: number;
  if ((k = R64.indexOf(n)) >= 0) return { kind: "gpr", index: k, size: 8 };
  if ((k = R32.indexOf(n)) >= 0) return { kind: "gpr", index: k, size: 4 };
  if ((k = R16.indexOf(n)) >= 0) return { kind: "gpr", index: k, size: 2 };
  if ((k = R8.indexOf(n)) >= 0) return { kind: "gpr", index: k, size: 1 };
  if ((k = H8.indexOf(n)) >= 0) return { kind: "gpr", index: k, size: 1, high: true };
  if (n === "rip") return { kind: "rip", index: 0, size: 8 };
  if (n === "rflags" || n === "eflags") return { kind: "rflags", index: 0, size: 8 };
  if (n === "fs_base" || n === "gs_base") return { kind: n, index: 0, size: 8 };
  const m = /^xmm(\d+)$/.exec(n);
  if (m && Number(m[1]) < 16) return { kind: "xmm", index: Number(m[1]), size: 16 };
  const y = /^ymm(\d+)$/.exec(n);
  if (y && Number(y[1]) < 16) return { kind: "ymm", index: Number(y[1]), size: 32 };
  throw new EmulatorError(`unknown register '${name}'`);
}

/** Index in cpu.xmm of dword j (0-7) of ymm register n (the upper half lives at slot n + YMM_HI). */
function lane(n: number, j: number): number {
  return (j < 4 ? n : n + YMM_HI) * 4 + (j & 3);
}

export function readRegister(c: CPU, r: RegRef): bigint {
  switch (r.kind) {
    case "rip":
      return BigInt(c.rip);
    case "rflags":
      return BigInt(c.getRflags());
    case "fs_base":
      return BigInt(c.fsBase);
    case "gs_base":
      return BigInt(c.gsBase);
    case "xmm":
    case "ymm": {
      let v = 0n;
      for (let j = r.size / 4 - 1; j >= 0; j--) v = (v << 32n) | BigInt(c.xmm[lane(r.index, j)] >>> 0);
      return v;
    }
    default: {
      const full = c.getReg64(r.index);
      if (r.high) return (full >> 8n) & 0xffn;
      return BigInt.asUintN(r.size * 8, full);
    }
  }
}

export function writeRegister(c: CPU, r: RegRef, v: bigint): void {
  switch (r.kind) {
    case "rip":
      c.rip = Number(BigInt.asUintN(64, v));
      return;
    case "rflags":
      c.setRflags(Number(BigInt.asUintN(32, v)));
      return;
    case "fs_base":
      c.fsBase = Number(BigInt.asUintN(64, v));
      return;
    case "gs_base":
      c.gsBase = Number(BigInt.asUintN(64, v));
      return;
    case "xmm": // a legacy-style write: the upper half of the ymm register is kept
    case "ymm":
      for (let j = 0; j < r.size / 4; j++) c.xmm[lane(r.index, j)] = Number((v >> BigInt(32 * j)) & 0xffffffffn) | 0;
      return;
    default: {
      const old = c.getReg64(r.index);
      let nv: bigint;
      if (r.size === 8) nv = v;
      else if (r.size === 4) nv = BigInt.asUintN(32, v); // 32-bit writes zero the upper half
      else if (r.high) nv = (old & ~0xff00n) | ((v & 0xffn) << 8n);
      else {
        const mask = (1n << BigInt(r.size * 8)) - 1n;
        nv = (old & ~mask) | (v & mask);
      }
      c.setReg64Big(r.index, BigInt.asUintN(64, nv));
    }
  }
}
