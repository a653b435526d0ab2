/**
 * How strace prints the file, memory, signal and time system calls (see
 * table.ts): argument decoders, output arguments and result formats.
 */
import type { Kernel } from "../kernel.js";
import {
  ACCESS,
  ARCH_PRCTL,
  bits,
  CLOCK,
  FCNTL,
  FD_FLAGS,
  flagNames,
  fmtAtFlags,
  fmtDirfd,
  fmtMapFlags,
  fmtMode,
  fmtOpenFlags,
  fmtProt,
  fmtSigHow,
  FUTEX_OP,
  GRND,
  IOCTL,
  ITIMER,
  MADV,
  MREMAP,
  named,
  OPEN,
  openFlags,
  RLIMIT,
  SEEK,
} from "./flags.js";
import { after, out } from "./format.js";
import { def } from "./table.js";
import {
  fmtFdPair,
  fmtIovecIn,
  fmtIovecOut,
  fmtItimerval,
  fmtPollfds,
  fmtRlimit,
  fmtSigaction,
  fmtSigreturn,
  fmtSigset,
  fmtSockaddr,
  fmtStack,
  fmtStat,
  fmtTermios,
  fmtTimespec,
  fmtTimespec2,
  fmtTimeval,
  fmtUtsname,
  fmtWinsize,
  pollResult,
} from "./structs.js";
import { buffer, hex, ptr, type Decoder, type StraceCtx } from "./values.js";

// ---- argument decoders that depend on other arguments ---------------------------

/** open's mode: shown only with O_CREAT or O_TMPFILE (flags in argument `flagsArg`). */
const modeIfCreat =
  (flagsArg: number): Decoder =>
  (k, v, c) =>
    Number(c.arg(flagsArg) & 0xffffffffn) & (0o100 | 0o20000000) ? fmtMode(k, v) : undefined;

/** fcntl's third argument, by command. */
const fcntlArg: Decoder = (k, v, c) => {
  const cmd = Number(c.arg(1) & 0xffffffffn);
  if (cmd === 1 || cmd === 3 || cmd === 9 || cmd === 11 || cmd === 1025 || cmd === 1032 || cmd === 1034) return undefined; // F_GET*: no argument
  if (cmd === 2) return flagNames(FD_FLAGS, v & 0xffffffffn);
  if (cmd === 4) return openFlags(Number(v & 0xffffffffn));
  if (cmd === 0 || cmd === 1030 || cmd === 8 || cmd === 10 || cmd === 1031) return String(BigInt.asIntN(32, v & 0xffffffffn));
  return ptr(v);
};
const fcntlRet = (_k: Kernel, c: StraceCtx): string => {
  const cmd = Number(c.arg(1) & 0xffffffffn);
  if (cmd === 3) return `${hex(c.res)} (flags ${openFlags(c.res)})`;
  if (cmd === 1) return c.res ? `${hex(c.res)} (flags ${flagNames(FD_FLAGS, BigInt(c.res))})` : "0";
  return String(c.res);
};

/** ioctl's third argument: structs for the requests we know, else the pointer (before or after the call). */
const ioctlArg: Decoder = (k, v, c) => {
  const req = Number(c.arg(1) & 0xffffffffn);
  if (c.res < 0 && c.res >= -4095) return ptr(v);
  if (req === 0x5413 || req === 0x5414) return fmtWinsize(k, v, c);
  if (req >= 0x5401 && req <= 0x5404) return fmtTermios(k, v, c);
  if (req === 0x540f || req === 0x5410 || req === 0x5421 || req === 0x541b) return `[${pgrp(k, v)}]`;
  if (req === 0x5450 || req === 0x5451) return undefined;
  return ptr(v);
};
function pgrp(k: Kernel, v: bigint): string {
  try {
    return String(k.cpu.mem.read32(Number(v)) | 0);
  } catch {
    return hex(v);
  }
}

