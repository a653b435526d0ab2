/**
 * clone, clone3, fork, vfork: new threads (CLONE_VM|CLONE_THREAD: the same
 * Kernel, CPU and memory, a context of their own) and new processes (a
 * Kernel of their own; memory copied, or shared under CLONE_VM as vfork and
 * posix_spawn use it). Also set_tid_address, set_robust_list, sched_yield,
 * sched_getaffinity, membarrier.
 */
import { CpuContext, saveContext } from "../cpu/context.js";
import { CPU } from "../cpu/cpu.js";
import { defineSyscall, Kernel, RESULT_BLOCK } from "./kernel.js";
import { forkFiles } from "./files.js";
import { newTaskSignals, signalState, type SignalState } from "./signals.js";
import type { Proc, Task } from "./task.js";
import { E2BIG, EFAULT, EINVAL } from "./errno.js";


export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000;
export const CLONE_PTRACE = 0x2000;
export const CLONE_VFORK = 0x4000;
export const CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000;
export const CLONE_NEWNS = 0x20000;
export const CLONE_SYSVSEM = 0x40000;
export const CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000;
export const CLONE_CHILD_CLEARTID = 0x200000;
export const CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000;
export const CLONE_CHILD_SETTID = 0x1000000;
const CLONE_NAMESPACES = 0x7e020000 & ~CLONE_NEWNS; // NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET
const CLONE_IO = 0x80000000;

interface CloneArgs {
  flags: number;
  exitSignal: number;
  stack: number;
  parentTid: number;
  childTid: number;
  tls: number;
}

