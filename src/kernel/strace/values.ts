/**
 * strace's value syntax: quoted strings with its escapes and length limit,
 * signal names and signal sets, numbers and pointers, and safe reads of guest
 * memory (an unreadable struct prints as its address, as strace does).
 */
import type { Kernel } from "../kernel.js";
import { sigName } from "../kernel.js";

/** What a decoder knows about the call it decodes. */
export interface StraceCtx {
  k: Kernel;
  /** raw argument j (0..5) */
  arg(j: number): bigint;
  /** the call's result (decoders of out-arguments run after the call) */
  res: number;
  /** -s N: the longest string shown */
  limit: number;
}

/** An argument decoder. `undefined`: the argument is not shown (open's mode without O_CREAT). */
export type Decoder = (k: Kernel, v: bigint, c: StraceCtx) => string | undefined;

export const hex = (v: bigint | number): string => (v === 0 || v === 0n ? "0" : "0x" + BigInt.asUintN(64, BigInt(v)).toString(16));
export const ptr = (v: bigint | number): string => (v === 0 || v === 0n ? "NULL" : hex(v));

/** A byte string in strace's quoting: `"a\1b\n"`; more than `limit` bytes end in `...`. */
export function quote(bytes: Uint8Array, limit: number, forceHex = false, truncated = bytes.length > limit): string {
  let s = '"';
  const n = Math.min(bytes.length, limit);
  for (let k = 0; k < n; k++) {
    const b = bytes[k];
    if (forceHex) s += "\\x" + b.toString(16).padStart(2, "0");
    else if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += "\\\\";
    else if (b === 10) s += "\\n";
    else if (b === 9) s += "\\t";
    else if (b === 13) s += "\\r";
    else if (b === 11) s += "\\v";
    else if (b === 12) s += "\\f";
    else if (b >= 32 && b < 127) s += String.fromCharCode(b);
    else {
      const next = k + 1 < n ? bytes[k + 1] : 0;
      s += "\\" + (next >= 0x30 && next <= 0x37 ? b.toString(8).padStart(3, "0") : b.toString(8));
    }
  }
  s += '"';
  if (truncated) s += "...";
  return s;
}

/** Guest bytes, or null when unreadable. */
export function peek(k: Kernel, addr: number, len: number): Uint8Array | null {
  try {
    return k.cpu.mem.readBytes(addr, len);
  } catch {
    return null;
  }
}

/** Little-endian fields of a struct read from the guest. */
export class View {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u64(o: number): bigint {
    return this.dv.getBigUint64(o, true);
  }
  i64(o: number): bigint {
    return this.dv.getBigInt64(o, true);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  i32(o: number): number {
    return this.dv.getInt32(o, true);
  }
  u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
}

/** Decode a struct of `size` bytes at `v`, or print the pointer when it is NULL or unreadable. */
export function struct(k: Kernel, v: bigint, size: number, fmt: (s: View) => string): string {
  if (v === 0n) return "NULL";
  const b = peek(k, Number(v), size);
  return b ? fmt(new View(b)) : hex(v);
}

/** A NUL-terminated guest string (paths: not limited), or the pointer when unreadable. */
export function cstring(k: Kernel, v: bigint, limit = Infinity): string {
  if (v === 0n) return "NULL";
  try {
    const max = Number.isFinite(limit) ? limit + 1 : 4096;
    const s = k.cpu.mem.readCString(Number(v), max);
    return quote(s, Math.min(s.length, limit), false, s.length > limit);
  } catch {
    return hex(v);
  }
}

/** A buffer of `len` bytes at `v` (limited), or the pointer when unreadable. */
export function buffer(k: Kernel, v: bigint, len: number, limit: number, forceHex = false): string {
  if (v === 0n && len > 0) return "NULL";
  const b = peek(k, Number(v), Math.min(len, limit));
  return b ? quote(b, limit, forceHex, len > limit) : hex(v);
}

/** Signal name inside a set: `USR1`, `RTMIN`, `RT_2`. */
function setMember(n: number): string {
  if (n === 32) return "RTMIN";
  if (n > 32) return `RT_${n - 32}`;
  return sigName(n).replace(/^SIG/, "");
}

/** A 64-signal set as strace prints it: `[USR1 ALRM]`, or `~[...]` when more than half are set. */
export function sigset(mask: bigint): string {
  const m = BigInt.asUintN(64, mask);
  let count = 0;
  for (let b = 0n; b < 64n; b++) if ((m >> b) & 1n) count++;
  const inv = count > 32;
  const shown = inv ? ~m & 0xffffffffffffffffn : m;
  const names: string[] = [];
  for (let n = 1; n <= 64; n++) if ((shown >> BigInt(n - 1)) & 1n) names.push(setMember(n));
  return `${inv ? "~" : ""}[${names.join(" ")}]`;
}

/** Signal number as strace prints an argument: SIGUSR1, SIGRTMIN, SIGRT_2, or the number. */
export function signalArg(n: number): string {
  if (n === 32) return "SIGRTMIN";
  if (n > 32 && n <= 64) return `SIGRT_${n - 32}`;
  if (n >= 1 && n < 32) return sigName(n);
  return String(n);
}

/** strace's comment after execve's envp address, singular for one entry ("1 var", "2 vars", "0 vars"). */
export function varsComment(n: number): string {
  return `/* ${n} ${n === 1 ? "var" : "vars"} */`;
}
