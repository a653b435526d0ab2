/**
 * rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait) and rt_sigqueueinfo /
 * rt_tgsigqueueinfo (sigqueue), over the signal queues of signals.ts.
 */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { bit, enqueueSignal, firstPending, SI_TKILL, siginfoOf, signalState, signalTarget, type SignalState } from "./signals.js";
import type { Task } from "./task.js";
import { readTimespec } from "./time.js";
import { EAGAIN, EFAULT, EINVAL, EPERM, ESRCH } from "./errno.js";

const SIGKILL = 9;
const SIGSTOP = 19;

/**
 * Where t's next signal of `set` is: its own queue first, then a
 * process-directed one queued at another of its threads (Linux keeps those
 * in one shared queue that every thread dequeues from). Null: none.
 */
function findInSet(t: Task, set: bigint): { s: SignalState; j: number } | null {
  const own = t.sig as SignalState;
  const j = firstPending(own, set);
  if (j >= 0) return { s: own, j };
  for (const o of t.proc.tasks) {
    if (o === t || o.state === "dead") continue;
    const s = o.sig as SignalState;
    const i = firstPending(s, set, true);
    if (i >= 0) return { s, j: i };
  }
  return null;
}

/**
 * rt_sigtimedwait (sigwaitinfo, sigtimedwait, sigwait): take a pending
 * signal of the set, blocked or not, with its siginfo; else park until one
 * comes (the set is unblocked meanwhile, as Linux's do_sigtimedwait), the
 * timeout passes (EAGAIN) or another signal is delivered (EINTR).
 */
function sigtimedwait(k: Kernel, setAddr: number, infoAddr: number, tsAddr: number, size: number): number {
  if (size !== 8) return -EINVAL;
  let set: bigint;
  try {
    set = new DataView(k.cpu.mem.readBytes(setAddr, 8).buffer).getBigUint64(0, true) & ~(bit(SIGKILL) | bit(SIGSTOP));
  } catch {
    return -EFAULT;
  }
  const timeout = tsAddr ? readTimespec(k, tsAddr) : null;
  if (tsAddr && timeout === null) return -EFAULT;
  if (timeout !== null && timeout < 0n) return -EINVAL;
  const s = signalState(k);
  const t = k.task;
  const take = (): number => {
    const at = findInSet(t, set);
    if (at === null) return RESULT_BLOCK;
    const p = at.s.pending.splice(at.j, 1)[0];
    const info = siginfoOf(p);
    if (infoAddr && k.copyOut(infoAddr, info)) return -EFAULT;
    return p.sig;
  };
  const r = take();
  if (r !== RESULT_BLOCK) return r;
  if (timeout === 0n) return -EAGAIN;
  const deadline = timeout === null ? null : Number(k.host.monotonicNs() + timeout);
  s.waitSet = set;
  return k.sched.park(k, {
    retry: () => {
      const v = take();
      if (v !== RESULT_BLOCK) s.waitSet = undefined;
      else if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) {
        s.waitSet = undefined;
        return -EAGAIN;
      }
      return v;
    },
    // (a signal of the set is taken by retry, which the scheduler calls before it looks for interrupting signals)
    deadline,
    onSignal: "eintr",
    cancel: () => {
      s.waitSet = undefined;
    },
  });
}

defineSyscall({
  nr: 128,
  name: "rt_sigtimedwait",
  args: ["ptr", "ptr", "ptr", "u"],
  fn: (k, a) => sigtimedwait(k, a.u(0), a.u(1), a.u(2), a.u(3)),
});

/**
 * rt_sigqueueinfo / rt_tgsigqueueinfo: a signal with the sender's siginfo
 * (sigqueue's SI_QUEUE and si_value). As Linux, a caller may not pose as
 * the kernel or as kill/tkill (si_code >= 0 or SI_TKILL) towards another
 * process than itself: EPERM. Real-time signals queue once per call.
 */
function sigqueueinfo(k: Kernel, tgid: number, tid: number | null, sig: number, infoAddr: number): number {
  if (tid !== null && (tgid <= 0 || tid <= 0)) return -EINVAL;
  let info: Uint8Array;
  try {
    info = k.cpu.mem.readBytes(infoAddr, 128);
  } catch {
    return -EFAULT;
  }
  const code = new DataView(info.buffer).getInt32(8, true);
  if ((code >= 0 || code === SI_TKILL) && k.task.tid !== (tid ?? tgid)) return -EPERM; // task_pid_vnr(current): the calling thread's id
  let target: Task | null;
  if (tid !== null) {
    const t = k.sched.task(tid);
    target = t && t.proc.pid === tgid && t.state !== "dead" ? t : null;
  } else {
    const p = k.sched.procs.get(tgid);
    target = p && p.status === null ? signalTarget(p, sig > 0 && sig <= 64 ? sig : 1) : null;
  }
  if (!target) return -ESRCH;
  if (sig < 0 || sig > 64) return -EINVAL;
  if (sig === 0) return 0;
  new DataView(info.buffer).setInt32(0, sig, true);
  enqueueSignal(target, { sig, code, pid: k.proc.pid, uid: k.host.getuid(), addr: 0, status: 0, info, shared: tid === null });
  return 0;
}

defineSyscall({
  nr: 129,
  name: "rt_sigqueueinfo",
  args: ["d", "sig", "ptr"],
  fn: (k, a) => sigqueueinfo(k, a.i32(0), null, a.i32(1), a.u(2)),
});
defineSyscall({
  nr: 297,
  name: "rt_tgsigqueueinfo",
  args: ["d", "d", "sig", "ptr"],
  fn: (k, a) => sigqueueinfo(k, a.i32(0), a.i32(1), a.i32(2), a.u(3)),
});
