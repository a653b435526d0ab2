/**
 * How strace prints the process calls: clone/clone3, execve, wait4, prctl,
 * credentials, groups, scheduling and limits.
 */
import type { Kernel } from "../kernel.js";
import { bits, CLONE, flagNames, named, type Table } from "./flags.js";
import { after, out } from "./format.js";
import { siginfoText } from "./lines.js";
import { def } from "./table.js";
import { cstring, hex, peek, ptr, signalArg, struct, varsComment, View, type Decoder } from "./values.js";

const int = (v: bigint) => String(BigInt.asIntN(32, v & 0xffffffffn));

/** clone's flags: the CLONE_* bits, then the exit signal. */
function cloneFlags(v: bigint): string {
  const n = v & 0xffffffffn;
  const sig = Number(n & 0xffn);
  const parts = [flagNames(CLONE, n & ~0xffn, ""), sig ? signalArg(sig) : ""].filter((x) => x);
  return parts.join("|") || "0";
}
/** One `[tid]` written by the kernel (parent_tid), or the pointer. */
function tidAt(k: Kernel, v: bigint): string {
  const b = v === 0n ? null : peek(k, Number(v), 4);
  return b ? `[${new View(b).i32(0)}]` : ptr(v);
}

/** x86-64 clone(flags, stack, parent_tid, child_tid, tls), shown as strace names the fields. */
const cloneCall: Decoder = (k, v, c) => {
  const flags = v & 0xffffffffn;
  const parts = [`child_stack=${ptr(c.arg(1))}`, `flags=${cloneFlags(flags)}`];
  if (flags & 0x100000n) parts.push(`parent_tid=${c.res > 0 ? tidAt(k, c.arg(2)) : ptr(c.arg(2))}`);
  if (flags & 0x80000n) parts.push(`tls=${ptr(c.arg(4))}`);
  if (flags & 0x1200000n) parts.push(`child_tidptr=${ptr(c.arg(3))}`);
  return parts.join(", ");
};
const hidden: Decoder = () => undefined;

/** struct clone_args (clone3) */
const cloneArgs: Decoder = (k, v) =>
  struct(k, v, 64, (s) => {
    const f = s.u64(0);
    const parts = [`flags=${flagNames(CLONE, f, "0")}`];
    if (f & 0x1000000n || f & 0x200000n) parts.push(`child_tid=${ptr(s.u64(16))}`);
    if (f & 0x100000n) parts.push(`parent_tid=${ptr(s.u64(24))}`);
    parts.push(`exit_signal=${s.u64(32) ? signalArg(Number(s.u64(32))) : "0"}`, `stack=${ptr(s.u64(40))}`, `stack_size=${hex(s.u64(48))}`);
    if (f & 0x80000n) parts.push(`tls=${ptr(s.u64(56))}`);
    return `{${parts.join(", ")}}`;
  });

/** A NULL-terminated array of strings (execve's argv), each cut at the string limit. */
const stringArray: Decoder = (k, v, c) => {
  if (v === 0n) return "NULL";
  const items: string[] = [];
  for (let j = 0; ; j++) {
    const b = peek(k, Number(v) + 8 * j, 8);
    if (!b) return items.length ? `[${items.join(", ")}, ...]` : hex(v);
    const p = new View(b).u64(0);
    if (p === 0n) break;
    if (j >= c.limit) {
      items.push("...");
      break;
    }
    items.push(cstring(k, p, c.limit));
  }
  return `[${items.join(", ")}]`;
};
/** execve's envp: the address and the count, as strace does without -v. */
const envArray: Decoder = (k, v) => {
  if (v === 0n) return "NULL";
  let n = 0;
  while (n < 100000) {
    const b = peek(k, Number(v) + 8 * n, 8);
    if (!b || new View(b).u64(0) === 0n) break;
    n++;
  }
  return `${hex(v)} ${varsComment(n)}`;
};