const FLAG_NAMES: Array<[number, string]> = [
  [CLONE_VM, "CLONE_VM"],
  [CLONE_FS, "CLONE_FS"],
  [CLONE_FILES, "CLONE_FILES"],
  [CLONE_SIGHAND, "CLONE_SIGHAND"],
  [CLONE_PIDFD, "CLONE_PIDFD"],
  [CLONE_VFORK, "CLONE_VFORK"],
  [CLONE_PARENT, "CLONE_PARENT"],
  [CLONE_THREAD, "CLONE_THREAD"],
  [CLONE_SYSVSEM, "CLONE_SYSVSEM"],
  [CLONE_SETTLS, "CLONE_SETTLS"],
  [CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"],
  [CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"],
  [CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"],
];

function fmtCloneFlags(_k: Kernel, v: bigint): string {
  const n = Number(v & 0xffffffffn);
  const parts = FLAG_NAMES.filter(([b]) => n & b).map(([, s]) => s);
  const sig = n & 0xff;
  if (sig === 17) parts.push("SIGCHLD");
  else if (sig) parts.push(String(sig));
  const rest = n & ~0xff & ~FLAG_NAMES.reduce((m, [b]) => m | b, 0);
  if (rest) parts.push("0x" + (rest >>> 0).toString(16));
  return parts.join("|") || "0";
}

/** Per-process kernel state a forked child gets a copy of (or shares under CLONE_VM: the memory map). */
function copyState(parent: Kernel, child: Kernel, flags: number): void {
  for (const [key, v] of Object.entries(parent.state)) {
    if (key === "files" || key === "signals") continue;
    if (key === "mm" && flags & CLONE_VM) {
      child.state[key] = v;
      continue;
    }
    try {
      child.state[key] = typeof v === "object" && v !== null && key !== "image" ? structuredClone(v) : v;
    } catch {
      child.state[key] = v; // not plain data: shared
    }
  }
}

/** A CPU for a forked child over `mem`, with the parent's tier settings. */
export function cpuLike(parent: CPU, mem: CPU["mem"]): CPU {
  const c = new CPU(mem);
  c.jitEnabled = parent.jitEnabled;
  c.wasmEnabled = parent.wasmEnabled;
  c.jitThreshold = parent.jitThreshold;
  c.wasmThreshold = parent.wasmThreshold;
  c.ext = parent.ext;
  c.features = parent.features;
  c.insnHook = parent.insnHook;
  return c;
}

function put32(k: Kernel, addr: number, v: number): boolean {
  try {
    k.cpu.mem.write32(addr, v);
    return true;
  } catch {
    return false;
  }
}

function doClone(k: Kernel, ca: CloneArgs): number {
  const f = ca.flags;
  if (f & CLONE_THREAD && !(f & CLONE_SIGHAND)) return -EINVAL;
  if (f & CLONE_SIGHAND && !(f & CLONE_VM)) return -EINVAL;
  if (f & (CLONE_NAMESPACES | CLONE_NEWNS)) return -EINVAL; // no namespaces here (Linux: EPERM unprivileged)
  const sched = k.sched;
  const parent = k.task;
  const cpu = k.cpu;
  const id = sched.allocId();
  // the child's registers: the parent's now, rax 0, its own stack and TLS
  const ctx = new CpuContext();
  saveContext(cpu, ctx);
  ctx.setReg(0, 0);
  if (ca.stack) ctx.setReg(4, ca.stack);
  if (f & CLONE_SETTLS) ctx.fsBase = ca.tls;
  const psig = signalState(k);
  let child: Task;
  let childKernel: Kernel;
  if (f & CLONE_THREAD) {
    childKernel = k;
    child = sched.addTask(k.proc, id, ctx, newTaskSignals(psig, true, true));
  } else {
    const ccpu = f & CLONE_VM ? cpu : cpuLike(cpu, cpu.mem.fork());
    if (ccpu !== cpu) ccpu.copyBlocksFrom(cpu);
    childKernel = new Kernel(ccpu, k.host, { strace: k.strace, syscallHook: k.syscallHook });
    if (ccpu === cpu) {
      // the constructor took the shared CPU's entries: they stay the parent's until a switch
      cpu.onSyscall = k.syscallEntry;
      cpu.onFault = k.faultEntry;
    }
    childKernel.signalHandlers = k.signalHandlers;
    childKernel.afterSyscall = k.afterSyscall;
    childKernel.onExec = k.onExec;
    copyState(k, childKernel, f);
    const attrs = childKernel.state.procAttrs as { subreaper: number; pdeathsig: number } | undefined;
    if (attrs) {
      // neither the subreaper flag nor the parent-death signal is inherited (prctl(2))
      attrs.subreaper = 0;
      attrs.pdeathsig = 0;
    }
    forkFiles(k, childKernel, (f & CLONE_FILES) !== 0);
    const parentProc: Proc = f & CLONE_PARENT && k.proc.parent ? k.proc.parent : k.proc;
    const p = sched.addProc(id, childKernel, parentProc);
    p.pgid = k.proc.pgid;
    p.sid = k.proc.sid;
    p.exitSignal = ca.exitSignal;
    const sig: SignalState = newTaskSignals(psig, (f & CLONE_SIGHAND) !== 0, false);
    child = sched.addTask(p, id, ctx, sig);
    childKernel.task = child;
    childKernel.state.signals = sig;
  }
  if (f & CLONE_PARENT_SETTID && !put32(k, ca.parentTid, id)) return -EFAULT;
  if (f & CLONE_CHILD_SETTID) put32(childKernel, ca.childTid, id);
  if (f & CLONE_CHILD_CLEARTID) child.clearChildTid = ca.childTid;
  if (!(f & CLONE_THREAD)) sched.onFork?.(parent, child, (f & CLONE_VFORK) !== 0);
  if (f & CLONE_VFORK) {
    // the parent sleeps until the child execs or exits
    child.proc.vforkParent = parent;
    const proc = child.proc;
    return sched.park(k, { retry: () => (proc.vforkParent === null ? id : RESULT_BLOCK), deadline: null, onSignal: "eintr" });
  }
  return id;
}

defineSyscall({
  nr: 56,
  name: "clone",
  args: [fmtCloneFlags, "ptr", "ptr", "ptr", "ptr"],
  fn: (k, a) => {
    const flags = a.u32(0);
    return doClone(k, { flags: flags & ~0xff, exitSignal: flags & 0xff, stack: a.u(1), parentTid: a.u(2), childTid: a.u(3), tls: a.u(4) });
  },
});

defineSyscall({
  nr: 435,
  name: "clone3",
  args: ["ptr", "u"],
  fn: (k, a) => {
    const size = a.u(1);
    if (size < 64) return -EINVAL;
    if (size > 4096) return -E2BIG;
    let dv: DataView;
    try {
      dv = new DataView(k.cpu.mem.readBytes(a.u(0), Math.min(size, 88)).buffer);
    } catch {
      return -EFAULT;
    }
    const q = (o: number) => (o + 8 <= dv.byteLength ? Number(dv.getBigUint64(o, true)) : 0);
    const flags = q(0);
    if (q(64) || q(72)) return -EINVAL; // set_tid: not supported
    const exitSignal = q(32);
    if (exitSignal > 64 || flags & (CLONE_DETACHED | 0xff)) return -EINVAL;
    const stack = q(40);
    const stackSize = q(48);
    if ((stack === 0) !== (stackSize === 0)) return -EINVAL;
    return doClone(k, { flags: flags % 4294967296, exitSignal, stack: stack ? stack + stackSize : 0, parentTid: q(24), childTid: q(16), tls: q(56) });
  },
});

defineSyscall({ nr: 57, name: "fork", args: [], fn: (k) => doClone(k, { flags: 0, exitSignal: 17, stack: 0, parentTid: 0, childTid: 0, tls: 0 }) });
defineSyscall({ nr: 58, name: "vfork", args: [], fn: (k) => doClone(k, { flags: CLONE_VM | CLONE_VFORK, exitSignal: 17, stack: 0, parentTid: 0, childTid: 0, tls: 0 }) });

defineSyscall({
  nr: 218,
  name: "set_tid_address",
  args: ["ptr"],
  fn: (k, a) => {
    k.task.clearChildTid = a.u(0);
    return k.task.tid;
  },
});

defineSyscall({
  nr: 273,
  name: "set_robust_list",
  args: ["ptr", "u"],
  fn: (k, a) => {
    if (a.u(1) !== 24) return -EINVAL;
    k.task.robustList = a.u(0);
    k.task.robustLen = 24;
    return 0;
  },
});

defineSyscall({
  nr: 274,
  name: "get_robust_list",
  args: ["d", "ptr", "ptr"],
  fn: (k, a) => {
    const tid = a.i32(0);
    const t = tid === 0 ? k.task : k.sched.task(tid);
    if (!t) return -3; // ESRCH
    try {
      k.cpu.mem.write64(a.u(1), t.robustList % 4294967296 | 0, Math.floor(t.robustList / 4294967296));
      k.cpu.mem.write64(a.u(2), t.robustLen, 0);
    } catch {
      return -EFAULT;
    }
    return 0;
  },
});

defineSyscall({
  nr: 24,
  name: "sched_yield",
  args: [],
  fn: (k) => {
    k.cpu.stopRequested = true; // end the slice: the next runnable task goes
    return 0;
  },
});

/** One CPU: the emulator runs tasks one at a time. */
defineSyscall({
  nr: 204,
  name: "sched_getaffinity",
  args: ["d", "u", "ptr"],
  fn: (k, a) => {
    const len = a.u(1);
    if (len < 8 || len % 8) return -EINVAL;
    if (a.i32(0) !== 0 && !k.sched.task(a.i32(0))) return -3;
    const mask = new Uint8Array(8);
    mask[0] = 1;
    return k.copyOut(a.u(2), mask) === 0 ? 8 : -EFAULT;
  },
});
defineSyscall({ nr: 203, name: "sched_setaffinity", args: ["d", "u", "ptr"], fn: (k, a) => (a.i32(0) !== 0 && !k.sched.task(a.i32(0)) ? -3 : 0) });

/** membarrier: one CPU, so every barrier is already satisfied; QUERY reports the commands that exist. */
defineSyscall({
  nr: 324,
  name: "membarrier",
  args: ["x", "x", "d"],
  fn: (k, a) => {
    const cmd = a.i32(0);
    const SUPPORTED = 1 | 8 | 16; // GLOBAL, PRIVATE_EXPEDITED, REGISTER_PRIVATE_EXPEDITED
    if (cmd === 0) return SUPPORTED;
    return cmd & SUPPORTED && (cmd & (cmd - 1)) === 0 ? 0 : -EINVAL;
  },
});

void CLONE_IO;
void CLONE_PTRACE;
void CLONE_UNTRACED;
