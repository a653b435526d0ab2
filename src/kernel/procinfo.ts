/**
 * Process attributes programs query and set: prctl (name, death signal,
 * dumpable, no_new_privs, subreaper, timer slack...), credentials
 * (getresuid/getresgid, the setuid family as an unprivileged user may use it,
 * getgroups), scheduling information (sched_* policies and priorities,
 * getpriority/setpriority, getcpu), personality, and getrusage with the
 * host's real figures for this process.
 */
import { defineSyscall, type Args, type Kernel } from "./kernel.js";
import { commName } from "./proc.js";
import { procCpuNs, rusageBytes, taskCpuNs } from "./time.js";
import { EACCES, EFAULT, EINVAL, EPERM, ESRCH } from "./errno.js";


interface ProcAttrs {
  pdeathsig: number;
  dumpable: number;
  keepcaps: number;
  noNewPrivs: number;
  subreaper: number;
  timerslack: number;
  thpDisable: number;
  nice: number;
  personality: number;
}

/** The process's nice value (-20..19). */
export function niceValue(k: Kernel): number {
  return attrs(k).nice;
}

function attrs(k: Kernel): ProcAttrs {
  let s = k.state.procAttrs as ProcAttrs | undefined;
  if (!s) {
    s = { pdeathsig: 0, dumpable: 1, keepcaps: 0, noNewPrivs: 0, subreaper: 0, timerslack: 50000, thpDisable: 0, nice: k.host.getpriority?.() ?? 0, personality: 0 };
    k.state.procAttrs = s;
  }
  return s;
}

function put32(k: Kernel, addr: number, v: number): number {
  try {
    k.cpu.mem.write32(addr, v);
    return 0;
  } catch {
    return -EFAULT;
  }
}

/** pid 0 or the process itself (these calls act on one process here). */
const isSelf = (k: Kernel, pid: number) => pid === 0 || pid === k.host.getpid();

// ---- prctl -----------------------------------------------------------------------------------

const PR = {
  SET_PDEATHSIG: 1,
  GET_PDEATHSIG: 2,
  GET_DUMPABLE: 3,
  SET_DUMPABLE: 4,
  GET_KEEPCAPS: 7,
  SET_KEEPCAPS: 8,
  SET_NAME: 15,
  GET_NAME: 16,
  GET_SECCOMP: 21,
  CAPBSET_READ: 23,
  SET_TIMERSLACK: 29,
  GET_TIMERSLACK: 30,
  MCE_KILL_GET: 34,
  SET_MM: 35,
  SET_CHILD_SUBREAPER: 36,
  GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  GET_TID_ADDRESS: 40,
  SET_THP_DISABLE: 41,
  GET_THP_DISABLE: 42,
  CAP_AMBIENT: 47,
  SET_VMA: 0x53564d41,
  SET_PTRACER: 0x59616d61,
} as const;
const PR_NAMES = Object.fromEntries(Object.entries(PR).map(([n, v]) => [v, "PR_" + n]));

