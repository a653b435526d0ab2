/**
 * The strace line of one system call: arguments decoded before the call
 * (inputs) and after it (outputs, `out(...)`), the result with errno names
 * and messages, the result column strace aligns to, and an optional prefix
 * (`[pid N] ` for multi-task output) as a parameter of the line.
 */
import type { Kernel, SyscallDef } from "../kernel.js";
import { RESULT_KEEP } from "../kernel.js";
import { errnoMessage, errnoName } from "../names.js";
import { SYSCALL_NAMES } from "./names.js";
import type { OpenCall } from "./out.js";
import { buffer, cstring, hex, ptr, signalArg, type Decoder, type StraceCtx } from "./values.js";

/** Shown after the call (a successful one; a failed call shows the address, unless `always`). */
export interface OutArg {
  out: Decoder;
  always?: boolean;
  /** A value-result argument (a socklen): shown `[in => out]` when the call changed it. */
  inout?: boolean;
}
export const out = (d: Decoder): OutArg => ({ out: d });
/** Decoded after the call whatever its result (clone's fields). */
export const after = (d: Decoder): OutArg => ({ out: d, always: true });
/** Read before and after the call: `[128 => 16]` when it changed, as strace prints a value-result length. */
export const inout = (d: Decoder): OutArg => ({ out: d, inout: true });

/** strace's `[in => out]` for a value-result argument that changed. */
function changed(before: string | undefined, now: string | undefined): string | undefined {
  if (before === undefined || now === undefined || before === now || !/^\[.*\]$/.test(before) || !/^\[.*\]$/.test(now)) return now;
  return `[${before.slice(1, -1)} => ${now.slice(1, -1)}]`;
}

/**
 * How an argument prints: `d` int, `l` signed 64-bit, `u` unsigned, `x` hex,
 * `fd` descriptor, `str` path, `sig` signal, `ptr` pointer, `bufN` input
 * bytes (length in argument N), `obufN` output bytes (length: the result), a
 * decoder, or an output decoder.
 */
export type ArgFormat = "d" | "l" | "u" | "x" | "fd" | "str" | "sig" | "ptr" | `buf${number}` | `obuf${number}` | Decoder | OutArg;

/** How strace prints one system call: its arguments and, optionally, its result. */
export interface CallFormat {
  args: ArgFormat[];
  ret?: "d" | "x" | "o" | ((k: Kernel, c: StraceCtx) => string);
}

/** Interrupted calls as strace sees them inside the kernel (before the signal handler runs). */
const RESTART: Record<string, string> = {
  pause: "ERESTARTNOHAND (To be restarted if no handler)",
  rt_sigsuspend: "ERESTARTNOHAND (To be restarted if no handler)",
  nanosleep: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
  clock_nanosleep: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
};

/** `-1 ENOENT (No such file or directory)` */
export function errnoText(e: number): string {
  const name = errnoName(e);
  return name ? `-1 ${name} (${errnoMessage(e) || name})` : `-1 errno ${e}`;
}

class Ctx implements StraceCtx {
  res = 0;
  limit = 32;
  constructor(readonly k: Kernel) {}
  arg(j: number): bigint {
    return this.k.args.big(j);
  }
}

/** A call being traced: the input arguments, already formatted; the outputs are filled in at the end. */
export interface TracedCall {
  name: string;
  parts: (string | undefined)[];
  /** Output arguments: index, decoder, shown even after a failure, the value-result's text before the call. */
  outs: Array<[number, Decoder, boolean, string | undefined]>;
  format: CallFormat | null;
  ctx: Ctx;
  /** How many arguments print at entry, before the first output (strace's `read(3, ` of an unfinished line). */
  split: number;
  /** While parked: its open line (see out.ts). */
  open: OpenCall | null;
}

function formatArg(k: Kernel, f: ArgFormat, v: bigint, c: StraceCtx, after: boolean): string | undefined {
  if (typeof f === "function") return f(k, v, c);
  if (typeof f === "object") return f.out(k, v, c);
  switch (f) {
    case "d":
    case "fd":
      return String(BigInt.asIntN(32, v & 0xffffffffn));
    case "l":
      return String(BigInt.asIntN(64, v));
    case "u":
      return String(BigInt.asUintN(64, v));
    case "x":
      return hex(v);
    case "ptr":
      return ptr(v);
    case "sig":
      return signalArg(Number(BigInt.asIntN(32, v & 0xffffffffn)));
    case "str":
      return cstring(k, v);
    default: {
      const isOut = f.startsWith("obuf");
      // (an output: the bytes the result says, within the buffer's length)
      const len = isOut ? (after ? Math.min(Math.max(0, c.res), Number(c.arg(Number(f.slice(4))))) : 0) : Number(c.arg(Number(f.slice(3))));
      return buffer(k, v, len, c.limit);
    }
  }
}

