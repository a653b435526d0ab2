/**
 * Constants and flag sets by name, as strace prints them: tables of
 * [name, value] in strace's order, and the two ways of printing them (a set
 * of bits joined by `|` with any unknown rest in hex, or one value's name).
 * Values from the kernel headers (asm-generic/fcntl.h, mman-common.h,
 * ioctls.h, resource.h, signal.h...).
 */
import type { Kernel } from "../kernel.js";

export type Table = ReadonlyArray<readonly [string, number]>;

/** Bits of `v` by name (`A|B|0x40`); `zero` when v is 0. 64-bit values keep their high rest. */
export function flagNames(table: Table, v: bigint, zero = "0"): string {
  const parts: string[] = [];
  let rest = BigInt.asUintN(64, v);
  for (const [name, bit] of table) {
    const b = BigInt(bit >>> 0);
    if (b !== 0n && (rest & b) === b) {
      parts.push(name);
      rest &= ~b;
    }
  }
  if (rest) parts.push("0x" + rest.toString(16));
  return parts.length ? parts.join("|") : zero;
}

/** One value by name, else `unknown` (default: the number in hex, with strace's comment). */
export function constName(table: Table, v: number, unknown?: (v: number) => string): string {
  for (const [name, val] of table) if (val === v) return name;
  return unknown ? unknown(v) : `0x${(v >>> 0).toString(16)} /* ${table[0]?.[0].replace(/_.*/, "_") ?? ""}??? */`;
}

/** Decoder for a flag argument (low 32 bits). */
export const bits =
  (table: Table, zero = "0") =>
  (_k: Kernel, v: bigint): string =>
    flagNames(table, v & 0xffffffffn, zero);
/** Decoder for a named constant argument (low 32 bits, signed). */
export const named =
  (table: Table, unknown?: (v: number) => string) =>
  (_k: Kernel, v: bigint): string =>
    constName(table, Number(BigInt.asIntN(32, v & 0xffffffffn)), unknown);