function prctl(k: Kernel, a: Args): number {
  const s = attrs(k);
  const opt = a.i32(0);
  const arg2 = a.u(1);
  switch (opt) {
    case PR.SET_NAME: {
      try {
        const b = k.cpu.mem.readCString(arg2, 16).subarray(0, 15);
        k.state.comm = new TextDecoder().decode(b);
      } catch {
        return -EFAULT;
      }
      return 0;
    }
    case PR.GET_NAME: {
      const name = new TextEncoder().encode(commName(k)).subarray(0, 15);
      const b = new Uint8Array(16);
      b.set(name);
      return k.copyOut(arg2, b);
    }
    case PR.SET_PDEATHSIG:
      if (arg2 > 64) return -EINVAL;
      s.pdeathsig = arg2;
      return 0;
    case PR.GET_PDEATHSIG:
      return put32(k, arg2, s.pdeathsig);
    case PR.GET_DUMPABLE:
      return s.dumpable;
    case PR.SET_DUMPABLE:
      if (arg2 > 1) return -EINVAL;
      s.dumpable = arg2;
      return 0;
    case PR.GET_KEEPCAPS:
      return s.keepcaps;
    case PR.SET_KEEPCAPS:
      if (arg2 > 1) return -EINVAL;
      s.keepcaps = arg2;
      return 0;
    case PR.GET_SECCOMP:
      return 0;
    case PR.CAPBSET_READ:
      return arg2 <= 40 ? 1 : -EINVAL;
    case PR.SET_TIMERSLACK:
      s.timerslack = arg2 === 0 ? 50000 : arg2;
      return 0;
    case PR.GET_TIMERSLACK:
      return s.timerslack;
    case PR.MCE_KILL_GET:
      return 2; // PR_MCE_KILL_DEFAULT
    case PR.SET_MM:
      return -EPERM;
    case PR.SET_CHILD_SUBREAPER:
      s.subreaper = arg2 ? 1 : 0;
      return 0;
    case PR.GET_CHILD_SUBREAPER:
      return put32(k, arg2, s.subreaper);
    case PR.SET_NO_NEW_PRIVS:
      if (arg2 !== 1 || a.u(2) || a.u(3) || a.u(4)) return -EINVAL;
      s.noNewPrivs = 1;
      return 0;
    case PR.GET_NO_NEW_PRIVS:
      return a.u(1) || a.u(2) || a.u(3) || a.u(4) ? -EINVAL : s.noNewPrivs;
    case PR.GET_TID_ADDRESS: {
      const v = (k.state.clearChildTid as number | undefined) ?? 0;
      try {
        k.cpu.mem.write64(arg2, v % 4294967296 | 0, Math.floor(v / 4294967296));
        return 0;
      } catch {
        return -EFAULT;
      }
    }
    case PR.SET_THP_DISABLE:
      s.thpDisable = arg2 ? 1 : 0;
      return 0;
    case PR.GET_THP_DISABLE:
      return s.thpDisable;
    case PR.CAP_AMBIENT:
      return arg2 === 1 ? 0 : arg2 === 4 ? 0 : -EPERM; // IS_SET: no; CLEAR_ALL: done; RAISE/LOWER need the capability
    case PR.SET_VMA:
    case PR.SET_PTRACER:
      return 0;
    default:
      return -EINVAL;
  }
}

defineSyscall({ nr: 157, name: "prctl", args: [(k, v) => PR_NAMES[Number(v)] ?? String(v), "x", "x", "x", "x"], fn: prctl });

// ---- credentials --------------------------------------------------------------------------------

function putIds(k: Kernel, a: Args, id: number): number {
  for (let j = 0; j < 3; j++) if (put32(k, a.u(j), id)) return -EFAULT;
  return 0;
}
defineSyscall({ nr: 118, name: "getresuid", args: ["ptr", "ptr", "ptr"], fn: (k, a) => putIds(k, a, k.host.getuid()) });
defineSyscall({ nr: 120, name: "getresgid", args: ["ptr", "ptr", "ptr"], fn: (k, a) => putIds(k, a, k.host.getgid()) });

