// The playground's Web Worker: assembles the editor's source, runs it in the
// emulator and reports its state. Bundled by scripts/build-web.mjs into
// playground-worker.js. Runs in slices, so a "stop" message is seen between
// them (and the page can always terminate the worker as a last resort).
import { Emulator, MemoryHost, decode, formatInsn, Insn } from "../../src/index.ts";
import { buildProgram, AsmError } from "../../src/asm/index.ts";

const REGS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];
const ARG_REGS = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
const SLICE = 100_000;

let emu = null;
let lines = []; // address -> source line table of the program
let prev = null; // registers at the previous pause
let syscalls = [];
let faults = 0;
let ended = null; // how the process ended
let stopRequested = false;
let running = false;
let memAddr = null;
let files = {};

const post = (msg) => self.postMessage(msg);
const hex = (v) => "0x" + BigInt.asUintN(64, BigInt(v)).toString(16);

function regs() {
  const r = {};
  for (const n of REGS) r[n] = emu.reg(n).toString(16).padStart(16, "0");
  return r;
}

function symbolize(addr) {
  let best = null;
  for (const s of emu.symbols) if (s.value <= addr && s.name && (!best || s.value > best.value)) best = s;
  if (!best || addr - best.value > 0x10000) return "";
  return addr === best.value ? best.name : `${best.name}+${addr - best.value}`;
}

function lineAt(addr) {
  let lo = 0, hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = lines[mid];
    if (addr < l.addr) hi = mid - 1;
    else if (addr >= l.addr + l.size) lo = mid + 1;
    else return l;
  }
  return null;
}

function decodeAt(addr) {
  try {
    const i = decode((a) => emu.readU8(a), addr, new Insn());
    const bytes = Array.from(emu.read(addr, i.len), (b) => b.toString(16).padStart(2, "0")).join(" ");
    return { addr, len: i.len, text: formatInsn(i), bytes, mnem: i.mnem };
  } catch {
    return null;
  }
}

/** Instructions around rip: from the line table where rip is in the program, else decoded from rip on. */
function disassembly(rip) {
  const out = [];
  const idx = lines.findIndex((l) => rip >= l.addr && rip < l.addr + l.size);
  let start = rip;
  if (idx >= 0) start = lines[Math.max(0, idx - 5)].addr;
  let a = start;
  for (let n = 0; n < 16; n++) {
    const d = decodeAt(a);
    if (!d) {
      out.push({ addr: a, text: "(unmapped)", bytes: "", line: null, sym: "" });
      break;
    }
    const l = lineAt(a);
    out.push({ ...d, line: l ? l.line : null, file: l ? l.file : null, sym: symbolize(a) });
    a += d.len;
  }
  return out;
}

function readQ(addr) {
  try {
    return emu.readU64(addr).toString(16).padStart(16, "0");
  } catch {
    return null;
  }
}

function memory(addr) {
  const rows = [];
  for (let r = 0; r < 8; r++) {
    const bytes = [];
    for (let k = 0; k < 16; k++) {
      try {
        bytes.push(emu.readU8(addr + r * 16 + k));
      } catch {
        bytes.push(null);
      }
    }
    rows.push({ addr: addr + r * 16, bytes });
  }
  return rows;
}

function snapshot(status) {
  const now = regs();
  const changed = prev ? REGS.filter((n) => prev[n] !== now[n]) : [];
  prev = now;
  const rip = Number(emu.reg("rip"));
  const rsp = Number(emu.reg("rsp"));
  const stack = [];
  for (let k = 0; k < 12; k++) stack.push({ addr: rsp + 8 * k, value: readQ(rsp + 8 * k) });
  const cur = lineAt(rip);
  const m = memAddr ?? (emu.symbol("msg") !== undefined ? Number(emu.symbol("msg")) : rsp);
  post({
    type: "state",
    status,
    regs: now,
    changed,
    disasm: disassembly(rip),
    rip,
    line: cur ? cur.line : null,
    file: cur ? cur.file : null,
    stack,
    mem: { addr: m, rows: memory(m) },
    syscalls,
    transitions: syscalls.length + faults,
    faults,
    icount: emu.cpu.icount,
    tiers: { js: emu.cpu.stats.jitInsns, wasm: emu.cpu.stats.wasmInsns },
    ended,
  });
}