export const OPEN: Table = [
  ["O_CREAT", 0o100],
  ["O_EXCL", 0o200],
  ["O_NOCTTY", 0o400],
  ["O_TRUNC", 0o1000],
  ["O_APPEND", 0o2000],
  ["O_NONBLOCK", 0o4000],
  ["O_SYNC", 0o4010000],
  ["O_DSYNC", 0o10000],
  ["O_DIRECT", 0o40000],
  ["O_LARGEFILE", 0o100000],
  ["O_NOFOLLOW", 0o400000],
  ["O_NOATIME", 0o1000000],
  ["O_CLOEXEC", 0o2000000],
  ["O_PATH", 0o10000000],
  ["O_TMPFILE", 0o20200000],
  ["FASYNC", 0o20000],
  ["O_DIRECTORY", 0o200000],
];
export const PROT: Table = [
  ["PROT_READ", 1],
  ["PROT_WRITE", 2],
  ["PROT_EXEC", 4],
  ["PROT_SEM", 8],
  ["PROT_GROWSDOWN", 0x01000000],
  ["PROT_GROWSUP", 0x02000000],
];
export const MAP_TYPE: Table = [
  ["MAP_SHARED", 1],
  ["MAP_PRIVATE", 2],
  ["MAP_SHARED_VALIDATE", 3],
];
export const MAP: Table = [
  ["MAP_FIXED", 0x10],
  ["MAP_ANONYMOUS", 0x20],
  ["MAP_32BIT", 0x40],
  ["MAP_GROWSDOWN", 0x100],
  ["MAP_DENYWRITE", 0x800],
  ["MAP_EXECUTABLE", 0x1000],
  ["MAP_LOCKED", 0x2000],
  ["MAP_NORESERVE", 0x4000],
  ["MAP_POPULATE", 0x8000],
  ["MAP_NONBLOCK", 0x10000],
  ["MAP_STACK", 0x20000],
  ["MAP_HUGETLB", 0x40000],
  ["MAP_SYNC", 0x80000],
  ["MAP_FIXED_NOREPLACE", 0x100000],
];
export const AT: Table = [
  ["AT_SYMLINK_NOFOLLOW", 0x100],
  ["AT_REMOVEDIR", 0x200],
  ["AT_SYMLINK_FOLLOW", 0x400],
  ["AT_NO_AUTOMOUNT", 0x800],
  ["AT_EMPTY_PATH", 0x1000],
  ["AT_EACCESS", 0x200],
];
export const SA: Table = [
  ["SA_RESTORER", 0x04000000],
  ["SA_ONSTACK", 0x08000000],
  ["SA_RESTART", 0x10000000],
  ["SA_NODEFER", 0x40000000],
  ["SA_RESETHAND", 0x80000000],
  ["SA_SIGINFO", 4],
  ["SA_NOCLDSTOP", 1],
  ["SA_NOCLDWAIT", 2],
];
export const SIG_HOW: Table = [
  ["SIG_BLOCK", 0],
  ["SIG_UNBLOCK", 1],
  ["SIG_SETMASK", 2],
];
export const IOCTL: Table = [
  ["TCGETS", 0x5401],
  ["TCSETS", 0x5402],
  ["TCSETSW", 0x5403],
  ["TCSETSF", 0x5404],
  ["TCGETA", 0x5405],
  ["TCSETA", 0x5406],
  ["TCSETAW", 0x5407],
  ["TCSETAF", 0x5408],
  ["TCSBRK", 0x5409],
  ["TCXONC", 0x540a],
  ["TCFLSH", 0x540b],
  ["TIOCEXCL", 0x540c],
  ["TIOCNXCL", 0x540d],
  ["TIOCSCTTY", 0x540e],
  ["TIOCGPGRP", 0x540f],
  ["TIOCSPGRP", 0x5410],
  ["TIOCOUTQ", 0x5411],
  ["TIOCSTI", 0x5412],
  ["TIOCGWINSZ", 0x5413],
  ["TIOCSWINSZ", 0x5414],
  ["TIOCMGET", 0x5415],
  ["TIOCMBIS", 0x5416],
  ["TIOCMBIC", 0x5417],
  ["TIOCMSET", 0x5418],
  ["FIONREAD", 0x541b],
  ["TIOCLINUX", 0x541c],
  ["TIOCCONS", 0x541d],
  ["TIOCPKT", 0x5420],
  ["FIONBIO", 0x5421],
  ["TIOCNOTTY", 0x5422],
  ["TIOCSETD", 0x5423],
  ["TIOCGETD", 0x5424],
  ["TCSBRKP", 0x5425],
  ["TIOCSBRK", 0x5427],
  ["TIOCCBRK", 0x5428],
  ["TIOCGSID", 0x5429],
  ["TIOCGPTN", 0x80045430],
  ["TIOCSPTLCK", 0x40045431],
  ["FIONCLEX", 0x5450],
  ["FIOCLEX", 0x5451],
  ["FIOASYNC", 0x5452],
];
export const FCNTL: Table = [
  ["F_DUPFD", 0],
  ["F_GETFD", 1],
  ["F_SETFD", 2],
  ["F_GETFL", 3],
  ["F_SETFL", 4],
  ["F_GETLK", 5],
  ["F_SETLK", 6],
  ["F_SETLKW", 7],
  ["F_SETOWN", 8],
  ["F_GETOWN", 9],
  ["F_SETSIG", 10],
  ["F_GETSIG", 11],
  ["F_SETOWN_EX", 15],
  ["F_GETOWN_EX", 16],
  ["F_OFD_GETLK", 36],
  ["F_OFD_SETLK", 37],
  ["F_OFD_SETLKW", 38],
  ["F_SETLEASE", 1024],
  ["F_GETLEASE", 1025],
  ["F_NOTIFY", 1026],
  ["F_DUPFD_CLOEXEC", 1030],
  ["F_SETPIPE_SZ", 1031],
  ["F_GETPIPE_SZ", 1032],
  ["F_ADD_SEALS", 1033],
  ["F_GET_SEALS", 1034],
];
export const FD_FLAGS: Table = [["FD_CLOEXEC", 1]];
export const RLIMIT: Table = [
  ["RLIMIT_CPU", 0],
  ["RLIMIT_FSIZE", 1],
  ["RLIMIT_DATA", 2],
  ["RLIMIT_STACK", 3],
  ["RLIMIT_CORE", 4],
  ["RLIMIT_RSS", 5],
  ["RLIMIT_NPROC", 6],
  ["RLIMIT_NOFILE", 7],
  ["RLIMIT_MEMLOCK", 8],
  ["RLIMIT_AS", 9],
  ["RLIMIT_LOCKS", 10],
  ["RLIMIT_SIGPENDING", 11],
  ["RLIMIT_MSGQUEUE", 12],
  ["RLIMIT_NICE", 13],
  ["RLIMIT_RTPRIO", 14],
  ["RLIMIT_RTTIME", 15],
];
export const CLOCK: Table = [
  ["CLOCK_REALTIME", 0],
  ["CLOCK_MONOTONIC", 1],
  ["CLOCK_PROCESS_CPUTIME_ID", 2],
  ["CLOCK_THREAD_CPUTIME_ID", 3],
  ["CLOCK_MONOTONIC_RAW", 4],
  ["CLOCK_REALTIME_COARSE", 5],
  ["CLOCK_MONOTONIC_COARSE", 6],
  ["CLOCK_BOOTTIME", 7],
  ["CLOCK_REALTIME_ALARM", 8],
  ["CLOCK_BOOTTIME_ALARM", 9],
  ["CLOCK_TAI", 11],
];
export const ARCH_PRCTL: Table = [
  ["ARCH_SET_GS", 0x1001],
  ["ARCH_SET_FS", 0x1002],
  ["ARCH_GET_FS", 0x1003],
  ["ARCH_GET_GS", 0x1004],
  ["ARCH_GET_CPUID", 0x1011],
  ["ARCH_SET_CPUID", 0x1012],
];
export const ITIMER: Table = [
  ["ITIMER_REAL", 0],
  ["ITIMER_VIRTUAL", 1],
  ["ITIMER_PROF", 2],
];
export const GRND: Table = [
  ["GRND_NONBLOCK", 1],
  ["GRND_RANDOM", 2],
  ["GRND_INSECURE", 4],
];
export const SEEK: Table = [
  ["SEEK_SET", 0],
  ["SEEK_CUR", 1],
  ["SEEK_END", 2],
  ["SEEK_DATA", 3],
  ["SEEK_HOLE", 4],
];
export const ACCESS: Table = [
  ["R_OK", 4],
  ["W_OK", 2],
  ["X_OK", 1],
];
export const MADV: Table = [
  ["MADV_NORMAL", 0],
  ["MADV_RANDOM", 1],
  ["MADV_SEQUENTIAL", 2],
  ["MADV_WILLNEED", 3],
  ["MADV_DONTNEED", 4],
  ["MADV_FREE", 8],
  ["MADV_REMOVE", 9],
  ["MADV_DONTFORK", 10],
  ["MADV_DOFORK", 11],
  ["MADV_MERGEABLE", 12],
  ["MADV_UNMERGEABLE", 13],
  ["MADV_HUGEPAGE", 14],
  ["MADV_NOHUGEPAGE", 15],
  ["MADV_DONTDUMP", 16],
  ["MADV_DODUMP", 17],
];
export const MREMAP: Table = [
  ["MREMAP_MAYMOVE", 1],
  ["MREMAP_FIXED", 2],
  ["MREMAP_DONTUNMAP", 4],
];
export const FUTEX_OP: Table = [
  ["FUTEX_WAIT", 0],
  ["FUTEX_WAKE", 1],
  ["FUTEX_REQUEUE", 3],
  ["FUTEX_CMP_REQUEUE", 4],
  ["FUTEX_WAKE_OP", 5],
  ["FUTEX_LOCK_PI", 6],
  ["FUTEX_UNLOCK_PI", 7],
  ["FUTEX_TRYLOCK_PI", 8],
  ["FUTEX_WAIT_BITSET", 9],
  ["FUTEX_WAKE_BITSET", 10],
  ["FUTEX_WAIT_REQUEUE_PI", 11],
  ["FUTEX_CMP_REQUEUE_PI", 12],
  ["FUTEX_LOCK_PI2", 13],
];
export const S_IFMT: Table = [
  ["S_IFSOCK", 0o140000],
  ["S_IFLNK", 0o120000],
  ["S_IFREG", 0o100000],
  ["S_IFBLK", 0o60000],
  ["S_IFDIR", 0o40000],
  ["S_IFCHR", 0o20000],
  ["S_IFIFO", 0o10000],
];
export const CLONE: Table = [
  ["CLONE_VM", 0x100],
  ["CLONE_FS", 0x200],
  ["CLONE_FILES", 0x400],
  ["CLONE_SIGHAND", 0x800],
  ["CLONE_PIDFD", 0x1000],
  ["CLONE_PTRACE", 0x2000],
  ["CLONE_VFORK", 0x4000],
  ["CLONE_PARENT", 0x8000],
  ["CLONE_THREAD", 0x10000],
  ["CLONE_NEWNS", 0x20000],
  ["CLONE_SYSVSEM", 0x40000],
  ["CLONE_SETTLS", 0x80000],
  ["CLONE_PARENT_SETTID", 0x100000],
  ["CLONE_CHILD_CLEARTID", 0x200000],
  // (0x400000, once CLONE_DETACHED, has no name in strace 6: it prints as a number)
  ["CLONE_UNTRACED", 0x800000],
  ["CLONE_CHILD_SETTID", 0x1000000],
];
export const AF: Table = [
  ["AF_UNSPEC", 0],
  ["AF_UNIX", 1],
  ["AF_INET", 2],
  ["AF_INET6", 10],
  ["AF_NETLINK", 16],
  ["AF_PACKET", 17],
];

