/**
 * Child processes ending and being reaped: zombies, SIGCHLD to the parent,
 * the vfork parent woken, descriptors closed, orphaned process groups with
 * a stopped member hung up; wait4 and waitid (WNOHANG, WNOWAIT, and
 * stopped and continued children under WUNTRACED/WSTOPPED and WCONTINUED:
 * see jobctl.ts).
 */
import { defineSyscall, RESULT_BLOCK, type ExitStatus, type Kernel } from "./kernel.js";
import { closeAllFiles } from "./files.js";
import { queueSignalToProc, signalState } from "./signals.js";
import type { Proc } from "./task.js";
import { exitLine, threadsEndLines } from "./strace/lines.js";
import { CLD_CONTINUED, CLD_STOPPED, orphanedByExit } from "./jobctl.js";
import { ECHILD, EFAULT, EINVAL } from "./errno.js";
import { addChildCpuTime, rusageBytes } from "./time.js";


const WNOHANG = 1;
const WUNTRACED = 2;
const WEXITED = 4;
const WCONTINUED = 8;
const WNOWAIT = 0x1000000;
const WALL = 0x40000000 | 0x80000000 | 0x20000000; // __WALL __WCLONE __WNOTHREAD

const SIGCHLD = 17;
const SIGCONT = 18;
const SA_NOCLDWAIT = 2;

/**
 * The wait status word of an ended process. x64emu writes no core file, so the core-dump bit (0x80) is never
 * set, as on Linux when no core is written (RLIMIT_CORE 0): a SIGSEGV death is 0x0b, not 0x8b.
 */
export function waitStatus(s: ExitStatus): number {
  return s.kind === "exit" ? (s.code & 0xff) << 8 : s.signal & 0x7f;
}

/** The CLD_* code and si_status of an ended process (CLD_KILLED, never CLD_DUMPED: no core is written). */
function childCode(s: ExitStatus): [number, number] {
  return s.kind === "exit" ? [1, s.code] : [2, s.signal]; // CLD_EXITED, CLD_KILLED
}

/** Scheduler hook: a process has ended. */
export function procExited(p: Proc): void {
  const k = p.kernel;
  threadsEndLines(p);
  if (k.strace && p !== k.sched.root && p.status) k.strace(exitLine(k.sched.tasks.length > 0 ? `[pid ${p.pid}] ` : "", p.status));
  closeAllFiles(p.kernel);
  p.vforkParent = null; // wakes the parent of a vfork
  const sched = p.kernel.sched;
  p.stopped = false;
  const kids = [...p.children];
  reparentChildren(p);
  orphanedByExit(p, kids);
  const parent = p.parent;
  if (!parent || parent.status) {
    if (p !== sched.root) reap(p);
    return;
  }
  notifyParent(p, parent);
}

/** The process's subreaper attribute (prctl PR_SET_CHILD_SUBREAPER, kept by procinfo.ts). */
function isSubreaper(p: Proc): boolean {
  const a = p.kernel.state.procAttrs as { subreaper?: number } | undefined;
  return (a?.subreaper ?? 0) !== 0;
}

/**
 * The children of an ending process go to the nearest living ancestor that
 * is a child subreaper, else to init, which is outside the emulation
 * (parent null: getppid says 1, and they are reaped as soon as they end).
 * As Linux's forget_original_parent: their exit signal becomes SIGCHLD, a
 * zombie among them is reported to the new parent at once, and those that
 * asked for PR_SET_PDEATHSIG get their signal.
 */
function reparentChildren(p: Proc): void {
  let reaper = p.parent;
  while (reaper && (reaper.status || !isSubreaper(reaper))) reaper = reaper.parent;
  const kids = p.children.splice(0);
  for (const c of kids) {
    c.parent = reaper;
    c.orphaned = true;
    if (c.reaped) continue;
    c.exitSignal = SIGCHLD;
    const a = c.kernel.state.procAttrs as { pdeathsig?: number } | undefined;
    if (!c.status && a?.pdeathsig) queueSignalToProc(c, a.pdeathsig, 0, p.pid); // SEND_SIG_NOINFO: SI_USER from the dying parent
    if (reaper) {
      reaper.children.push(c);
      if (c.status) notifyParent(c, reaper);
    } else if (c.status) reap(c);
  }
}

/** A child has ended: SIGCHLD (or its exit signal) to the parent, or reaped at once when the parent ignores SIGCHLD. */
function notifyParent(p: Proc, parent: Proc): void {
  const ps = signalState(parent.kernel);
  const act = ps.actions[SIGCHLD];
  // SIGCHLD ignored or SA_NOCLDWAIT: the child is reaped at once (no zombie)
  if (p.exitSignal === SIGCHLD && (act.handler === 1 || act.flags & SA_NOCLDWAIT)) {
    reap(p);
    return;
  }
  const s = p.status!;
  if (p.exitSignal > 0) {
    const [code, status] = childCode(s);
    queueSignalToProc(parent, p.exitSignal, code, p.pid, status);
  }
}

function reap(p: Proc): void {
  p.reaped = true;
  const sched = p.kernel.sched;
  if (sched.procs.get(p.pid) === p && p !== sched.root) sched.procs.delete(p.pid);
  if (p.parent) {
    const i = p.parent.children.indexOf(p);
    if (i >= 0) p.parent.children.splice(i, 1);
  }
}