/** A set*id call: each id is -1 (unchanged) or the current one; anything else needs privileges this process cannot take. */
function setIds(k: Kernel, a: Args, n: number, cur: number): number {
  for (let j = 0; j < n; j++) {
    const v = a.i32(j);
    if (v !== -1 && v !== cur) return -EPERM;
  }
  return 0;
}
const uidOf = (k: Kernel) => k.host.getuid();
const gidOf = (k: Kernel) => k.host.getgid();
defineSyscall({ nr: 105, name: "setuid", args: ["d"], fn: (k, a) => (a.i32(0) === -1 ? -EINVAL : setIds(k, a, 1, uidOf(k))) });
defineSyscall({ nr: 106, name: "setgid", args: ["d"], fn: (k, a) => (a.i32(0) === -1 ? -EINVAL : setIds(k, a, 1, gidOf(k))) });
defineSyscall({ nr: 113, name: "setreuid", args: ["d", "d"], fn: (k, a) => setIds(k, a, 2, uidOf(k)) });
defineSyscall({ nr: 114, name: "setregid", args: ["d", "d"], fn: (k, a) => setIds(k, a, 2, gidOf(k)) });
defineSyscall({ nr: 117, name: "setresuid", args: ["d", "d", "d"], fn: (k, a) => setIds(k, a, 3, uidOf(k)) });
defineSyscall({ nr: 119, name: "setresgid", args: ["d", "d", "d"], fn: (k, a) => setIds(k, a, 3, gidOf(k)) });
// setfsuid/setfsgid return the previous id whether or not they change it
defineSyscall({ nr: 122, name: "setfsuid", args: ["d"], fn: (k) => uidOf(k) });
defineSyscall({ nr: 123, name: "setfsgid", args: ["d"], fn: (k) => gidOf(k) });

defineSyscall({
  nr: 115,
  name: "getgroups",
  args: ["d", "ptr"],
  fn: (k, a) => {
    const groups = k.host.getgroups?.() ?? [k.host.getgid()];
    const size = a.i32(0);
    if (size < 0) return -EINVAL;
    if (size === 0) return groups.length;
    if (size < groups.length) return -EINVAL;
    const b = new Uint8Array(groups.length * 4);
    const dv = new DataView(b.buffer);
    groups.forEach((g, j) => dv.setUint32(4 * j, g, true));
    return k.copyOut(a.u(1), b) || groups.length;
  },
});
defineSyscall({ nr: 116, name: "setgroups", args: ["d", "ptr"], fn: (k, a) => (a.i32(0) < 0 || a.i32(0) > 65536 ? -EINVAL : -EPERM) });

// ---- scheduling ---------------------------------------------------------------------------------

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const SCHED_DEADLINE = 6;
const knownPolicy = (p: number) => p === SCHED_OTHER || p === SCHED_FIFO || p === SCHED_RR || p === SCHED_BATCH || p === SCHED_IDLE || p === SCHED_DEADLINE;

defineSyscall({ nr: 145, name: "sched_getscheduler", args: ["d"], fn: (k, a) => (a.i32(0) < 0 ? -EINVAL : isSelf(k, a.i32(0)) ? SCHED_OTHER : -ESRCH) });
defineSyscall({
  nr: 143,
  name: "sched_getparam",
  args: ["d", "ptr"],
  fn: (k, a) => (a.i32(0) < 0 || a.u(1) === 0 ? -EINVAL : isSelf(k, a.i32(0)) ? put32(k, a.u(1), 0) : -ESRCH),
});
function schedParam(k: Kernel, addr: number): number | null {
  try {
    return k.cpu.mem.read32(addr);
  } catch {
    return null;
  }
}
defineSyscall({
  nr: 142,
  name: "sched_setparam",
  args: ["d", "ptr"],
  fn: (k, a) => {
    if (a.i32(0) < 0 || a.u(1) === 0) return -EINVAL;
    if (!isSelf(k, a.i32(0))) return -ESRCH;
    const prio = schedParam(k, a.u(1));
    if (prio === null) return -EFAULT;
    return prio === 0 ? 0 : -EINVAL;
  },
});
defineSyscall({
  nr: 144,
  name: "sched_setscheduler",
  args: ["d", "d", "ptr"],
  fn: (k, a) => {
    const policy = a.i32(1) & ~0x40000000; // SCHED_RESET_ON_FORK
    if (a.i32(0) < 0 || a.u(2) === 0 || !knownPolicy(policy)) return -EINVAL;
    if (!isSelf(k, a.i32(0))) return -ESRCH;
    const prio = schedParam(k, a.u(2));
    if (prio === null) return -EFAULT;
    const rt = policy === SCHED_FIFO || policy === SCHED_RR;
    if (rt ? prio < 1 || prio > 99 : prio !== 0) return -EINVAL;
    if (rt || policy === SCHED_DEADLINE) return -EPERM; // real-time policies need CAP_SYS_NICE on the host
    return 0;
  },
});
defineSyscall({ nr: 146, name: "sched_get_priority_max", args: ["d"], fn: (k, a) => (a.i32(0) === SCHED_FIFO || a.i32(0) === SCHED_RR ? 99 : knownPolicy(a.i32(0)) ? 0 : -EINVAL) });
defineSyscall({ nr: 147, name: "sched_get_priority_min", args: ["d"], fn: (k, a) => (a.i32(0) === SCHED_FIFO || a.i32(0) === SCHED_RR ? 1 : knownPolicy(a.i32(0)) ? 0 : -EINVAL) });
defineSyscall({
  nr: 148,
  name: "sched_rr_get_interval",
  args: ["d", "ptr"],
  fn: (k, a) => {
    if (a.i32(0) < 0) return -EINVAL;
    if (!isSelf(k, a.i32(0))) return -ESRCH;
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigInt64(8, 100000000n, true); // the round-robin quantum, 100 ms
    return k.copyOut(a.u(1), b);
  },
});
defineSyscall({
  nr: 309,
  name: "getcpu",
  args: ["ptr", "ptr", "ptr"],
  fn: (k, a) => {
    if (a.u(0) && put32(k, a.u(0), 0)) return -EFAULT;
    if (a.u(1) && put32(k, a.u(1), 0)) return -EFAULT;
    return 0;
  },
});

