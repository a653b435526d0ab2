/**
 * A gdb remote serial protocol stub (transport-independent: bytes in, bytes
 * out). It stops before the first instruction and serves registers, memory,
 * software breakpoints, watchpoints (memory hooks), stepping and continuing,
 * the target description, auxv and the exec file, and reports exits, deaths
 * by signal and faults as gdb expects. The Node transports (TCP, stdio) live
 * in src/host/gdb-node.ts.
 *
 * Threads: gdb debugs the first process; its threads are gdb's threads (ids
 * are tids). The guest runs through the kernel's scheduler in all-stop mode:
 * a stop (breakpoint, watchpoint, fault, step, Ctrl-C) in any thread stops
 * them all, and vCont says per thread what runs: `vCont;s:TID;c` steps TID
 * while the others run, `vCont;s:TID` (scheduler-locking) leaves them stopped.
 * Processes the guest forks are not debugged: they run whenever the debugged
 * process runs (gdb's detach-on-fork), breakpoints do not apply to them.
 *
 * Fork and exec events: when gdb's qSupported offers fork-events+,
 * vfork-events+ and exec-events+ (with multiprocess+: thread ids are then
 * pPID.TID), the debugged process stops after a fork or vfork with a
 * `fork:`/`vfork:` stop reply naming the child, after the vfork child execs
 * or exits with `vforkdone:`, and at the first instruction of a program it
 * execs with `exec:` (its path; breakpoints and watchpoints of the old image
 * are dropped, gdb inserts them again), which is what `catch fork`,
 * `catch vfork` and `catch exec` stop on. gdb detaches the child (`D;pid`):
 * it runs on undebugged (follow-fork-mode child is not supported).
 */
import type { CPU, FaultInfo, InsnHook } from "../cpu/cpu.js";
import { MemoryFault, type MemoryHook } from "../cpu/memory.js";
import type { Process } from "../kernel/program.js";
import { commName } from "../kernel/proc.js";
import { deliverPending, queueSignalTo } from "../kernel/signals.js";
import { gdbToLinux, linuxToGdb } from "./signals.js";
import { ProcessExit, type ExitStatus, type Kernel } from "../kernel/kernel.js";
import type { Proc, Scheduler, Task } from "../kernel/task.js";
import { hexLE, readReg, regCount, REG_RIP, REGS, targetXml, hasAvx, writeReg } from "./regs.js";

/** siginfo code of a signal gdb gives at resume (as kill(2) sends it). */
const SI_USER = 0;

const SIGTRAP = 5;
const SIGINT = 2;

/** A malformed packet field: the packet gets an error reply (E01) and the stub keeps serving. */
class BadPacket extends Error {}

/** Little-endian hex bytes (a register value); anything but an even number of hex digits is malformed. */
function parseLE(hex: string): bigint {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new BadPacket(`bad register value '${hex.slice(0, 40)}'`);
  let v = 0n;
  for (let k = hex.length / 2 - 1; k >= 0; k--) v = (v << 8n) | BigInt(parseInt(hex.slice(2 * k, 2 * k + 2), 16));
  return v;
}

/** A signal number field (C/S packets): gdb's number in hex, returned as Linux's. */
function signalNum(s: string): number {
  const n = hexNum(s);
  const sig = gdbToLinux(n);
  if (sig < 0) throw new BadPacket(`bad signal ${n}`);
  return sig;
}

/** A hex number field (address, length, signal, register number): 1 to 16 hex digits, else malformed. */
function hexNum(s: string | undefined): number {
  if (s === undefined || !/^[0-9a-fA-F]{1,16}$/.test(s)) throw new BadPacket(`bad number '${(s ?? "").slice(0, 40)}'`);
  return parseInt(s, 16);
}

function bytesHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function checksum(s: string): string {
  let c = 0;
  for (let k = 0; k < s.length; k++) c = (c + s.charCodeAt(k)) & 0xff;
  return c.toString(16).padStart(2, "0");
}