/** wait4's status word, as strace writes it. */
const waitStatus: Decoder = (k, v) =>
  struct(k, v, 4, (s) => {
    const st = s.i32(0);
    const sig = st & 0x7f;
    if (sig === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(st >> 8) & 0xff}}]`;
    if (sig === 0x7f) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${signalArg((st >> 8) & 0xff)}}]`;
    if (st === 0xffff) return "[{WIFCONTINUED(s)}]";
    return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signalArg(sig)}${st & 0x80 ? " && WCOREDUMP(s)" : ""}}]`;
  });
/** A siginfo_t the kernel filled (waitid, rt_sigtimedwait): `{}` when it cleared it (waitid WNOHANG, no child). */
export const fmtSiginfo: Decoder = (k, v) =>
  struct(k, v, 48, (s) => {
    const sig = s.i32(0);
    if (sig === 0) return "{}";
    return siginfoText(sig, s.i32(8), s.i32(16), s.u32(20), Number(s.i64(16)), s.i32(24), s.i64(32), s.i64(40), s.u64(24));
  });

const WAIT: Table = [
  ["WNOHANG", 1],
  ["WUNTRACED", 2],
  ["WEXITED", 4],
  ["WCONTINUED", 8],
  ["WNOWAIT", 0x01000000],
  ["__WNOTHREAD", 0x20000000],
  ["__WALL", 0x40000000],
  ["__WCLONE", 0x80000000],
];

const PR: Table = [
  ["PR_SET_PDEATHSIG", 1],
  ["PR_GET_PDEATHSIG", 2],
  ["PR_GET_DUMPABLE", 3],
  ["PR_SET_DUMPABLE", 4],
  ["PR_GET_KEEPCAPS", 7],
  ["PR_SET_KEEPCAPS", 8],
  ["PR_SET_NAME", 15],
  ["PR_GET_NAME", 16],
  ["PR_GET_SECCOMP", 21],
  ["PR_SET_SECCOMP", 22],
  ["PR_CAPBSET_READ", 23],
  ["PR_GET_TIMERSLACK", 30],
  ["PR_SET_TIMERSLACK", 29],
  ["PR_SET_MM", 35],
  ["PR_SET_CHILD_SUBREAPER", 36],
  ["PR_GET_CHILD_SUBREAPER", 37],
  ["PR_SET_NO_NEW_PRIVS", 38],
  ["PR_GET_NO_NEW_PRIVS", 39],
  ["PR_GET_TID_ADDRESS", 40],
  ["PR_SET_THP_DISABLE", 41],
  ["PR_GET_THP_DISABLE", 42],
  ["PR_CAP_AMBIENT", 47],
  ["PR_SET_VMA", 0x53564d41],
];
/** prctl(option, ...): the arguments each option has, as strace shows them. */
const prctlCall: Decoder = (k, v, c) => {
  const op = Number(v & 0xffffffffn);
  const name = named(PR, (x) => hex(x >>> 0))(k, v);
  switch (op) {
    case 16: // PR_GET_NAME: the name after the call
      return `${name}, ${c.res >= 0 ? cstring(k, c.arg(1), 16) : ptr(c.arg(1))}`;
    case 15:
      return `${name}, ${cstring(k, c.arg(1), 16)}`;
    case 3:
    case 21:
    case 39:
    case 42:
    case 30:
      return name;
    case 37: // PR_GET_CHILD_SUBREAPER: the int it wrote
      return `${name}, ${c.res >= 0 ? struct(k, c.arg(1), 4, (s) => `[${s.i32(0)}]`) : ptr(c.arg(1))}`;
    case 1:
      return `${name}, ${signalArg(Number(c.arg(1)))}`;
    case 4:
    case 8:
    case 23:
    case 29:
    case 36:
    case 38:
      return `${name}, ${String(c.arg(1))}`;
    case 41:
      return `${name}, ${String(c.arg(1))}, ${c.arg(2)}, ${c.arg(3)}, ${c.arg(4)}`;
    default:
      return [name, hex(c.arg(1)), hex(c.arg(2)), hex(c.arg(3)), hex(c.arg(4))].join(", ");
  }
};

/** getgroups' list (after the call: the result is the count) */
const groupList: Decoder = (k, v, c) => {
  const n = Math.min(Math.max(0, c.res), 65536);
  if (Number(c.arg(0)) === 0) return ptr(v);
  return struct(k, v, 4 * n, (s) => `[${Array.from({ length: n }, (_, j) => s.u32(4 * j)).join(", ")}]`);
};
const groupListIn: Decoder = (k, v, c) => {
  const n = Math.min(Number(c.arg(0)), 65536);
  return struct(k, v, 4 * n, (s) => `[${Array.from({ length: n }, (_, j) => s.u32(4 * j)).join(", ")}]`);
};
/** one id written by the kernel (getresuid's three pointers) */
const idOut: Decoder = (k, v) => struct(k, v, 4, (s) => `[${s.u32(0)}]`);
/** uid/gid arguments: -1 stays -1 */
const id = (_k: Kernel, v: bigint) => int(v);

const PRIO: Table = [
  ["PRIO_PROCESS", 0],
  ["PRIO_PGRP", 1],
  ["PRIO_USER", 2],
];
/** sched_getaffinity's CPU mask after the call: [0 1 2] */
const cpuMask: Decoder = (k, v, c) => {
  const n = Math.max(0, Math.min(c.res, 1024));
  const b = peek(k, Number(v), n);
  if (!b) return ptr(v);
  const cpus: number[] = [];
  for (let j = 0; j < 8 * n; j++) if (b[j >> 3] & (1 << (j & 7))) cpus.push(j);
  return `[${cpus.join(" ")}]`;
};

def("clone", [after(cloneCall), hidden, hidden, hidden, hidden]);
def("clone3", [cloneArgs, "u"]);
def("execve", ["str", stringArray, envArray]);
def("execveat", ["fd", "str", stringArray, envArray, bits([["AT_EMPTY_PATH", 0x1000], ["AT_SYMLINK_NOFOLLOW", 0x100]])]);
def("wait4", ["d", out(waitStatus), bits(WAIT), "ptr"]);
def("waitid", [named([["P_ALL", 0], ["P_PID", 1], ["P_PGID", 2], ["P_PIDFD", 3]]), "d", out(fmtSiginfo), bits(WAIT), "ptr"]);
def("prctl", [after(prctlCall), hidden, hidden, hidden, hidden]);
def("getgroups", ["d", out(groupList)]);
def("setgroups", ["d", groupListIn]);
def("getresuid", [out(idOut), out(idOut), out(idOut)]);
def("getresgid", [out(idOut), out(idOut), out(idOut)]);
def("setuid", [id]);
def("setgid", [id]);
def("setreuid", [id, id]);
def("setregid", [id, id]);
def("setresuid", [id, id, id]);
def("setresgid", [id, id, id]);
def("chown", ["str", id, id]);
def("fchown", ["fd", id, id]);
def("lchown", ["str", id, id]);
def("getpriority", [named(PRIO), "d"]);
def("setpriority", [named(PRIO), "d", "d"]);
def("sched_getaffinity", ["d", "u", out(cpuMask)]);
def("personality", ["x"], "x");
