/**
 * A gdb remote serial protocol stub (transport-independent: bytes in, bytes
 * out). It stops before the first instruction and serves registers, memory,
 * software breakpoints, watchpoints (memory hooks), stepping and continuing,
 * the target description, auxv and the exec file, and reports exits, deaths
 * by signal and faults as gdb expects. The Node transports (TCP, stdio) live
 * in src/host/gdb-node.ts.
 */
import type { CPU, FaultInfo } from "../cpu/cpu.js";
import { fpuStatusWord } from "../cpu/fxsave.js";
import { MemoryFault, type MemoryHook } from "../cpu/memory.js";
import type { Process } from "../kernel/program.js";
import type { ExitStatus } from "../kernel/kernel.js";

const SIGTRAP = 5;

/** Register numbering of the target description below. */
interface RegDef {
  name: string;
  bits: number;
  type?: string;
  group?: string;
  feature: string;
}

const GPR = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
/** Our register index for gdb's GPR order. */
const GPR_INDEX = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];

const REGS: RegDef[] = [
  ...GPR.map((name) => ({ name, bits: 64, type: name === "rbp" || name === "rsp" ? "data_ptr" : "int64", feature: "core" })),
  { name: "rip", bits: 64, type: "code_ptr", feature: "core" },
  { name: "eflags", bits: 32, type: "i386_eflags", feature: "core" },
  ...["cs", "ss", "ds", "es", "fs", "gs"].map((name) => ({ name, bits: 32, type: "int32", feature: "core" })),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ name: `st${k}`, bits: 80, type: "i387_ext", feature: "core" })),
  ...["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"].map((name) => ({ name, bits: 32, type: "int", group: "float", feature: "core" })),
  ...Array.from({ length: 16 }, (_, k) => ({ name: `xmm${k}`, bits: 128, type: "vec128", feature: "sse" })),
  { name: "mxcsr", bits: 32, type: "i386_mxcsr", group: "vector", feature: "sse" },
  { name: "orig_rax", bits: 64, type: "int", feature: "linux" },
  { name: "fs_base", bits: 64, type: "int", feature: "linux" },
  { name: "gs_base", bits: 64, type: "int", feature: "linux" },
];

const SEGS = [0x33, 0x2b, 0, 0, 0, 0];

function targetXml(): string {
  const feat = (name: string, tag: string, extra: string) => {
    let num = 0;
    const regs = REGS.map((r, k) => ({ r, k }))
      .filter(({ r }) => r.feature === name)
      .map(({ r, k }) => {
        num = k;
        return `<reg name="${r.name}" bitsize="${r.bits}" regnum="${k}"${r.type ? ` type="${r.type}"` : ""}${r.group ? ` group="${r.group}"` : ""}/>`;
      })
      .join("");
    void num;
    return `<feature name="${tag}">${extra}${regs}</feature>`;
  };
  const flags =
    '<flags id="i386_eflags" size="4"><field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/><field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/><field name="AC" start="18" end="18"/><field name="ID" start="21" end="21"/></flags>';
  const vec =
    '<vector id="v8bf16" type="bfloat16" count="8"/><vector id="v4f" type="ieee_single" count="4"/><vector id="v2d" type="ieee_double" count="2"/><vector id="v16i8" type="int8" count="16"/><vector id="v8i16" type="int16" count="8"/><vector id="v4i32" type="int32" count="4"/><vector id="v2i64" type="int64" count="2"/><union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union><flags id="i386_mxcsr" size="4"><field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/><field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/><field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/></flags>';
  return (
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0"><architecture>i386:x86-64</architecture><osabi>GNU/Linux</osabi>' +
    feat("core", "org.gnu.gdb.i386.core", flags) +
    feat("sse", "org.gnu.gdb.i386.sse", vec) +
    feat("linux", "org.gnu.gdb.i386.linux", "") +
    "</target>"
  );
}

function hexLE(v: bigint, bytes: number): string {
  let s = "";
  for (let k = 0; k < bytes; k++) {
    s += Number((v >> BigInt(8 * k)) & 0xffn)
      .toString(16)
      .padStart(2, "0");
  }
  return s;
}

/** A malformed packet field: the packet gets an error reply (E01) and the stub keeps serving. */
class BadPacket extends Error {}

/** Little-endian hex bytes (a register value); anything but an even number of hex digits is malformed. */
function parseLE(hex: string): bigint {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new BadPacket(`bad register value '${hex.slice(0, 40)}'`);
  let v = 0n;
  for (let k = hex.length / 2 - 1; k >= 0; k--) v = (v << 8n) | BigInt(parseInt(hex.slice(2 * k, 2 * k + 2), 16));
  return v;
}