/** Binary-escape for qXfer replies. */
function escapeBinary(s: string): string {
  return s.replace(/[#$}*]/g, (ch) => "}" + String.fromCharCode(ch.charCodeAt(0) ^ 0x20));
}

type StopReason = { kind: "signal"; sig: number; task: Task; extra?: string } | { kind: "exit"; status: ExitStatus };

/** A thread id field split: pid (-1: all, 0: any, null: not given) and tid (-1: all, 0: any). */
function ptid(s: string | undefined): { pid: number | null; tid: number } {
  const m = s === undefined ? null : /^p(-1|[0-9a-fA-F]{1,8})(?:\.(-1|[0-9a-fA-F]{1,8}))?$/.exec(s);
  if (m) return { pid: m[1] === "-1" ? -1 : parseInt(m[1], 16), tid: m[2] === undefined || m[2] === "-1" ? -1 : parseInt(m[2], 16) };
  return { pid: null, tid: threadId(s) };
}

export interface StubOptions {
  /** Path of the program (qXfer:exec-file:read). */
  execFile: string;
  /** Log protocol traffic (debugging the stub). */
  log?: (line: string) => void;
}

/** What a resume asked of one thread. */
interface Action {
  kind: "c" | "s";
  sig: number;
  range: [number, number] | null;
}

/** A thread id field: a tid, 0 (any thread) or -1 (all); `p<pid>.<tid>` (multiprocess syntax) names the tid. */
function threadId(s: string | undefined): number {
  const m = s === undefined ? null : /^(?:p(?:-1|[0-9a-fA-F]{1,8})\.)?(-1|[0-9a-fA-F]{1,8})$/.exec(s) ?? (/^p(-1|[0-9a-fA-F]{1,8})$/.test(s) ? [s, "-1"] : null);
  if (!m) throw new BadPacket(`bad thread id '${(s ?? "").slice(0, 40)}'`);
  return m[1] === "-1" ? -1 : parseInt(m[1], 16);
}

/** Hex-encode text (qThreadExtraInfo). */
function textHex(s: string): string {
  return Array.from(s, (ch) => ch.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function threadState(t: Task): string {
  return t.state === "blocked" ? "blocked in a syscall" : "runnable";
}

function xmlText(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The stub. Feed it bytes with `receive`; it answers through `send`. Running
 * happens in slices scheduled with `schedule` (with a delay in ms when the
 * guest idles) so that an interrupt (Ctrl-C, byte 0x03) can arrive while the
 * guest runs.
 */
export class GdbStub {
  private buf = "";
  private noAck = false;
  private readonly breakpoints = new Set<number>();
  private readonly watch = new Map<string, MemoryHook>();
  private running = false;
  private pendingFault: { info: FaultInfo; task: Task; deliver: () => void } | null = null;
  private stop: StopReason | null = null;
  private interrupted = false;
  private finished = false;
  private detached = false;
  private readonly sched: Scheduler;
  private readonly root: Proc;
  /** Thread chosen by Hg (null: the last one to stop) and by Hc (null: all). */
  private gThread: Task | null = null;
  private cThread: Task | null = null;
  /** The thread of the last stop reply. */
  private lastStop: Task;
  /** The thread being stepped in this resume, whether it has run its instruction, its range (vCont;r). */
  private stepTask: Task | null = null;
  private stepped = false;
  private range: [number, number] | null = null;
  /** The thread that resumes from a breakpoint at this rip: it does not stop there again at once. */
  private skipTask: Task | null = null;
  private skipRip = -1;
  /** Threads the resume left stopped. */
  private readonly held = new Set<Task>();
  /** The CPU the instruction hook sits on (a new one after execve). */
  private hookedCpu: CPU | null = null;
  private prevHook: InsnHook | null = null;
  private readonly hook: InsnHook;
  private prevJit = true;
  /** gdb's qSupported features: multiprocess thread ids (pPID.TID), fork, vfork and exec stop events. */
  private multiprocess = false;
  private forkEvents = false;
  private vforkEvents = false;
  private execEvents = false;
  /** The thread that vforked (events on): it stops with vforkdone before its first instruction after the child lets it go. */
  private vforkDone: Task | null = null;
  /** Hg named a thread of another (undebugged) process: breakpoint packets leave the debugged one alone. */
  private gOther: Task | null = null;
  private execFile: string;
  /** Called when the session ends (kill, detach-to-exit, process end after reporting). */
  onEnd: (status: ExitStatus | null, detached: boolean) => void = () => {};

  constructor(
    private readonly proc: Process,
    private readonly send: (data: string) => void,
    private readonly schedule: (fn: () => void, delayMs?: number) => void,
    private readonly opts: StubOptions,
  ) {
    this.sched = proc.sched;
    this.root = proc.sched.root;
    this.lastStop = this.root.tasks[0];
    const kernel = proc.kernel;
    const deliver = kernel.signalHandlers.fault;
    // a fault in the debugged process stops it and is reported to gdb; it is delivered when gdb resumes that
    // thread with that signal. Forked children share the handlers and keep the plain delivery.
    kernel.signalHandlers.fault = (k, info) => {
      if (this.detached || k !== this.kernel) return deliver(k, info);
      this.pendingFault = { info, task: k.task, deliver: () => deliver(k, info) };
      this.stop ??= { kind: "signal", sig: info.sig, task: k.task };
      this.sched.holdSignals = true;
      k.cpu.stopRequested = true;
    };
    this.sched.hold = (t) => t.proc === this.root && this.held.has(t);
    this.execFile = opts.execFile;
    this.sched.onFork = (parent, child, vfork) => this.onFork(parent, child, vfork);
    this.sched.onExec = (t) => this.onExec(t);
    const prev = (this.prevHook = proc.cpu.insnHook); // a tracer (--trace) goes on after the stub's check
    this.hook = prev ? (c, i) => this.onInsn(c) && prev(c, i) !== false : (c) => this.onInsn(c);
    this.hookCpu();
  }

  private get kernel(): Kernel {
    return this.proc.kernel;
  }

  private get cpu(): CPU {
    return this.proc.kernel.cpu;
  }

  /** Put the breakpoint/step check on the debugged process's CPU (again after an execve replaced it). */
  private hookCpu(): void {
    const cpu = this.cpu;
    if (this.hookedCpu === cpu) return;
    this.hookedCpu = cpu;
    this.prevJit = cpu.jitEnabled;
    cpu.jitEnabled = false; // breakpoints and single steps are checked per instruction
    cpu.insnHook = this.hook;
  }

  /** Before each instruction of every task on the hooked CPU: false stops the run before it executes. */
  private onInsn(cpu: CPU): boolean {
    if (cpu !== this.hookedCpu) {
      // a forked child's CPU inherited the hook: it is not debugged, give it back its speed
      cpu.insnHook = this.prevHook;
      cpu.jitEnabled = this.prevJit;
      return true;
    }
    const t = this.sched.current;
    if (this.detached || t === null || t.proc !== this.root) return true; // a vfork child on the shared CPU runs freely
    if (this.stop) return false;
    if (t === this.vforkDone) {
      this.vforkDone = null;
      return this.stopAt({ kind: "signal", sig: SIGTRAP, task: t, extra: "vforkdone:;" });
    }
    const rip = cpu.rip;
    if (t === this.stepTask) {
      if (!this.stepped) {
        this.stepped = true; // the stepped instruction itself, even on a breakpoint (gdb steps over its own)
        this.skipTask = null;
        return true;
      }
      if (!this.range || rip < this.range[0] || rip >= this.range[1]) return this.stopAt({ kind: "signal", sig: SIGTRAP, task: t });
    }
    if (t === this.skipTask) {
      this.skipTask = null;
      if (rip === this.skipRip) return true;
    }
    if (this.breakpoints.has(rip)) return this.stopAt({ kind: "signal", sig: SIGTRAP, task: t, extra: "swbreak:;" });
    return true;
  }

  /** A thread of the debugged process made a process: a fork or vfork stop when gdb asked for them. */
  private onFork(parent: Task, child: Task, vfork: boolean): void {
    if (this.detached || parent.proc !== this.root || !(vfork ? this.vforkEvents : this.forkEvents)) return;
    this.stopAt({ kind: "signal", sig: SIGTRAP, task: parent, extra: `${vfork ? "vfork" : "fork"}:${this.ptidText(child)};` });
    if (vfork) this.vforkDone = parent;
    parent.kernel.cpu.stopRequested = true;
  }

  /** The debugged process runs a new program: the old image's breakpoints and watchpoints are gone; an exec stop when asked. */
  private onExec(t: Task): void {
    if (this.detached || t.proc !== this.root) return;
    this.breakpoints.clear();
    this.watch.clear(); // their hooks were on the old memory
    this.execFile = String(this.kernel.state.exePath ?? this.execFile);
    this.hookCpu();
    if (this.execEvents) this.stopAt({ kind: "signal", sig: SIGTRAP, task: t, extra: `exec:${textHex(this.execFile)};` });
  }

  /** A thread's id as gdb reads it: pPID.TID under multiprocess, else the tid. */
  private ptidText(t: Task): string {
    return this.multiprocess ? `p${t.proc.pid.toString(16)}.${t.tid.toString(16)}` : t.tid.toString(16);
  }

  private stopAt(s: StopReason): false {
    this.stop ??= s;
    this.sched.holdSignals = true; // the thread stops here, not in a signal handler
    return false;
  }

  /** Live threads of the debugged process. */
  private threads(): Task[] {
    return this.root.tasks.filter((t) => t.state !== "dead");
  }

  private threadByTid(tid: number): Task | null {
    for (const t of this.root.tasks) if (t.tid === tid && t.state !== "dead") return t;
    return null;
  }

  /** The thread register and memory packets act on: gdb's Hg choice, else the last to stop, else any live one. */
  private selected(): Task | null {
    if (this.gThread && this.gThread.state !== "dead") return this.gThread;
    if (this.lastStop.state !== "dead") return this.lastStop;
    return this.threads()[0] ?? null;
  }

  /** The CPU with the selected thread's context loaded. */
  private regsCpu(): CPU {
    const t = this.selected();
    if (t) this.sched.switchTo(t);
    return this.cpu;
  }

  /** Bytes from gdb. */
  receive(data: string): void {
    for (const ch of data) {
      if (ch === "\x03" && this.buf === "") {
        this.interrupted = true;
        continue;
      }
      this.buf += ch;
    }
    for (;;) {
      const start = this.buf.indexOf("$");
      if (start < 0) {
        this.buf = "";
        return;
      }
      const hash = this.buf.indexOf("#", start);
      if (hash < 0 || hash + 2 >= this.buf.length) {
        this.buf = this.buf.slice(start);
        return;
      }
      const body = this.buf.slice(start + 1, hash);
      const sum = this.buf.slice(hash + 1, hash + 3);
      this.buf = this.buf.slice(hash + 3);
      if (!this.noAck) {
        if (sum.toLowerCase() !== checksum(body)) {
          this.send("-");
          continue;
        }
        this.send("+");
      }
      this.opts.log?.(`<- ${body}`);
      try {
        this.handle(body);
      } catch (e) {
        this.reply("E01");
        this.opts.log?.(`error: ${(e as Error).message}`);
      }
    }
  }

  private reply(body: string): void {
    this.opts.log?.(`-> ${body.length > 200 ? body.slice(0, 200) + "..." : body}`);
    this.send(`$${body}#${checksum(body)}`);
  }

  private handle(p: string): void {
    if (this.running && p !== "vCtrlC") return; // gdb waits for the stop reply
    if (this.finished) return this.reply("E01");
    const c = p[0];
    if (p.startsWith("qSupported")) return this.supported(p);
    if (p === "QStartNoAckMode") {
      this.reply("OK");
      this.noAck = true;
      return;
    }
    if (p === "?") return this.reply(this.stopReply({ kind: "signal", sig: SIGTRAP, task: this.selected() ?? this.lastStop }));
    if (p === "qAttached" || p.startsWith("qAttached:")) return this.reply("1");
    if (p === "qC") return this.reply(`QC${this.ptidText(this.selected() ?? this.lastStop)}`);
    if (p === "qfThreadInfo") return this.reply("m" + this.threads().map((t) => this.ptidText(t)).join(","));
    if (p === "qsThreadInfo") return this.reply("l");
    if (p.startsWith("qThreadExtraInfo,")) {
      const t = this.threadByTid(threadId(p.slice(17)));
      return this.reply(t ? textHex(threadState(t)) : "E01");
    }
    if (p === "qOffsets") return this.reply("Text=0;Data=0;Bss=0");
    if (p.startsWith("qSymbol")) return this.reply("OK");
    if (c === "H") return this.setThread(p);
    if (c === "T") return this.reply(this.threadByTid(threadId(p.slice(1))) ? "OK" : "E01");
    if (p === "vCont?") return this.reply("vCont;c;C;s;S;r");
    if (p === "vCtrlC") {
      this.interrupted = true;
      return this.reply("OK");
    }
    if (p.startsWith("qXfer:")) return this.qxfer(p);
    if (p === "g") {
      const cpu = this.regsCpu();
      let out = "";
      for (let k = 0, n = regCount(cpu); k < n; k++) out += readReg(cpu, k);
      return this.reply(out);
    }
    if (c === "G") return this.writeAllRegs(p.slice(1));
    if (c === "p") {
      const n = hexNum(p.slice(1));
      const cpu = this.regsCpu();
      return this.reply(n < regCount(cpu) ? readReg(cpu, n) : "E00");
    }
    if (c === "P") {
      const [n, v] = p.slice(1).split("=");
      const k = hexNum(n);
      const cpu = this.regsCpu();
      if (!(k < regCount(cpu)) || v === undefined) return this.reply("E00");
      writeReg(cpu, k, parseLE(v));
      return this.reply("OK");
    }
    if (c === "m") return this.readMem(p.slice(1));
    if (c === "M") return this.writeMem(p.slice(1), false);
    if (c === "X") return this.writeMem(p.slice(1), true);
    if (c === "Z" || c === "z") return this.breakpoint(p);
    if (c === "c" || c === "C" || c === "s" || c === "S") {
      const [head, addr] = p.split(";");
      const sig = c === "C" || c === "S" ? signalNum(head.slice(1)) : 0;
      if ((c === "c" || c === "s") && head.length > 1) throw new BadPacket(`bad packet '${head.slice(0, 40)}'`);
      const pc = addr !== undefined ? hexNum(addr) : null;
      const step = c === "s" || c === "S";
      // the old packets: Hc names the thread (none: the selected one steps, all continue)
      const target = this.cThread && this.cThread.state !== "dead" ? this.cThread : this.selected();
      if (pc !== null && target) {
        this.sched.switchTo(target);
        this.cpu.rip = pc;
      }
      const actions = new Map<Task, Action>();
      for (const t of this.threads()) if (!step || t === target) actions.set(t, { kind: step ? "s" : "c", sig: t === target ? sig : 0, range: null });
      return this.resume(actions);
    }
    if (p.startsWith("vCont;")) return this.vcont(p.slice(6));
    if (c === "k") {
      this.finish(null, false);
      return;
    }
    if (c === "D") {
      // D;pid (multiprocess): a fork child gdb lets go is not debugged anyway
      if (p.startsWith("D;") && hexNum(p.slice(2)) !== this.root.pid) return this.reply(this.sched.procs.has(hexNum(p.slice(2))) ? "OK" : "E01");
      this.reply("OK");
      this.detach();
      return;
    }
    if (p.startsWith("vKill;")) {
      if (hexNum(p.slice(6)) !== this.root.pid) return this.reply("E01");
      this.reply("OK");
      this.finish(null, false);
      return;
    }
    if (p === "vMustReplyEmpty") return this.reply("");
    this.reply(""); // unsupported packet
  }

  /** qSupported: what gdb offers decides the multiprocess thread ids and the fork/vfork/exec events. */
  private supported(p: string): void {
    const offered = new Set(p.slice(11).split(";"));
    this.multiprocess = offered.has("multiprocess+");
    this.forkEvents = this.multiprocess && offered.has("fork-events+");
    this.vforkEvents = this.multiprocess && offered.has("vfork-events+");
    this.execEvents = offered.has("exec-events+");
    const events = `${this.multiprocess ? "multiprocess+;" : ""}${this.forkEvents ? "fork-events+;" : ""}${this.vforkEvents ? "vfork-events+;" : ""}${this.execEvents ? "exec-events+;" : ""}`;
    this.reply(`PacketSize=4000;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;qXfer:threads:read+;swbreak+;hwbreak+;vContSupported+;${events}QStartNoAckMode+`);
  }

  /** Hg / Hc: the thread for register access / for the old c and s packets. */
  private setThread(p: string): void {
    const op = p[1];
    if (op !== "g" && op !== "c") throw new BadPacket(`bad packet '${p.slice(0, 40)}'`);
    const id = ptid(p.slice(2));
    const tid = id.tid;
    let t: Task | null = null;
    if (op === "g") this.gOther = null;
    if (id.pid !== null && id.pid > 0 && id.pid !== this.root.pid) {
      // a thread of another process (gdb takes its breakpoints out of a fork child it detaches)
      const o = this.sched.procs.get(id.pid);
      const ot = o ? (tid > 0 ? o.tasks.find((x) => x.tid === tid && x.state !== "dead") : o.tasks.find((x) => x.state !== "dead")) : undefined;
      if (!ot) return this.reply("E01");
      if (op === "g") this.gOther = ot;
      return this.reply("OK");
    }
    if (tid > 0) {
      t = this.threadByTid(tid);
      if (!t) return this.reply("E01");
    }
    if (op === "g") this.gThread = t;
    else this.cThread = t;
    this.reply("OK");
  }

  /** vCont;action[:thread];...: for each thread the leftmost action naming it (or naming no thread) applies. */
  private vcont(list: string): void {
    const parsed: Array<{ a: Action; tid: number }> = [];
    for (const item of list.split(";")) {
      const colon = item.indexOf(":");
      const a = colon < 0 ? item : item.slice(0, colon);
      const tid = colon < 0 ? -1 : threadId(item.slice(colon + 1));
      let act: Action;
      if (a[0] === "r") {
        const [s, e] = a.slice(1).split(",");
        act = { kind: "s", sig: 0, range: [hexNum(s), hexNum(e)] };
      } else if (a === "c" || a === "s") act = { kind: a, sig: 0, range: null };
      else if (a[0] === "C" || a[0] === "S") act = { kind: a[0] === "C" ? "c" : "s", sig: signalNum(a.slice(1)), range: null };
      else throw new BadPacket(`bad vCont action '${a.slice(0, 40)}'`);
      parsed.push({ a: act, tid });
    }
    const actions = new Map<Task, Action>();
    for (const t of this.threads()) {
      const m = parsed.find((x) => x.tid <= 0 || x.tid === t.tid);
      if (m) actions.set(t, m.a);
    }
    if ([...actions.values()].filter((a) => a.kind === "s").length > 1) throw new BadPacket("more than one thread to step");
    if (actions.size === 0) throw new BadPacket("vCont names no live thread");
    this.resume(actions);
  }

  private qxfer(p: string): void {
    const [, object, op, annex, range] = p.split(":");
    if (op !== "read") return this.reply("");
    const [offHex, lenHex] = (range ?? "0,0").split(",");
    const off = hexNum(offHex);
    const len = hexNum(lenHex);
    let data: string;
    if (object === "features" && annex === "target.xml") data = targetXml(hasAvx(this.cpu));
    else if (object === "auxv") {
      const words = this.proc.image.auxv.flatMap(([t, v]) => [t, v]);
      data = words.map((w) => String.fromCharCode(...Array.from({ length: 8 }, (_, k) => Number((BigInt(w) >> BigInt(8 * k)) & 0xffn)))).join("");
    } else if (object === "exec-file") data = this.execFile;
    else if (object === "threads") {
      // names: the process's comm (PR_SET_NAME names the process here, not one thread)
      const comm = commName(this.kernel);
      const name = comm ? ` name="${xmlText(comm)}"` : "";
      data = `<?xml version="1.0"?><threads>${this.threads()
        .map((t) => `<thread id="${this.ptidText(t)}" core="0"${name}>${threadState(t)}</thread>`)
        .join("")}</threads>`;
    }
    else return this.reply("E00");
    const chunk = data.slice(off, off + len);
    this.reply((off + len >= data.length ? "l" : "m") + escapeBinary(chunk));
  }

  private writeAllRegs(hex: string): void {
    // parse everything first: a malformed packet changes no register
    const cpu = this.regsCpu();
    const values: bigint[] = [];
    let off = 0;
    for (let k = 0, n = regCount(cpu); k < n && off < hex.length; k++) {
      const len = (REGS[k].bits / 8) * 2;
      values.push(parseLE(hex.slice(off, off + len)));
      off += len;
    }
    values.forEach((v, k) => writeReg(cpu, k, v));
    this.reply("OK");
  }

  // ---- memory (shared by the threads) ----------------------------------------

  private readMem(args: string): void {
    const [as, ls] = args.split(",");
    const a = hexNum(as);
    const l = hexNum(ls);
    const out: number[] = [];
    const mem = this.cpu.mem;
    for (let k = 0; k < Math.min(l, 0x4000); k++) {
      if (mem.protOf(a + k) < 0) break;
      out.push(mem.readBytes(a + k, 1, false)[0]);
    }
    if (out.length === 0 && l > 0) return this.reply("E14");
    this.reply(bytesHex(Uint8Array.from(out)));
  }

  private writeMem(args: string, binary: boolean): void {
    const colon = args.indexOf(":");
    if (colon < 0) throw new BadPacket("memory write without ':'");
    const [as, ls] = args.slice(0, colon).split(",");
    const a = hexNum(as);
    const l = hexNum(ls);
    const payload = args.slice(colon + 1);
    if (!binary && (payload.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(payload))) throw new BadPacket("bad memory bytes");
    let bytes: Uint8Array;
    if (binary) {
      const out: number[] = [];
      for (let k = 0; k < payload.length; k++) {
        let ch = payload.charCodeAt(k);
        if (ch === 0x7d) ch = payload.charCodeAt(++k) ^ 0x20;
        out.push(ch & 0xff);
      }
      bytes = Uint8Array.from(out);
    } else bytes = Uint8Array.from(payload.match(/../g) ?? [], (h) => parseInt(h, 16));
    if (bytes.length !== l) return this.reply("E01");
    try {
      for (let k = 0; k < l; k++) if (this.cpu.mem.protOf(a + k) < 0) throw new MemoryFault(a + k, "write", false);
      if (l > 0) this.cpu.mem.writeBytes(a, bytes, false); // like ptrace: ignores page protection
      this.reply("OK");
    } catch {
      this.reply("E14");
    }
  }

  // ---- breakpoints and watchpoints (every thread of the process) -------------

  private breakpoint(p: string): void {
    const set = p[0] === "Z";
    const [type, addrHex, kindHex] = p.slice(1).split(",");
    const addr = hexNum(addrHex);
    const len = hexNum(kindHex?.split(";")[0]);
    if (this.gOther && (type === "0" || type === "1")) return this.reply("OK"); // an undebugged process has none
    if (type === "0" || type === "1") {
      if (set) this.breakpoints.add(addr);
      else this.breakpoints.delete(addr);
      return this.reply("OK");
    }
    if (type === "2" || type === "3" || type === "4") {
      const key = `${type}:${addr}:${len}`;
      const mem = this.cpu.mem;
      if (set) {
        if (this.watch.has(key)) return this.reply("OK");
        const kind = type === "2" ? "watch" : type === "3" ? "rwatch" : "awatch";
        const hook: MemoryHook = {
          start: addr,
          end: addr + len,
          fn: (_a, _s, access) => {
            if ((type === "2" && access !== "write") || (type === "3" && access !== "read")) return;
            const t = this.sched.current;
            if (this.stop || this.detached || t === null || t.proc !== this.root) return;
            // the access completes, the thread stops after its instruction
            this.stopAt({ kind: "signal", sig: SIGTRAP, task: t, extra: `${kind}:${addr.toString(16)};` });
            this.cpu.stopRequested = true;
          },
        };
        this.watch.set(key, hook);
        mem.hooks.push(hook);
        mem.flushTlb();
      } else {
        const h = this.watch.get(key);
        if (h) mem.hooks.splice(mem.hooks.indexOf(h), 1);
        this.watch.delete(key);
        mem.flushTlb();
      }
      return this.reply("OK");
    }
    this.reply("");
  }

  // ---- running -----------------------------------------------------------------

  /** Resume: threads with an action run (one may step), the others stay stopped. */
  private resume(actions: Map<Task, Action>): void {
    this.hookCpu();
    const pf = this.pendingFault;
    this.pendingFault = null;
    if (pf && pf.task.state !== "dead" && actions.get(pf.task)?.sig === pf.info.sig) {
      // resumed with the fault's signal: its default action (death) or the guest's handler;
      // resumed without it, the faulting instruction runs again (as with ptrace)
      this.sched.switchTo(pf.task);
      try {
        pf.deliver();
      } catch (e) {
        if (!(e instanceof ProcessExit)) throw e;
      }
      if (this.ended()) return;
    }
    // any other signal given at resume (`signal SIGUSR1`, C/S packets) is sent to its thread,
    // as ptrace's restart with a signal delivers it: a handler runs, or the default action
    for (const [t, a] of actions) {
      if (a.sig === 0 || t.state === "dead" || (pf && pf.task === t && pf.info.sig === a.sig)) continue;
      queueSignalTo(t, a.sig, SI_USER, 0);
      this.sched.switchTo(t);
      try {
        deliverPending(this.kernel); // now, not at the end of a slice: a step lands in the handler
      } catch (e) {
        if (!(e instanceof ProcessExit)) throw e;
      }
      if (this.ended()) return;
    }
    this.held.clear();
    for (const t of this.threads()) if (!actions.has(t)) this.held.add(t);
    this.stepTask = null;
    this.range = null;
    this.stepped = false;
    for (const [t, a] of actions) {
      if (a.kind !== "s") continue;
      this.stepTask = t;
      this.range = a.range;
    }
    // the thread that stopped does not stop again at once on the breakpoint it stopped at
    this.skipTask = null;
    if (this.lastStop.state !== "dead" && actions.has(this.lastStop)) {
      this.sched.switchTo(this.lastStop);
      this.skipTask = this.lastStop;
      this.skipRip = this.cpu.rip;
    }
    this.stop = null;
    this.interrupted = false;
    this.sched.holdSignals = false;
    this.running = true;
    this.schedule(() => this.runSlice());
  }

  private runSlice(): void {
    try {
      this.runSliceUnsafe();
    } catch (e) {
      // never a stack trace out of the event loop: report an error and wait for the next packet
      this.running = false;
      this.opts.log?.(`error: ${(e as Error).message}`);
      this.reply("E01");
    }
  }

  private runSliceUnsafe(): void {
    if (this.finished) return;
    const s = this.sched;
    const BUDGET = 200000;
    const start = s.executed;
    while (s.executed - start < BUDGET) {
      if (this.ended()) return;
      if (this.interrupted && !this.stop) this.stop = { kind: "signal", sig: SIGINT, task: this.selected() ?? this.lastStop };
      if (this.stop) return this.reportStop();
      this.hookCpu();
      const r = s.step(BUDGET - (s.executed - start));
      if (this.ended()) return;
      if (!this.stop) this.checkStep();
      if (this.stop) return this.reportStop();
      if (r === "idle") {
        // nothing can run now: look again when the earliest timeout is due (or soon: a host event, Ctrl-C)
        const wait = s.idleDeadline === null ? 20 : (s.idleDeadline - Number(this.kernel.host.monotonicNs())) / 1e6;
        this.schedule(() => this.runSlice(), Math.max(0, Math.min(20, Math.ceil(wait))));
        return;
      }
    }
    this.schedule(() => this.runSlice());
  }

  /** The stepped thread's step ended with its slice (a syscall, a thread switch) or the thread exited. */
  private checkStep(): void {
    const t = this.stepTask;
    if (t === null) return;
    if (t.state === "dead") {
      const other = this.threads()[0];
      if (other) this.stopAt({ kind: "signal", sig: SIGTRAP, task: other });
      return;
    }
    if (!this.stepped || t.state !== "run") return;
    this.sched.switchTo(t);
    const rip = this.cpu.rip;
    if (!this.range || rip < this.range[0] || rip >= this.range[1]) this.stopAt({ kind: "signal", sig: SIGTRAP, task: t });
  }

  /** The debugged process has ended: report it and end the session. */
  private ended(): boolean {
    const st = this.root.status ?? this.kernel.status;
    if (!st) return false;
    this.finish(st, false);
    return true;
  }

  private reportStop(): void {
    const s = this.stop!;
    this.running = false;
    this.held.clear();
    if (s.kind === "signal") this.lastStop = s.task;
    this.reply(this.stopReply(s));
  }

  private stopReply(s: StopReason): string {
    if (s.kind === "exit") {
      const st = s.status;
      const pid = this.multiprocess ? `;process:${this.root.pid.toString(16)}` : "";
      return (st.kind === "exit" ? `W${st.code.toString(16).padStart(2, "0")}` : `X${linuxToGdb(st.signal).toString(16).padStart(2, "0")}`) + pid;
    }
    if (s.task.state !== "dead") this.sched.switchTo(s.task);
    const cpu = this.cpu;
    return `T${linuxToGdb(s.sig).toString(16).padStart(2, "0")}${hexLE(BigInt(REG_RIP), 1)}:${readReg(cpu, REG_RIP)};07:${readReg(cpu, 7)};thread:${this.ptidText(s.task)};${s.extra ?? ""}`;
  }

  private finish(status: ExitStatus | null, detached: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    if (status) this.reply(this.stopReply({ kind: "exit", status }));
    this.release();
    this.onEnd(status, detached);
  }

  /** Take the stub's hooks out of the CPU, memory and scheduler. */
  private release(): void {
    for (const h of this.watch.values()) this.cpu.mem.hooks.splice(this.cpu.mem.hooks.indexOf(h), 1);
    this.watch.clear();
    this.breakpoints.clear();
    this.cpu.mem.flushTlb();
    if (this.hookedCpu) {
      this.hookedCpu.insnHook = this.prevHook;
      this.hookedCpu.jitEnabled = this.prevJit;
    }
    this.sched.hold = null;
    this.sched.onFork = null;
    this.sched.onExec = null;
    this.held.clear();
    this.sched.holdSignals = false;
  }

  private detach(): void {
    this.detached = true;
    this.finished = true;
    this.release();
    this.onEnd(null, true);
  }
}
