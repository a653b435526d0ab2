/**
 * Job control, as Linux's group stop: the default action of SIGSTOP,
 * SIGTSTP, SIGTTIN and SIGTTOU stops every thread of the process (the
 * scheduler runs none of them and leaves their parked calls parked) and
 * tells the parent (SIGCHLD with CLD_STOPPED unless it set SA_NOCLDSTOP;
 * wait4/waitid report it once under WUNTRACED/WSTOPPED). SIGCONT continues
 * the process (CLD_CONTINUED, WCONTINUED) and discards its pending stop
 * signals; a stop signal discards a pending SIGCONT; SIGKILL ends a
 * stopped process. SIGTSTP/SIGTTIN/SIGTTOU are discarded in an orphaned
 * process group, and a group that becomes orphaned with a stopped member
 * gets SIGHUP then SIGCONT (Linux's kill_orphaned_pgrp).
 *
 * The first process is stopped differently: its parent is the host's (a
 * shell), so a stop signal stops the emulator itself (see defaultAction).
 */
import { sigName, type Kernel } from "./kernel.js";
import { queueSignalToProc, signalState } from "./signals.js";
import type { Proc, Scheduler } from "./task.js";

const SIGHUP = 1;
const SIGKILL = 9;
const SIGCHLD = 17;
const SIGCONT = 18;
const SIGSTOP = 19;
const SIG_IGN = 1;
const SA_NOCLDSTOP = 1;
const SI_KERNEL = 0x80;
/** si_code of SIGCHLD for a stop and a continue. */
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

/** SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: default action "stop". */
export function isStopSignal(sig: number): boolean {
  return sig >= 19 && sig <= 22;
}

/** Remove the pending signals `drop` selects from every thread of p. */
function dropPending(p: Proc, drop: (sig: number) => boolean): void {
  for (const t of p.tasks) {
    const s = t.sig as { pending: Array<{ sig: number }> } | null;
    if (s && s.pending.some((q) => drop(q.sig))) s.pending = s.pending.filter((q) => !drop(q.sig));
  }
}

/** SIGCHLD to the parent for a stop or a continue (none when it ignores SIGCHLD or set SA_NOCLDSTOP). */
function notifyParent(p: Proc, code: number, status: number): void {
  const parent = p.parent;
  if (!parent || parent.status) return; // init, outside the emulation
  const act = signalState(parent.kernel).actions[SIGCHLD];
  if (act.handler === SIG_IGN || act.flags & SA_NOCLDSTOP) return;
  queueSignalToProc(parent, SIGCHLD, code, p.pid, status);
}

/**
 * What generating `sig` for p does at once, whatever its disposition
 * (Linux's prepare_signal): a stop signal discards a pending SIGCONT;
 * SIGCONT (and SIGKILL) discard pending stop signals and wake a stopped
 * process, SIGCONT reporting the continue to the parent.
 */
export function prepareSignal(p: Proc, sig: number): void {
  if (p.status) return;
  if (isStopSignal(sig)) dropPending(p, (q) => q === SIGCONT);
  else if (sig === SIGCONT || sig === SIGKILL) {
    dropPending(p, isStopSignal);
    if (!p.stopped) return;
    p.stopped = false;
    p.stopReport = 0;
    if (sig === SIGCONT) {
      p.contReport = true;
      notifyParent(p, CLD_CONTINUED, SIGCONT);
    }
  }
}

/**
 * Is the process group orphaned (POSIX): no living member has a parent in
 * another group of the same session? `ignored` is left out (an ending process).
 * The first process counts as connected: its parent is the host's shell.
 */
export function orphanedPgrp(sched: Scheduler, pgid: number, ignored: Proc | null): boolean {
  for (const q of sched.procs.values()) {
    if (q.pgid !== pgid || q.status || q === ignored) continue;
    if (q === sched.root) return false;
    const par = q.parent;
    if (par && !par.status && par.pgid !== pgid && par.sid === q.sid) return false;
  }
  return true;
}

function hasStoppedJobs(sched: Scheduler, pgid: number): boolean {
  for (const q of sched.procs.values()) if (q.pgid === pgid && !q.status && q.stopped) return true;
  return false;
}

/**
 * The default action of a stop signal taken by p (Linux's do_signal_stop):
 * every thread stops, strace -f's `--- stopped by SIG ---` for each, the
 * parent told. A stop signal other than SIGSTOP to an orphaned process group
 * is discarded.
 */
export function groupStop(k: Kernel, p: Proc, sig: number): void {
  if (sig !== SIGSTOP && orphanedPgrp(k.sched, p.pgid, null)) return;
  p.stopped = true;
  p.stopReport = sig;
  p.contReport = false;
  k.cpu.stopRequested = true;
  if (k.strace) {
    const many = k.sched.tasks.length > 1;
    for (const t of p.tasks) if (t.state !== "dead") k.strace(`${many ? `[pid ${t.tid}] ` : ""}--- stopped by ${sigName(sig)} ---`);
  }
  notifyParent(p, CLD_STOPPED, sig);
}

/** SIGHUP then SIGCONT to every member of a process group (from the kernel). */
function hangUpGroup(sched: Scheduler, pgid: number): void {
  const members = [...sched.procs.values()].filter((q) => q.pgid === pgid && !q.status);
  for (const q of members) queueSignalToProc(q, SIGHUP, SI_KERNEL, 0);
  for (const q of members) queueSignalToProc(q, SIGCONT, SI_KERNEL, 0);
}

/**
 * p has ended, its children `kids` reparented (Linux's kill_orphaned_pgrp
 * in exit_notify): a child's group in p's session but not p's group, and
 * p's own group when p was its link to its parent's group, get SIGHUP and
 * SIGCONT if that left them orphaned with a stopped member.
 */
export function orphanedByExit(p: Proc, kids: Proc[]): void {
  const sched = p.kernel.sched;
  const hit = (pgid: number, ignored: Proc | null) => orphanedPgrp(sched, pgid, ignored) && hasStoppedJobs(sched, pgid) && (hangUpGroup(sched, pgid), true);
  for (const c of kids) if (!c.status && c.pgid !== p.pgid && c.sid === p.sid) hit(c.pgid, null);
  const par = p.parent;
  if (par && par.pgid !== p.pgid && par.sid === p.sid) hit(p.pgid, p);
}