/** Format the inputs of a call, before it runs. */
export function straceEnter(k: Kernel, nr: number, def: SyscallDef | undefined, format: CallFormat | undefined, limit: number): TracedCall {
  const ctx = new Ctx(k);
  ctx.limit = limit;
  const name = def?.name ?? SYSCALL_NAMES[nr] ?? `syscall_${hex(nr)}`;
  const fmt: CallFormat | null = format ?? (def ? { args: def.args as ArgFormat[], ret: def.ret === "none" ? undefined : def.ret } : null);
  const parts: (string | undefined)[] = [];
  const outs: Array<[number, Decoder, boolean, string | undefined]> = [];
  let split = -1;
  if (!fmt) {
    for (let j = 0; j < 6; j++) parts.push(hex(ctx.arg(j)));
  } else {
    fmt.args.forEach((f, j) => {
      const isOut = typeof f === "object" || (typeof f === "string" && f.startsWith("obuf"));
      if (isOut) {
        if (split < 0) split = j;
        const before = typeof f === "object" && f.inout === true ? f.out(k, ctx.arg(j), ctx) : undefined;
        outs.push([j, typeof f === "object" ? f.out : (kk, v, c) => formatArg(kk, f, v, c, true), typeof f === "object" && f.always === true, before]);
        parts.push("");
      } else parts.push(formatArg(k, f, ctx.arg(j), ctx, false));
    });
  }
  return { name, parts, outs, format: fmt, ctx, split: split < 0 ? parts.length : split, open: null };
}

/** The arguments shown before the first output, and the rest. */
function splitArgs(t: TracedCall): [string[], string[]] {
  const head: string[] = [];
  const tail: string[] = [];
  t.parts.forEach((p, j) => {
    if (p !== undefined) (j < t.split ? head : tail).push(p);
  });
  return [head, tail];
}

/** What strace prints at a call's entry: `read(3, ` (ended by ` <unfinished ...>` when another line comes first). */
export function straceHead(t: TracedCall, prefix: string): string {
  const [head, tail] = splitArgs(t);
  return `${prefix}${t.name}(${head.join(", ")}${head.length > 0 && tail.length > 0 ? ", " : ""}`;
}

/** A parked call whose task was killed: `<... read resumed> <unfinished ...>) = ?`, or the whole head when it was never shown. */
export function straceKilled(t: TracedCall, prefix: string, shown: boolean): string {
  return `${shown ? `${prefix}<... ${t.name} resumed>` : straceHead(t, prefix)} <unfinished ...>) = ?`;
}

/** The result as strace prints it. */
function resultText(k: Kernel, t: TracedCall, res: number): string {
  if (res < 0 && res >= -4095) {
    if (res === -4 && RESTART[t.name]) return `? ${RESTART[t.name]}`;
    if (res === -512) return "? ERESTARTSYS (To be restarted if SA_RESTART is set)";
    if (res === -513) return "? ERESTARTNOINTR (To be restarted)";
    return errnoText(-res);
  }
  const ret = t.format?.ret;
  if (typeof ret === "function") return ret(k, t.ctx);
  if (ret === "x") return hex(res);
  if (ret === "o") return "0" + res.toString(8).padStart(2, "0");
  return String(res);
}

/**
 * The finished line: `prefix` + call, padded to strace's result column (40),
 * then ` = result`; `res` null for a call that does not return (exit).
 */
export function straceExit(k: Kernel, t: TracedCall, res: number | null, prefix = ""): string {
  return straceEnd(k, t, res, prefix, false);
}

/** The end of a call as a whole line, or (`resumed`) as `<... NAME resumed>` and the arguments after the head. */
export function straceEnd(k: Kernel, t: TracedCall, res: number | null, prefix: string, resumed: boolean): string {
  if (res === RESULT_KEEP) {
    // rt_sigreturn: rax is the restored one
    const r = k.cpu.r;
    res = r[1] * 4294967296 + (r[0] >>> 0);
  }
  t.ctx.res = res ?? 0;
  const ok = res !== null && (res >= 0 || res < -4095);
  for (const [j, d, always, before] of t.outs) {
    const v = t.ctx.arg(j);
    // (a value-result argument shows its value before the call when the call failed)
    t.parts[j] = ok || always ? changed(before, d(k, v, t.ctx)) : (before ?? ptr(v));
  }
  let call: string;
  if (resumed) {
    const [, tail] = splitArgs(t);
    call = `<... ${t.name} resumed>${tail.join(", ")})`;
  } else call = `${t.name}(${t.parts.filter((p) => p !== undefined).join(", ")})`;
  return syscallLine(prefix, call, res === null ? "?" : resultText(k, t, res));
}

/** `call = result` with the result at strace's column. */
export function syscallLine(prefix: string, call: string, result: string): string {
  const head = prefix + call;
  return `${head.length < 39 ? head.padEnd(39) : head} = ${result}`;
}
