/** Process syscalls: exit of a thread or of the group, ids, kill. */
import { defineSyscall, ProcessExit, RESULT_KEEP, type Kernel } from "./kernel.js";
import { queueSignalToProc } from "./signals.js";
import { futexWake } from "./futex.js";
import { hostProcessIds } from "./misc.js";
import type { Proc, Task } from "./task.js";
import { EINVAL, EPERM, ESRCH } from "./errno.js";


function exitGroup(k: Kernel, code: number): never {
  k.terminate({ kind: "exit", code: code & 0xff });
  throw new ProcessExit(k.status!);
}

/** A thread ends: CLONE_CHILD_CLEARTID / set_tid_address word zeroed and woken. */
export function clearChildTid(k: Kernel, t: Task): void {
  if (t.clearChildTid === 0) return;
  try {
    k.cpu.mem.write32(t.clearChildTid, 0);
    futexWake(k, t.clearChildTid, 1, -1);
  } catch {
    /* an unmapped address is ignored, as Linux does */
  }
}

/** exit: the calling thread ends; the last thread to end ends the process with its status. */
function exitThread(k: Kernel, code: number): number {
  const t = k.task;
  if (!t || k.proc.liveTasks() <= 1) exitGroup(k, code);
  clearChildTid(k, t);
  k.sched.endTask(t);
  k.cpu.stopRequested = true;
  return RESULT_KEEP;
}

defineSyscall({ nr: 60, name: "exit", args: ["d"], fn: (k, a) => exitThread(k, a.i32(0)) });
defineSyscall({ nr: 231, name: "exit_group", args: ["d"], fn: (k, a) => exitGroup(k, a.i32(0)) });
defineSyscall({ nr: 39, name: "getpid", args: [], fn: (k) => (k.proc ? k.proc.pid : k.host.getpid()) });
defineSyscall({ nr: 186, name: "gettid", args: [], fn: (k) => (k.task ? k.task.tid : k.host.getpid()) });
defineSyscall({ nr: 110, name: "getppid", args: [], fn: (k) => (k.proc && k.proc.ppid !== -1 ? k.proc.ppid : k.host.getppid()) });
defineSyscall({ nr: 102, name: "getuid", args: [], fn: (k) => k.host.getuid() });
defineSyscall({ nr: 107, name: "geteuid", args: [], fn: (k) => k.host.getuid() });
defineSyscall({ nr: 104, name: "getgid", args: [], fn: (k) => k.host.getgid() });
defineSyscall({ nr: 108, name: "getegid", args: [], fn: (k) => k.host.getgid() });

/** Living (not zombie) emulated processes. */
function liveProcs(k: Kernel): Proc[] {
  return [...k.sched.procs.values()].filter((p) => !p.status);
}

/**
 * Send sig to pid (kill(2)): an emulated process, a process group (0: the
 * caller's, -pgid), every emulated process but the caller's init (-1); any
 * other pid goes to the host.
 */
export function sendSignal(k: Kernel, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  if (!k.sched) {
    if (pid === k.host.getpid() || pid === 0) return sig === 0 ? 0 : (k.signalHandlers.raise(k, sig, 0, pid), 0);
    return k.host.kill(pid, sig);
  }
  const self = k.proc.pid;
  const deliver = (p: Proc) => {
    if (sig === 0) return;
    if (p === k.proc) k.signalHandlers.raise(k, sig, 0, self); // the API's signal hook sees signals to the caller
    else queueSignalToProc(p, sig, 0, self);
  };
  if (pid > 0) {
    const p = k.sched.procs.get(pid);
    if (p && !p.status) {
      deliver(p);
      return 0;
    }
    if (p) return 0; // a zombie: the signal is accepted and has no effect
    if (pid > 4194304) return -ESRCH;
    return k.host.kill(pid, sig);
  }
  if (pid === -1) {
    // every process the caller may signal except itself: the other emulated ones, and the host's
    for (const p of liveProcs(k)) if (p !== k.proc) deliver(p);
    return k.host.kill(-1, sig);
  }
  const pgid = pid === 0 ? k.proc.pgid : -pid;
  if (pgid > 4194304) return -ESRCH;
  const group = liveProcs(k).filter((p) => p.pgid === pgid);
  if (group.length === 0) return pgid === k.host.getpid() ? 0 : k.host.kill(-pgid, sig);
  for (const p of group) deliver(p);
  return 0;
}

defineSyscall({ nr: 62, name: "kill", args: ["d", "sig"], fn: (k, a) => sendSignal(k, a.i32(0), a.i32(1)) });

/** The process with this pid (0: the caller), or null. */
function procOf(k: Kernel, pid: number): Proc | null {
  if (pid === 0) return k.proc;
  const p = k.sched.procs.get(pid);
  return p && !p.reaped ? p : null;
}

/** getpgid/getsid: an emulated process's ids, else the host's for a host pid. */
function idsOf(k: Kernel, pid: number, f: "pgid" | "sid"): number {
  const p = procOf(k, pid);
  if (p) return p[f];
  const r = hostProcessIds(k, pid);
  return typeof r === "number" ? r : r[f];
}
defineSyscall({ nr: 111, name: "getpgrp", args: [], fn: (k) => k.proc.pgid });
defineSyscall({ nr: 121, name: "getpgid", args: ["d"], fn: (k, a) => idsOf(k, a.i32(0), "pgid") });
defineSyscall({ nr: 124, name: "getsid", args: ["d"], fn: (k, a) => idsOf(k, a.i32(0), "sid") });
defineSyscall({
  nr: 109,
  name: "setpgid",
  args: ["d", "d"],
  fn: (k, a) => {
    const pid = a.i32(0);
    const pgid = a.i32(1);
    if (pgid < 0) return -EINVAL;
    const p = procOf(k, pid);
    if (!p || (p !== k.proc && p.parent !== k.proc)) return -ESRCH;
    if (p.sid === p.pid) return -EPERM; // a session leader
    const target = pgid === 0 ? p.pid : pgid;
    if (target !== p.pid && !liveProcs(k).some((q) => q.pgid === target && q.sid === p.sid)) return -EPERM;
    p.pgid = target;
    return 0;
  },
});
defineSyscall({
  nr: 112,
  name: "setsid",
  args: [],
  fn: (k) => {
    const p = k.proc;
    if (p.pgid === p.pid || liveProcs(k).some((q) => q.pgid === p.pid)) return -EPERM; // already a group leader
    p.sid = p.pid;
    p.pgid = p.pid;
    return p.pid;
  },
});