/** open/openat flags: the access mode, then the other bits (`O_WRONLY|O_CREAT|O_TRUNC`). */
export function openFlags(v: number): string {
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][v & 3];
  const rest = flagNames(OPEN, BigInt((v & ~3) >>> 0), "");
  return rest ? `${acc}|${rest}` : acc;
}

/** A file mode in octal as strace writes it (`0666`, `000`). */
export const octalMode = (v: number): string => "0" + (v & 0o7777).toString(8).padStart(2, "0");

export const fmtOpenFlags = (_k: Kernel, v: bigint): string => openFlags(Number(v & 0xffffffffn));
export const fmtProt = bits(PROT, "PROT_NONE");
export const fmtMapFlags = (_k: Kernel, v: bigint): string => {
  const n = Number(v & 0xffffffffn);
  const type = constName(MAP_TYPE, n & 0xf, (t) => `0x${t.toString(16)} /* MAP_??? */`);
  const rest = flagNames(MAP, BigInt((n & ~0xf) >>> 0), "");
  return rest ? `${type}|${rest}` : type;
};
export const fmtAtFlags = bits(AT);
export const fmtDirfd = (_k: Kernel, v: bigint): string => (BigInt.asIntN(32, v & 0xffffffffn) === -100n ? "AT_FDCWD" : String(BigInt.asIntN(32, v & 0xffffffffn)));
export const fmtSaFlags = bits(SA);
export const fmtMode = (_k: Kernel, v: bigint): string => octalMode(Number(v & 0o7777n));
export const fmtSigHow = named(SIG_HOW, (v) => `${v} /* SIG_??? */`);