const PRIO_PROCESS = 0;
const PRIO_USER = 2;
/** getpriority/setpriority on the process (PRIO_PROCESS), its group or its user: all mean this process here. */
function prioTarget(k: Kernel, which: number, who: number): number {
  if (which < PRIO_PROCESS || which > PRIO_USER) return -EINVAL;
  if (who === 0) return 0;
  if (which === PRIO_USER) return who === k.host.getuid() ? 0 : -ESRCH;
  return who === k.host.getpid() ? 0 : -ESRCH;
}
// the raw syscall returns 20 - nice (1..40), so that no result looks like an error
defineSyscall({ nr: 140, name: "getpriority", args: ["d", "d"], fn: (k, a) => prioTarget(k, a.i32(0), a.i32(1)) || 20 - attrs(k).nice });
defineSyscall({
  nr: 141,
  name: "setpriority",
  args: ["d", "d", "d"],
  fn: (k, a) => {
    const t = prioTarget(k, a.i32(0), a.i32(1));
    if (t) return t;
    const nice = Math.max(-20, Math.min(19, a.i32(2)));
    if (nice < attrs(k).nice && k.host.getuid() !== 0) return -EACCES; // lowering nice needs CAP_SYS_NICE
    attrs(k).nice = nice;
    return 0;
  },
});

defineSyscall({
  nr: 135,
  name: "personality",
  args: ["x"],
  fn: (k, a) => {
    const s = attrs(k);
    const old = s.personality;
    const p = a.u32(0);
    if (p !== 0xffffffff) s.personality = p;
    return old;
  },
});

// ---- resource usage ---------------------------------------------------------------------------

const RUSAGE_SELF = 0;
const RUSAGE_CHILDREN = -1;
const RUSAGE_THREAD = 1;
defineSyscall({
  nr: 98,
  name: "getrusage",
  args: ["d", "ptr"],
  fn: (k, a) => {
    const who = a.i32(0);
    if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -EINVAL;
    // user time from the guest CPU clock (time.ts); memory, faults and switches are the host's figures
    const ns = who === RUSAGE_CHILDREN ? k.proc.childCpuNs : who === RUSAGE_THREAD ? taskCpuNs(k.task) : procCpuNs(k.proc);
    const b = rusageBytes(ns, who === RUSAGE_CHILDREN ? undefined : k.host.resourceUsage?.());
    return k.copyOut(a.u(1), b);
  },
});