function describe(r) {
  if (r.kind === "exit") return { kind: "exit", code: r.code, text: `exit status ${r.code}` };
  const name = { 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM" }[r.signal] ?? `signal ${r.signal}`;
  return { kind: "signal", signal: r.signal, text: `killed by ${name} (shell status ${128 + r.signal})${r.fault ? ": " + r.fault.message : ""}` };
}

function load(msg, pause = true) {
  files = msg.files ?? {};
  emu = null;
  ended = null;
  syscalls = [];
  faults = 0;
  prev = null;
  memAddr = null;
  let built;
  try {
    built = buildProgram(msg.source, "prog.s", { readFile: (p) => files[p.replace(/^\.\//, "")], warn: (w) => post({ type: "output", fd: 2, text: `ld: ${w}\n` }) });
  } catch (e) {
    if (e instanceof AsmError) post({ type: "errors", errors: e.diagnostics });
    else post({ type: "errors", errors: [{ file: "prog.s", line: 0, message: String(e && e.message) }] });
    return false;
  }
  lines = built.lines;
  const dec = new TextDecoder();
  const host = new MemoryHost({ stdin: msg.stdin ?? "", onOutput: (fd, data) => post({ type: "output", fd, text: dec.decode(data) }) });
  emu = Emulator.fromElf(built.elf, {
    argv: ["prog", ...(msg.args ?? [])],
    envp: ["PATH=/bin", "HOME=/"],
    host,
    strace: (line) => {
      const e = syscalls[syscalls.length - 1];
      if (!e || e.text || /^(---|\+\+\+|execve\()/.test(line)) return;
      e.text = line.replace(/\)\s+= /, ") = ");
      const m = /\)\s+= (.*)$/.exec(line);
      e.result = m ? m[1] : "?";
      e.name = line.slice(0, line.indexOf("("));
      e.nargs = countArgs(line);
    },
  });
  emu.onSyscall((nr, args) => {
    syscalls.push({ n: syscalls.length + 1, nr, rip: hex(Number(emu.reg("rip")) - 2), args: args.map((a, i) => ({ reg: ARG_REGS[i], hex: hex(a), dec: BigInt.asIntN(64, a).toString() })) });
    return undefined;
  });
  // the result the kernel leaves in rax (read before a signal handler could run)
  const k = emu.kernel;
  const after = k.afterSyscall;
  k.afterSyscall = (kk) => {
    const e = syscalls[syscalls.length - 1];
    if (e && e.ret === undefined) e.ret = BigInt.asIntN(64, emu.reg("rax")).toString();
    if (after) after(kk);
  };
  emu.onFault(() => {
    faults++;
  });
  post({ type: "loaded", symbols: emu.symbols.filter((s) => s.name).map((s) => ({ name: s.name, value: s.value })), lines });
  if (pause) snapshot("paused");
  else prev = regs();
  return true;
}

/** The number of top-level arguments in an strace line "name(a, b, c) = r". */
function countArgs(line) {
  const open = line.indexOf("(");
  let depth = 0, n = 0, any = false, q = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === "\\") i++;
      else if (c === '"') q = false;
      continue;
    }
    if (c === '"') q = true;
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) break;
      depth--;
    } else if (c === "," && depth === 0) n++;
    if (c !== " ") any = true;
  }
  return any ? n + 1 : 0;
}

function finish(r) {
  ended = describe(r);
  snapshot("ended");
}

const tick = () => new Promise((res) => setTimeout(res, 0));

/** Run until a breakpoint, the end, or Stop. */
async function runUntil(breakpoints) {
  if (!emu || ended || running) return;
  running = true;
  stopRequested = false;
  const bps = new Set(breakpoints);
  let last = Date.now();
  try {
    // leave a breakpoint we are standing on, then watch for the others
    const r = emu.step();
    if (r) return finish(r);
    emu.onInstruction(bps.size ? (addr) => !bps.has(Number(addr)) : null);
    for (;;) {
      if (bps.has(Number(emu.reg("rip")))) return snapshot("breakpoint");
      const res = emu.run({ maxInstructions: SLICE });
      if (res.kind !== "stopped") return finish(res);
      if (res.reason === "hook") return snapshot("breakpoint");
      if (res.reason === "wait") return snapshot("waiting");
      await tick();
      if (stopRequested) return snapshot("stopped");
      if (Date.now() - last > 250) {
        last = Date.now();
        post({ type: "progress", icount: emu.cpu.icount, transitions: syscalls.length + faults });
      }
    }
  } finally {
    emu.onInstruction(null);
    running = false;
  }
}

function step() {
  if (!emu || ended || running) return;
  const r = emu.step();
  if (r) finish(r);
  else snapshot("paused");
}

function stepOver(breakpoints) {
  if (!emu || ended || running) return;
  const rip = Number(emu.reg("rip"));
  const d = decodeAt(rip);
  if (d && d.mnem.startsWith("call")) return runUntil([...breakpoints, rip + d.len]);
  step();
}

self.onmessage = (ev) => {
  const m = ev.data;
  switch (m.cmd) {
    case "load":
      load(m);
      break;
    case "run":
      if (load(m, false)) runUntil(m.breakpoints ?? []);
      break;
    case "step":
      step();
      break;
    case "over":
      stepOver(m.breakpoints ?? []);
      break;
    case "continue":
      runUntil(m.breakpoints ?? []);
      break;
    case "stop":
      stopRequested = true;
      if (!running) post({ type: "stopped-idle" });
      break;
    case "mem":
      if (emu && !running) {
        memAddr = m.addr;
        snapshot(ended ? "ended" : "paused");
      }
      break;
  }
};
post({ type: "ready" });