/** prlimit64 / getrlimit: the pid as an int */
const rlimitRes = named(RLIMIT, (v) => `${v} /* RLIMIT_??? */`);
/** getrandom's buffer is shown in hex */
const randomBuf: Decoder = (k, v, c) => buffer(k, v, Math.max(0, c.res), c.limit, true);
/** getdents64, getdents (d_reclen at 16 in both): the entry count is not decoded; the pointer and a count comment, as strace -v is not on */
const direntBuf: Decoder = (k, v, c) => `${hex(v)} /* ${countDirents(k, v, c.res)} entries */`;
function countDirents(k: Kernel, v: bigint, len: number): number {
  let n = 0;
  try {
    for (let o = 0; o < len; n++) o += k.cpu.mem.read16(Number(v) + o + 16) || len;
  } catch {
    /* count what could be read */
  }
  return n;
}
const getcwdBuf: Decoder = (k, v, c) => buffer(k, v, Math.max(0, c.res - 1), Infinity);
const umaskRet = (_k: Kernel, c: StraceCtx) => "0" + c.res.toString(8).padStart(2, "0");

// ---- the table -------------------------------------------------------------------

const atFlags = fmtAtFlags;
def("read", ["fd", "obuf2", "u"]);
def("write", ["fd", "buf2", "u"]);
def("open", ["str", fmtOpenFlags, modeIfCreat(1)]);
def("close", ["fd"]);
def("stat", ["str", out(fmtStat)]);
def("fstat", ["fd", out(fmtStat)]);
def("lstat", ["str", out(fmtStat)]);
def("poll", [fmtPollfds, "u", "d"], pollResult);
def("lseek", ["fd", "l", named(SEEK)]);
def("mmap", ["ptr", "u", fmtProt, fmtMapFlags, "fd", "x"], "x");
def("mprotect", ["ptr", "u", fmtProt]);
def("munmap", ["ptr", "u"]);
def("brk", ["ptr"], "x");
def("rt_sigaction", ["sig", fmtSigaction, out(fmtSigaction), "u"]);
def("rt_sigprocmask", [fmtSigHow, fmtSigset, out(fmtSigset), "u"]);
def("rt_sigreturn", [fmtSigreturn]);
def("ioctl", ["fd", named(IOCTL), out(ioctlArg)]);
def("pread64", ["fd", "obuf2", "u", "l"]);
def("pwrite64", ["fd", "buf2", "u", "l"]);
def("readv", ["fd", out(fmtIovecOut), "u"]);
def("writev", ["fd", fmtIovecIn, "u"]);
def("access", ["str", named([["F_OK", 0]], (v) => flagNames(ACCESS, BigInt(v)))]);
def("pipe", [out(fmtFdPair)]);
def("sched_yield", []);
// (the new address only with MREMAP_FIXED)
def("mremap", ["ptr", "u", "u", bits(MREMAP), (_k, v, c) => ((c.arg(3) & 2n) !== 0n ? ptr(v) : undefined)], "x");
def("msync", ["ptr", "u", bits([["MS_ASYNC", 1], ["MS_INVALIDATE", 2], ["MS_SYNC", 4]])]);
def("madvise", ["ptr", "u", named(MADV)]);
def("dup", ["fd"]);
def("dup2", ["fd", "fd"]);
def("pause", []);
/** nanosleep's remaining time: written on an interruption, else the address (printed after the call, as strace does) */
const remaining = after((k, v, c) => (c.res === -4 && v !== 0n ? fmtTimespec(k, v, c) : ptr(v)));
def("nanosleep", [fmtTimespec, remaining]);
def("getitimer", [named(ITIMER), out(fmtItimerval)]);
def("alarm", ["u"]);
def("setitimer", [named(ITIMER), fmtItimerval, out(fmtItimerval)]);
def("getpid", []);
def("socket", [named([["AF_UNIX", 1], ["AF_INET", 2], ["AF_INET6", 10]]), "x", "d"]);
def("connect", ["fd", fmtSockaddr, "u"]);
def("bind", ["fd", fmtSockaddr, "u"]);
def("fork", []);
def("vfork", []);
def("exit", ["d"]);
def("kill", ["d", "sig"]);
def("uname", [out(fmtUtsname)]);
def("fcntl", ["fd", named(FCNTL, (v) => `${v} /* F_??? */`), fcntlArg], fcntlRet);
def("fsync", ["fd"]);
def("fdatasync", ["fd"]);
def("truncate", ["str", "l"]);
def("ftruncate", ["fd", "l"]);
def("getcwd", [out(getcwdBuf), "u"]);
def("chdir", ["str"]);
def("fchdir", ["fd"]);
def("rename", ["str", "str"]);
def("mkdir", ["str", fmtMode]);
def("rmdir", ["str"]);
def("creat", ["str", fmtMode]);
def("link", ["str", "str"]);
def("unlink", ["str"]);
def("symlink", ["str", "str"]);
def("readlink", ["str", "obuf2", "u"]);
def("chmod", ["str", fmtMode]);
def("fchmod", ["fd", fmtMode]);
def("umask", [fmtMode], umaskRet);
def("gettimeofday", [out(fmtTimeval), "ptr"]);
def("getrlimit", [rlimitRes, out(fmtRlimit)]);
def("setrlimit", [rlimitRes, fmtRlimit]);
def("getuid", []);
def("getgid", []);
def("geteuid", []);
def("getegid", []);
def("setpgid", ["d", "d"]);
def("getppid", []);
def("getpgrp", []);
def("setsid", []);
def("getpgid", ["d"]);
def("getsid", ["d"]);
def("rt_sigpending", [out(fmtSigset), "u"]);
def("rt_sigsuspend", [fmtSigset, "u"]);
def("sigaltstack", [fmtStack, out(fmtStack)]);
def("arch_prctl", [named(ARCH_PRCTL, (v) => `${hex(v)} /* ARCH_??? */`), "x"]);
def("gettid", []);
def("tkill", ["d", "sig"]);
def("time", ["ptr"]);
/** futex's operation: `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME` */
const futexOp: Decoder = (_k, v) => {
  const n = Number(v & 0xffffffffn);
  const name = FUTEX_OP.find(([, x]) => x === (n & 0x7f))?.[0];
  if (name === undefined || (n & ~0x1ff) !== 0) return hex(n);
  return `${name}${n & 128 ? "_PRIVATE" : ""}${n & 256 ? "|FUTEX_CLOCK_REALTIME" : ""}`;
};
const futexCmd = (c: StraceCtx): number => Number(c.arg(1) & 0x7fn);
const u32 = (v: bigint): string => String(v & 0xffffffffn);
const bitset = (v: bigint): string => ((v & 0xffffffffn) === 0xffffffffn ? "FUTEX_BITSET_MATCH_ANY" : hex(v & 0xffffffffn));
const WAKE_OPS = ["FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN", "FUTEX_OP_XOR"];
const WAKE_CMPS = ["FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT", "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE"];
/** FUTEX_WAKE_OP's encoded operation: `FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1` */
const wakeOp = (v: bigint): string => {
  const n = Number(v & 0xffffffffn);
  const op = (n >>> 28) & 7;
  const cmp = (n >>> 24) & 15;
  const opName = (WAKE_OPS[op] ?? String(op)) + (n & 0x80000000 ? "|FUTEX_OP_OPARG_SHIFT" : "");
  return `${opName}<<28|${(n >>> 12) & 0xfff}<<12|${WAKE_CMPS[cmp] ?? String(cmp)}<<24|${hex(n & 0xfff)}`;
};
/** futex's arguments after val, as strace shows them: only those the operation reads. */
const futexArg =
  (j: number): Decoder =>
  (k, v, c) => {
    switch (futexCmd(c)) {
      case 0: // WAIT: the timeout
        return j === 3 ? fmtTimespec(k, v, c) : undefined;
      case 9: // WAIT_BITSET: the timeout and the bitset
        return j === 3 ? fmtTimespec(k, v, c) : j === 5 ? bitset(v) : undefined;
      case 10: // WAKE_BITSET: the bitset
        return j === 5 ? bitset(v) : undefined;
      case 3: // REQUEUE: val2 and uaddr2
        return j === 3 ? u32(v) : j === 4 ? ptr(v) : undefined;
      case 4: // CMP_REQUEUE: val2, uaddr2 and val3
        return j === 3 ? u32(v) : j === 4 ? ptr(v) : u32(v);
      case 5: // WAKE_OP
        return j === 3 ? u32(v) : j === 4 ? ptr(v) : wakeOp(v);
      case 1: // WAKE: nothing more
        return undefined;
      case 6: // LOCK_PI, LOCK_PI2: the timeout only (no val)
      case 13:
        return j === 3 ? fmtTimespec(k, v, c) : undefined;
      case 7: // UNLOCK_PI, TRYLOCK_PI: the word only
      case 8:
        return undefined;
      case 11: // WAIT_REQUEUE_PI: the timeout and uaddr2
        return j === 3 ? fmtTimespec(k, v, c) : j === 4 ? ptr(v) : undefined;
      case 12: // CMP_REQUEUE_PI: as CMP_REQUEUE
        return j === 3 ? u32(v) : j === 4 ? ptr(v) : u32(v);
      default:
        return j === 3 || j === 4 ? ptr(v) : hex(v);
    }
  };