/** A signal number field (C/S packets): 1 or 2 hex digits. */
function signalNum(s: string): number {
  const n = hexNum(s);
  if (n > 64) throw new BadPacket(`bad signal ${n}`);
  return n;
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

type StopReason = { kind: "signal"; sig: number; extra?: string } | { kind: "exit"; status: ExitStatus };

export interface StubOptions {
  /** Path of the program (qXfer:exec-file:read). */
  execFile: string;
  /** Log protocol traffic (debugging the stub). */
  log?: (line: string) => void;
}

/**
 * The stub. Feed it bytes with `receive`; it answers through `send`. Running
 * happens in slices scheduled with `schedule` so that an interrupt (Ctrl-C,
 * byte 0x03) can arrive while the guest runs.
 */
export class GdbStub {
  private buf = "";
  private noAck = false;
  private readonly breakpoints = new Set<number>();
  private readonly watch = new Map<string, MemoryHook>();
  private running = false;
  private stepping = false;
  private range: [number, number] | null = null;
  private pendingFault: FaultInfo | null = null;
  private watchHit: { kind: string; addr: number } | null = null;
  private interrupted = false;
  private resumeSignal = 0;
  private finished = false;
  private readonly cpu: CPU;
  /** Called when the session ends (kill, detach-to-exit, process end after reporting). */
  onEnd: (status: ExitStatus | null, detached: boolean) => void = () => {};

  constructor(
    private readonly proc: Process,
    private readonly send: (data: string) => void,
    private readonly schedule: (fn: () => void) => void,
    private readonly opts: StubOptions,
  ) {
    this.cpu = proc.cpu;
    this.cpu.jitEnabled = false; // breakpoints and single steps are checked per instruction
    const kernel = proc.kernel;
    const deliver = kernel.signalHandlers.fault;
    // a fault stops the guest and is reported to gdb; it is delivered when gdb resumes with that signal
    kernel.signalHandlers.fault = (k, info) => {
      if (this.detached) return deliver(k, info);
      this.pendingFault = info;
      this.deliverFault = () => deliver(k, info);
      this.cpu.stopRequested = true;
    };
  }

  private deliverFault: (() => void) | null = null;
  private detached = false;

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
    const c = p[0];
    if (p.startsWith("qSupported")) return this.reply("PacketSize=4000;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+");
    if (p === "QStartNoAckMode") {
      this.reply("OK");
      this.noAck = true;
      return;
    }
    if (p === "?") return this.reply(this.stopReply({ kind: "signal", sig: SIGTRAP }));
    if (p === "qAttached") return this.reply("1");
    if (p === "qC") return this.reply("QC1");
    if (p === "qfThreadInfo") return this.reply("m1");
    if (p === "qsThreadInfo") return this.reply("l");
    if (p === "qOffsets") return this.reply("Text=0;Data=0;Bss=0");
    if (p.startsWith("qSymbol")) return this.reply("OK");
    if (p.startsWith("H") || p.startsWith("T")) return this.reply("OK");
    if (p === "vCont?") return this.reply("vCont;c;C;s;S;r");
    if (p === "vCtrlC") {
      this.interrupted = true;
      return this.reply("OK");
    }
    if (p.startsWith("qXfer:")) return this.qxfer(p);
    if (p === "g") return this.reply(REGS.map((_, k) => this.readReg(k)).join(""));
    if (c === "G") return this.writeAllRegs(p.slice(1));
    if (c === "p") {
      const n = hexNum(p.slice(1));
      return this.reply(n < REGS.length ? this.readReg(n) : "E00");
    }
    if (c === "P") {
      const [n, v] = p.slice(1).split("=");
      const k = hexNum(n);
      if (!(k < REGS.length) || v === undefined) return this.reply("E00");
      this.writeReg(k, parseLE(v));
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
      if (addr !== undefined) this.cpu.rip = hexNum(addr);
      this.resumeSignal = sig;
      return this.resume(c === "s" || c === "S", null);
    }
    if (p.startsWith("vCont;")) return this.vcont(p.slice(6));
    if (c === "k") {
      this.finish(null, false);
      return;
    }
    if (c === "D") {
      this.reply("OK");
      this.detach();
      return;
    }
    if (p === "vMustReplyEmpty") return this.reply("");
    this.reply(""); // unsupported packet
  }

  private vcont(actions: string): void {
    // use the first action (single thread): c, Cxx, s, Sxx, r start,end
    const [a, thread] = actions.split(";")[0].split(":");
    if (thread !== undefined && !/^(p?-?[0-9a-fA-F]+(\.-?[0-9a-fA-F]+)?)$/.test(thread)) throw new BadPacket(`bad thread id '${thread.slice(0, 40)}'`);
    if (a[0] === "r") {
      const [s, e] = a.slice(1).split(",");
      return this.resume(true, [hexNum(s), hexNum(e)]);
    }
    if (a !== "c" && a !== "s" && a[0] !== "C" && a[0] !== "S") throw new BadPacket(`bad vCont action '${a.slice(0, 40)}'`);
    this.resumeSignal = a[0] === "C" || a[0] === "S" ? signalNum(a.slice(1)) : 0;
    this.resume(a[0] === "s" || a[0] === "S", null);
  }

  private qxfer(p: string): void {
    const [, object, op, annex, range] = p.split(":");
    if (op !== "read") return this.reply("");
    const [offHex, lenHex] = (range ?? "0,0").split(",");
    const off = hexNum(offHex);
    const len = hexNum(lenHex);
    let data: string;
    if (object === "features" && annex === "target.xml") data = targetXml();
    else if (object === "auxv") {
      const words = this.proc.image.auxv.flatMap(([t, v]) => [t, v]);
      data = words.map((w) => String.fromCharCode(...Array.from({ length: 8 }, (_, k) => Number((BigInt(w) >> BigInt(8 * k)) & 0xffn)))).join("");
    } else if (object === "exec-file") data = this.opts.execFile;
    else return this.reply("E00");
    const chunk = data.slice(off, off + len);
    this.reply((off + len >= data.length ? "l" : "m") + escapeBinary(chunk));
  }

  // ---- registers -------------------------------------------------------------

  private regValue(k: number): bigint {
    const c = this.cpu;
    if (k < 16) return c.getReg64(GPR_INDEX[k]);
    if (k === 16) return BigInt(c.rip);
    if (k === 17) return BigInt(c.getRflags() >>> 0);
    if (k < 24) return BigInt(SEGS[k - 18]);
    if (k < 32) {
      const phys = (c.fpuTop + (k - 24)) & 7;
      let v = 0n;
      for (let b = 9; b >= 0; b--) v = (v << 8n) | BigInt(c.fpr[phys * 16 + b]);
      return v;
    }
    if (k < 40) {
      switch (k - 32) {
        case 0:
          return BigInt(c.fpuControl);
        case 1:
          return BigInt(fpuStatusWord(c));
        case 2:
          return BigInt(c.fpuTag);
        case 4:
          return BigInt(c.fpuLastIp % 4294967296);
        case 6:
          return BigInt(c.fpuLastDp % 4294967296);
        case 7:
          return BigInt(c.fpuLastOpcode);
        default:
          return 0n;
      }
    }
    if (k < 56) {
      const x = (k - 40) * 4;
      let v = 0n;
      for (let j = 3; j >= 0; j--) v = (v << 32n) | BigInt(c.xmm[x + j] >>> 0);
      return v;
    }
    if (k === 56) return BigInt(c.mxcsr);
    if (k === 57) return -1n & 0xffffffffffffffffn;
    if (k === 58) return BigInt(c.fsBase);
    return BigInt(c.gsBase);
  }

  private readReg(k: number): string {
    return hexLE(this.regValue(k), REGS[k].bits / 8);
  }

  private writeReg(k: number, v: bigint): void {
    const c = this.cpu;
    if (k < 16) c.setReg64Big(GPR_INDEX[k], v);
    else if (k === 16) c.rip = Number(v);
    else if (k === 17) c.setRflags(Number(v & 0xffffffffn));
    else if (k >= 24 && k < 32) {
      const phys = (c.fpuTop + (k - 24)) & 7;
      for (let b = 0; b < 10; b++) c.fpr[phys * 16 + b] = Number((v >> BigInt(8 * b)) & 0xffn);
    } else if (k === 32) c.fpuControl = Number(v) & 0xffff;
    else if (k >= 40 && k < 56) {
      const x = (k - 40) * 4;
      for (let j = 0; j < 4; j++) c.xmm[x + j] = Number((v >> BigInt(32 * j)) & 0xffffffffn) | 0;
    } else if (k === 56) c.mxcsr = Number(v) & 0xffff;
    else if (k === 58) c.fsBase = Number(v);
    else if (k === 59) c.gsBase = Number(v);
  }

  private writeAllRegs(hex: string): void {
    // parse everything first: a malformed packet changes no register
    const values: bigint[] = [];
    let off = 0;
    for (let k = 0; k < REGS.length && off < hex.length; k++) {
      const n = (REGS[k].bits / 8) * 2;
      values.push(parseLE(hex.slice(off, off + n)));
      off += n;
    }
    values.forEach((v, k) => this.writeReg(k, v));
    this.reply("OK");
  }

  // ---- memory ----------------------------------------------------------------

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

  // ---- breakpoints and watchpoints -------------------------------------------

  private breakpoint(p: string): void {
    const set = p[0] === "Z";
    const [type, addrHex, kindHex] = p.slice(1).split(",");
    const addr = hexNum(addrHex);
    const len = hexNum(kindHex?.split(";")[0]);
    if (type === "0" || type === "1") {
      if (set) this.breakpoints.add(addr);
      else this.breakpoints.delete(addr);
      return this.reply("OK");
    }
    if (type === "2" || type === "3" || type === "4") {
      const key = `${type}:${addr}:${len}`;
      const mem = this.cpu.mem;
      if (set) {
        const kind = type === "2" ? "watch" : type === "3" ? "rwatch" : "awatch";
        const hook: MemoryHook = {
          start: addr,
          end: addr + len,
          fn: (_a, _s, access) => {
            if ((type === "2" && access !== "write") || (type === "3" && access !== "read")) return;
            if (!this.watchHit) this.watchHit = { kind, addr };
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

  private resume(step: boolean, range: [number, number] | null): void {
    const fault = this.pendingFault;
    this.pendingFault = null;
    if (fault) {
      const deliver = this.deliverFault;
      this.deliverFault = null;
      if (this.resumeSignal === fault.sig && deliver) {
        deliver(); // default action (death) or the guest's handler
        if (this.proc.kernel.status) return this.finish(this.proc.kernel.status, false);
      }
      // resumed without the signal: the faulting instruction runs again (as with ptrace)
    }
    this.stepping = step;
    this.range = range;
    this.running = true;
    this.interrupted = false;
    this.watchHit = null;
    this.schedule(() => this.runSlice(true));
  }

  private runSlice(first: boolean): void {
    try {
      this.runSliceUnsafe(first);
    } catch (e) {
      // never a stack trace out of the event loop: report an error and wait for the next packet
      this.running = false;
      this.opts.log?.(`error: ${(e as Error).message}`);
      this.reply("E01");
    }
  }

  private runSliceUnsafe(first: boolean): void {
    const c = this.cpu;
    const k = this.proc.kernel;
    const SLICE = 200000;
    let n = 0;
    let skipBreak = first; // do not stop on the breakpoint we are resuming from
    let stop: StopReason | null = null;
    while (n < SLICE) {
      if (k.status) return this.finish(k.status, false);
      if (this.interrupted) {
        stop = { kind: "signal", sig: 2 };
        break;
      }
      if (!skipBreak && this.breakpoints.has(c.rip)) {
        stop = { kind: "signal", sig: SIGTRAP, extra: "swbreak:;" };
        break;
      }
      skipBreak = false;
      c.stopRequested = false;
      c.step();
      n++;
      if (k.status) return this.finish(k.status, false);
      if (this.pendingFault) {
        stop = { kind: "signal", sig: this.pendingFault.sig };
        break;
      }
      if (this.watchHit) {
        stop = { kind: "signal", sig: SIGTRAP, extra: `${this.watchHit.kind}:${this.watchHit.addr.toString(16)};` };
        break;
      }
      if (this.stepping) {
        if (this.range && c.rip >= this.range[0] && c.rip < this.range[1]) continue;
        stop = { kind: "signal", sig: SIGTRAP };
        break;
      }
    }
    if (!stop) {
      this.schedule(() => this.runSlice(false));
      return;
    }
    this.running = false;
    this.reply(this.stopReply(stop));
  }

  private stopReply(s: StopReason): string {
    if (s.kind === "exit") {
      const st = s.status;
      return st.kind === "exit" ? `W${st.code.toString(16).padStart(2, "0")}` : `X${st.signal.toString(16).padStart(2, "0")}`;
    }
    const pc = hexLE(BigInt(this.cpu.rip), 8);
    const sp = hexLE(this.cpu.getReg64(4), 8);
    return `T${s.sig.toString(16).padStart(2, "0")}10:${pc};07:${sp};thread:1;${s.extra ?? ""}`;
  }

  private finish(status: ExitStatus | null, detached: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    if (status) this.reply(this.stopReply({ kind: "exit", status }));
    this.onEnd(status, detached);
  }

  private detach(): void {
    this.detached = true;
    for (const h of this.watch.values()) this.cpu.mem.hooks.splice(this.cpu.mem.hooks.indexOf(h), 1);
    this.watch.clear();
    this.breakpoints.clear();
    this.cpu.mem.flushTlb();
    this.cpu.jitEnabled = true;
    this.finished = true;
    this.onEnd(null, true);
  }
}
