/** strace-style argument formatters (flags by name), used in syscall definitions. */
import type { Kernel } from "./kernel.js";

type Table = Array<[string, number]>;

function flags(table: Table, v: number, zero = "0"): string {
  const parts: string[] = [];
  let rest = v >>> 0;
  for (const [name, bit] of table) {
    if (bit !== 0 && (rest & bit) === bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push("0x" + rest.toString(16));
  return parts.length ? parts.join("|") : zero;
}

const OPEN: Table = [
  ["O_CREAT", 0o100],
  ["O_EXCL", 0o200],
  ["O_NOCTTY", 0o400],
  ["O_TRUNC", 0o1000],
  ["O_APPEND", 0o2000],
  ["O_NONBLOCK", 0o4000],
  ["O_DSYNC", 0o10000],
  ["O_DIRECT", 0o40000],
  ["O_LARGEFILE", 0o100000],
  ["O_DIRECTORY", 0o200000],
  ["O_NOFOLLOW", 0o400000],
  ["O_NOATIME", 0o1000000],
  ["O_CLOEXEC", 0o2000000],
  ["O_PATH", 0o10000000],
];
const PROT: Table = [
  ["PROT_READ", 1],
  ["PROT_WRITE", 2],
  ["PROT_EXEC", 4],
];
const MAP: Table = [
  ["MAP_SHARED", 1],
  ["MAP_PRIVATE", 2],
  ["MAP_FIXED", 0x10],
  ["MAP_ANONYMOUS", 0x20],
  ["MAP_GROWSDOWN", 0x100],
  ["MAP_DENYWRITE", 0x800],
  ["MAP_EXECUTABLE", 0x1000],
  ["MAP_LOCKED", 0x2000],
  ["MAP_NORESERVE", 0x4000],
  ["MAP_POPULATE", 0x8000],
  ["MAP_NONBLOCK", 0x10000],
  ["MAP_STACK", 0x20000],
  ["MAP_HUGETLB", 0x40000],
  ["MAP_FIXED_NOREPLACE", 0x100000],
];
const AT: Table = [
  ["AT_SYMLINK_NOFOLLOW", 0x100],
  ["AT_REMOVEDIR", 0x200],
  ["AT_SYMLINK_FOLLOW", 0x400],
  ["AT_NO_AUTOMOUNT", 0x800],
  ["AT_EMPTY_PATH", 0x1000],
];
const SA: Table = [
  ["SA_NOCLDSTOP", 1],
  ["SA_NOCLDWAIT", 2],
  ["SA_SIGINFO", 4],
  ["SA_RESTORER", 0x04000000],
  ["SA_ONSTACK", 0x08000000],
  ["SA_RESTART", 0x10000000],
  ["SA_NODEFER", 0x40000000],
  ["SA_RESETHAND", 0x80000000],
];

export const fmtOpenFlags = (_k: Kernel, v: bigint): string => {
  const n = Number(v & 0xffffffffn);
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][n & 3];
  const rest = flags(OPEN, n & ~3, "");
  return rest ? `${acc}|${rest}` : acc;
};
export const fmtProt = (_k: Kernel, v: bigint): string => flags(PROT, Number(v & 0xffffffffn), "PROT_NONE");
export const fmtMapFlags = (_k: Kernel, v: bigint): string => flags(MAP, Number(v & 0xffffffffn));
export const fmtAtFlags = (_k: Kernel, v: bigint): string => flags(AT, Number(v & 0xffffffffn));
export const fmtDirfd = (_k: Kernel, v: bigint): string => (BigInt.asIntN(32, v) === -100n ? "AT_FDCWD" : String(BigInt.asIntN(32, v)));
export const fmtSaFlags = (_k: Kernel, v: bigint): string => flags(SA, Number(v & 0xffffffffn));
export const fmtMode = (_k: Kernel, v: bigint): string => "0" + (v & 0o7777n).toString(8);
export const fmtSigHow = (_k: Kernel, v: bigint): string => ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][Number(v)] ?? String(v);
