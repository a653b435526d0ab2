/**
 * How strace prints each system call, by name, as strace's own syscall table
 * does: the families register their formats here (calls*.ts); a call missing
 * here prints with its definition's formats, or as raw hex.
 */
import type { ArgFormat, CallFormat } from "./format.js";
import { SYSCALL_NAMES } from "./names.js";

const BY_NR: (CallFormat | undefined)[] = [];
const NR = new Map<string, number>();
SYSCALL_NAMES.forEach((n, j) => NR.set(n, j));

/** Register how syscall `name` prints. */
export function def(name: string, args: ArgFormat[], ret?: CallFormat["ret"]): void {
  const nr = NR.get(name);
  if (nr === undefined) throw new Error(`strace table: no syscall ${name}`);
  BY_NR[nr] = { args, ret };
}

/** The strace format of syscall `nr`, if it has one. */
export function callFormat(nr: number): CallFormat | undefined {
  return BY_NR[nr];
}