/** futex's val: not read by the PI lock operations (6, 7, 8, 13), not shown for them */
const futexVal: Decoder = (_k, v, c) => ([6, 7, 8, 13].includes(futexCmd(c)) ? undefined : u32(v));
def("futex", ["ptr", futexOp, futexVal, futexArg(3), futexArg(4), futexArg(5)]);
def("set_tid_address", ["ptr"]);
def("clock_gettime", [named(CLOCK), out(fmtTimespec)]);
def("clock_getres", [named(CLOCK), out(fmtTimespec)]);
def("timer_create", [named(CLOCK), "ptr", "ptr"]);
def("clock_nanosleep", [named(CLOCK), named([["0", 0], ["TIMER_ABSTIME", 1]]), fmtTimespec, remaining]);
def("exit_group", ["d"]);
def("tgkill", ["d", "d", "sig"]);
def("openat", [fmtDirfd, "str", fmtOpenFlags, modeIfCreat(2)]);
def("mkdirat", [fmtDirfd, "str", fmtMode]);
def("newfstatat", [fmtDirfd, "str", out(fmtStat), atFlags]);
def("unlinkat", [fmtDirfd, "str", atFlags]);
def("renameat", [fmtDirfd, "str", fmtDirfd, "str"]);
def("linkat", [fmtDirfd, "str", fmtDirfd, "str", atFlags]);
def("symlinkat", ["str", fmtDirfd, "str"]);
def("readlinkat", [fmtDirfd, "str", "obuf3", "u"]);
def("fchmodat", [fmtDirfd, "str", fmtMode]);
def("faccessat", [fmtDirfd, "str", named([["F_OK", 0]], (v) => flagNames(ACCESS, BigInt(v)))]);
def("faccessat2", [fmtDirfd, "str", named([["F_OK", 0]], (v) => flagNames(ACCESS, BigInt(v))), atFlags]);
def("utimensat", [fmtDirfd, "str", fmtTimespec2, atFlags]);
def("dup3", ["fd", "fd", bits(OPEN)]);
def("pipe2", [out(fmtFdPair), bits(OPEN)]);
def("prlimit64", ["d", rlimitRes, fmtRlimit, out(fmtRlimit)]);
def("getrandom", [out(randomBuf), "u", bits(GRND)]);
def("set_robust_list", ["ptr", "u"]);
def("getdents64", ["fd", out(direntBuf), "u"]);
def("getdents", ["fd", out(direntBuf), "u"]);
def("renameat2", [fmtDirfd, "str", fmtDirfd, "str", bits([["RENAME_NOREPLACE", 1], ["RENAME_EXCHANGE", 2], ["RENAME_WHITEOUT", 4]])]);
def("rseq", ["ptr", "x", "x", "x"]);
def("sched_setaffinity", ["d", "u", "ptr"]);
def("getrusage", [named([["RUSAGE_SELF", 0], ["RUSAGE_CHILDREN", -1], ["RUSAGE_THREAD", 1]]), "ptr"]);
def("mlock", ["ptr", "u"]);
def("munlock", ["ptr", "u"]);
def("sysinfo", ["ptr"]);
def("times", ["ptr"]);
def("statx", [fmtDirfd, "str", atFlags, "x", "ptr"]);