function matches(k: Kernel, c: Proc, idtype: number, id: number): boolean {
  if (idtype === 0) return true; // P_ALL
  if (idtype === 1) return c.pid === id; // P_PID
  return c.pgid === (id === 0 ? k.proc.pgid : id); // P_PGID
}

/** A child's event wait can report: it ended, stopped (with this signal) or continued. */
interface Event {
  c: Proc;
  kind: "exit" | "stop" | "cont";
}

/**
 * Find a child with an event `options` asks for (idtype/id as waitid's;
 * WEXITED, WUNTRACED, WCONTINUED), the children in the order they were made
 * and each one's end before its stop before its continue, as Linux's
 * wait_consider_task; 0 when children exist but none has one, or -ECHILD.
 */
function findEvent(k: Kernel, idtype: number, id: number, options: number): Event | number {
  let any = false;
  for (const c of k.proc.children) {
    if (c.reaped || !matches(k, c, idtype, id)) continue;
    any = true;
    if (c.status) {
      if (options & WEXITED) return { c, kind: "exit" };
    } else if (c.stopped && c.stopReport && options & WUNTRACED) return { c, kind: "stop" };
    else if (c.contReport && options & WCONTINUED) return { c, kind: "cont" };
  }
  return any ? 0 : -ECHILD;
}

/** The event is reported (not under WNOWAIT): a zombie is reaped, a stop or continue is reported once. */
function consume(e: Event): void {
  if (e.kind === "exit") {
    if (e.c.parent) addChildCpuTime(e.c.parent, e.c); // the waiter's children time (times' cutime, RUSAGE_CHILDREN)
    reap(e.c);
  }
  else if (e.kind === "stop") e.c.stopReport = 0;
  else e.c.contReport = false;
}

/** The reaped child's rusage (RUSAGE_BOTH: its own time and its waited-for children's, as Linux's wait_task_zombie); zeros for a stop or continue. */
function rusageOut(k: Kernel, addr: number, e: Event): boolean {
  if (addr === 0) return true;
  return k.copyOut(addr, e.kind === "exit" ? rusageBytes(e.c.cpuNs + e.c.childCpuNs) : new Uint8Array(144)) === 0;
}

function wait4(k: Kernel, pid: number, statusAddr: number, options: number, rusage: number): number {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL)) return -EINVAL;
  const idtype = pid < -1 ? 2 : pid === -1 ? 0 : pid === 0 ? 2 : 1;
  const id = pid < -1 ? -pid : pid === 0 ? 0 : pid;
  const attempt = (): number => {
    const e = findEvent(k, idtype, id, options | WEXITED);
    if (typeof e === "number") return e === 0 && !(options & WNOHANG) ? RESULT_BLOCK : e;
    const c = e.c;
    if (statusAddr) {
      // stopped: WIFSTOPPED, the signal in bits 8-15; continued: 0xffff (WIFCONTINUED)
      const st = e.kind === "exit" ? waitStatus(c.status!) : e.kind === "stop" ? (c.stopReport << 8) | 0x7f : 0xffff;
      try {
        k.cpu.mem.write32(statusAddr, st);
      } catch {
        return -EFAULT;
      }
    }
    if (!rusageOut(k, rusage, e)) return -EFAULT;
    consume(e);
    return c.pid;
  };
  const r = attempt();
  if (r !== RESULT_BLOCK) return r;
  return k.sched.park(k, { retry: attempt, deadline: null, onSignal: "restart" });
}

const int32 = (_k: Kernel, v: bigint) => String(Number(BigInt.asIntN(32, v)));
defineSyscall({ nr: 61, name: "wait4", args: [int32, "ptr", "x", "ptr"], fn: (k, a) => wait4(k, a.i32(0), a.u(1), a.i32(2), a.u(3)) });

function waitid(k: Kernel, idtype: number, id: number, infop: number, options: number, rusage: number): number {
  if (idtype < 0 || idtype > 2 || options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | WALL) || !(options & (WEXITED | WUNTRACED | WCONTINUED))) return -EINVAL;
  const attempt = (): number => {
    const e = findEvent(k, idtype, id, options);
    if (typeof e === "number") {
      if (e === 0 && !(options & WNOHANG)) return RESULT_BLOCK;
      if (e === 0 && infop && k.copyOut(infop, new Uint8Array(128)) !== 0) return -EFAULT;
      return e;
    }
    const c = e.c;
    if (infop) {
      const b = new Uint8Array(128);
      const dv = new DataView(b.buffer);
      dv.setInt32(0, SIGCHLD, true);
      const s = c.status;
      let code = CLD_CONTINUED;
      let status = SIGCONT;
      if (e.kind === "stop") [code, status] = [CLD_STOPPED, c.stopReport];
      else if (s) [code, status] = childCode(s);
      dv.setInt32(8, code, true);
      dv.setInt32(16, c.pid, true);
      dv.setInt32(20, k.host.getuid(), true);
      dv.setInt32(24, status, true);
      if (k.copyOut(infop, b) !== 0) return -EFAULT;
    }
    if (!rusageOut(k, rusage, e)) return -EFAULT;
    if (!(options & WNOWAIT)) consume(e);
    return 0;
  };
  const r = attempt();
  if (r !== RESULT_BLOCK) return r;
  return k.sched.park(k, { retry: attempt, deadline: null, onSignal: "restart" });
}

defineSyscall({ nr: 247, name: "waitid", args: ["d", "d", "ptr", "x", "ptr"], fn: (k, a) => waitid(k, a.i32(0), a.i32(1), a.u(2), a.i32(3), a.u(4)) });
