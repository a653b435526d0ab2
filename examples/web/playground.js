// The playground page: editor, controls and views. The program runs in a Web
// Worker (playground-worker.js), so the page stays responsive; Stop asks the
// worker to pause and, if it does not answer in time, replaces it.
import { presets, includeFiles } from "./presets.js";

const $ = (id) => document.getElementById(id);
const FLAGS = [["CF", 0], ["PF", 2], ["AF", 4], ["ZF", 6], ["SF", 7], ["TF", 8], ["IF", 9], ["DF", 10], ["OF", 11]];
const STOP_GRACE_MS = 700;

let worker = null;
let state = "idle"; // idle | paused | running | ended
let lineTable = [];
let symbols = [];
let current = { line: null };
let lastState = null;
const breakpoints = new Set(); // source line numbers
let errorLines = new Set();
let stopTimer = null;

// ---- editor --------------------------------------------------------------------------

const source = $("source");
const gutter = $("gutter");

function renderGutter() {
  const n = source.value.split("\n").length;
  const rows = [];
  for (let i = 1; i <= n; i++) {
    const cls = [breakpoints.has(i) ? "bp" : "", current.line === i ? "cur" : "", errorLines.has(i) ? "errline" : ""].filter(Boolean).join(" ");
    rows.push(`<div data-line="${i}"${cls ? ` class="${cls}"` : ""}>${current.line === i ? "▶" : ""}${i}</div>`);
  }
  gutter.innerHTML = rows.join("");
  gutter.scrollTop = source.scrollTop;
}

source.addEventListener("input", () => {
  errorLines = new Set();
  renderGutter();
});
source.addEventListener("scroll", () => (gutter.scrollTop = source.scrollTop));
gutter.addEventListener("click", (e) => {
  const line = Number(e.target.dataset?.line);
  if (!line) return;
  if (breakpoints.has(line)) breakpoints.delete(line);
  else breakpoints.add(line);
  renderGutter();
  if (lastState) renderDisasm(lastState);
});

// a tab key inserts a tab (assembly is tab-indented) instead of leaving the editor
source.addEventListener("keydown", (e) => {
  if (e.key !== "Tab" || e.shiftKey || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  const { selectionStart: a, selectionEnd: b } = source;
  source.setRangeText("\t", a, b, "end");
  renderGutter();
});

function scrollToLine(line) {
  const lh = parseFloat(getComputedStyle(source).lineHeight) || 19;
  const top = (line - 1) * lh;
  if (top < source.scrollTop || top > source.scrollTop + source.clientHeight - 2 * lh) source.scrollTop = Math.max(0, top - source.clientHeight / 3);
}

// ---- presets -------------------------------------------------------------------------

for (const p of presets) {
  const o = document.createElement("option");
  o.value = p.name;
  o.textContent = p.title;
  $("preset").append(o);
}
function choosePreset(name) {
  const p = presets.find((x) => x.name === name) ?? presets[0];
  source.value = p.source;
  $("args").value = p.args;
  breakpoints.clear();
  errorLines = new Set();
  resetViews();
  renderGutter();
}
$("preset").addEventListener("change", () => choosePreset($("preset").value));

// ---- worker --------------------------------------------------------------------------

function startWorker() {
  // the page's query goes along, so a server can send the worker the page's CSP
  worker = new Worker("playground-worker.js" + location.search, { type: "module" });
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = (e) => {
    setStatus(`internal error in the worker: ${e.message}`, "error");
    setState("idle");
  };
}

function send(msg) {
  if (!worker) startWorker();
  worker.postMessage(msg);
}

function bpAddresses() {
  const out = [];
  for (const line of breakpoints) {
    const e = lineTable.find((l) => l.line === line && l.file === "prog.s");
    if (e) out.push(e.addr);
  }
  for (const a of extraBps) out.push(a);
  return out;
}
const extraBps = new Set(); // breakpoints set on addresses in the code view

function program() {
  return { source: source.value, args: $("args").value.split(/\s+/).filter(Boolean), stdin: $("stdin").value, files: includeFiles };
}

function onMessage(m) {
  switch (m.type) {
    case "errors":
      errorLines = new Set(m.errors.filter((d) => d.file === "prog.s").map((d) => d.line));
      $("errors").textContent = m.errors.map((d) => `${d.file}:${d.line}: ${d.message}`).join("\n");
      setStatus("assembly failed: fix the lines marked in red", "error");
      setState("idle");
      renderGutter();
      if (m.errors[0]) scrollToLine(m.errors[0].line);
      break;
    case "loaded":
      lineTable = m.lines;
      symbols = m.symbols;
      $("errors").textContent = "";
      break;
    case "output": {
      const span = document.createElement("span");
      if (m.fd === 2) span.className = "err";
      span.textContent = m.text;
      $("output").append(span);
      $("output").scrollTop = $("output").scrollHeight;
      break;
    }
    case "progress":
      setStatus(`running… ${m.icount.toLocaleString("en")} instructions, ${m.transitions} user → kernel transitions`, "running");
      $("transitions").textContent = `user → kernel: ${m.transitions}`;
      break;
    case "state":
      clearTimeout(stopTimer);
      render(m);
      break;
    case "stopped-idle":
      clearTimeout(stopTimer);
      break;
  }
}

// ---- controls ------------------------------------------------------------------------

function resetViews() {
  $("output").textContent = "";
  $("errors").textContent = "";
  $("syscalls").textContent = "";
  $("transitions").textContent = "user → kernel: 0";
  $("regs").textContent = "";
  $("flags").textContent = "";
  $("disasm").textContent = "";
  $("stack").textContent = "";
  $("memory").textContent = "";
  $("tiers").textContent = "";
  current = { line: null };
  lastState = null;
  extraBps.clear();
  setStatus("not assembled yet", "");
  setState("idle");
}

function assemble(cmd) {
  resetViews();
  setStatus("assembling…", "running");
  if (cmd === "run") setState("running");
  send({ cmd, ...program(), breakpoints: [] });
  // breakpoints need the line table: a run with breakpoints loads first, then continues
}

$("run").onclick = () => {
  if (breakpoints.size) {
    pendingContinue = true;
    assemble("load");
  } else assemble("run");
};
let pendingContinue = false;
$("load").onclick = () => assemble("load");
$("step").onclick = () => send({ cmd: "step" });
$("over").onclick = () => {
  setState("running");
  send({ cmd: "over", breakpoints: bpAddresses() });
};
$("cont").onclick = () => {
  setState("running");
  setStatus("running…", "running");
  send({ cmd: "continue", breakpoints: bpAddresses() });
};
$("stop").onclick = () => {
  if (state !== "running") return;
  send({ cmd: "stop" });
  clearTimeout(stopTimer);
  stopTimer = setTimeout(() => {
    // the worker did not answer: it is stuck in a long step; replace it
    worker.terminate();
    worker = null;
    setStatus("stopped (the program was discarded; assemble again)", "signal");
    setState("idle");
  }, STOP_GRACE_MS);
};
$("memaddr").addEventListener("change", () => {
  const v = $("memaddr").value.trim();
  const sym = symbols.find((s) => s.name === v);
  const addr = sym ? sym.value : parseInt(v, v.startsWith("0x") ? 16 : 10);
  if (Number.isFinite(addr)) send({ cmd: "mem", addr });
});

function setState(s) {
  state = s;
  const can = { run: s !== "running", load: s !== "running", step: s === "paused", over: s === "paused", cont: s === "paused", stop: s === "running" };
  for (const [id, on] of Object.entries(can)) $(id).disabled = !on;
}

function setStatus(text, kind) {
  $("status").textContent = text;
  $("status").className = `status ${kind}`;
}

// ---- views ---------------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function render(m) {
  lastState = m;
  current = { line: m.file === "prog.s" ? m.line : null };
  if (m.ended) {
    setStatus(m.ended.text, m.ended.kind);
    setState("ended");
  } else {
    const why = { paused: "paused", breakpoint: "stopped at a breakpoint", stopped: "stopped", waiting: "waiting (blocked in the kernel)" }[m.status] ?? m.status;
    const where = m.line ? (m.file === "prog.s" ? ` (line ${m.line})` : ` (${m.file} line ${m.line})`) : "";
    setStatus(`${why} at 0x${m.rip.toString(16)}${where} after ${m.icount.toLocaleString("en")} instructions`, "");
    setState("paused");
  }
  if (pendingContinue && !m.ended) {
    pendingContinue = false;
    setState("running");
    send({ cmd: "continue", breakpoints: bpAddresses() });
  }
  const interp = m.icount - m.tiers.js - m.tiers.wasm;
  $("tiers").textContent = `instructions run by the interpreter: ${interp.toLocaleString("en")}, compiled JavaScript: ${m.tiers.js.toLocaleString("en")}, WebAssembly: ${m.tiers.wasm.toLocaleString("en")}`;
  renderRegs(m);
  renderDisasm(m);
  renderSyscalls(m);
  renderStack(m);
  renderMemory(m);
  renderGutter();
  if (current.line) scrollToLine(current.line);
}

function renderRegs(m) {
  const changed = new Set(m.changed);
  $("regs").innerHTML = Object.entries(m.regs)
    .map(([n, v]) => `<span data-reg="${n}"${changed.has(n) ? ' class="changed"' : ""}><b>${n}</b>${v}</span>`)
    .join("");
  const fl = parseInt(m.regs.rflags, 16);
  $("flags").innerHTML = "rflags: " + FLAGS.map(([n, bit]) => `<span class="${fl & (1 << bit) ? "on" : ""}" title="${n} = ${(fl >> bit) & 1}">${n}=${(fl >> bit) & 1}</span>`).join("");
}

function renderDisasm(m) {
  const bps = new Set(bpAddresses());
  const src = source.value.split("\n");
  const rip = m.ended?.kind === "exit" ? -1 : m.rip; // after exit, rip points past the last syscall: nothing is next
  $("disasm").innerHTML = m.disasm
    .map((d) => {
      const cls = [d.addr === rip ? "cur" : "", bps.has(d.addr) ? "bp" : ""].filter(Boolean).join(" ");
      const line = d.line && d.file === "prog.s" ? `${d.line}: ${esc((src[d.line - 1] ?? "").trim())}` : d.line ? `${d.file}:${d.line}` : "";
      return `<tr data-addr="${d.addr}"${cls ? ` class="${cls}"` : ""}><td>${d.addr === rip ? "▶" : bps.has(d.addr) ? "●" : ""}</td><td>${d.addr.toString(16)}</td><td>${esc(d.sym)}</td><td class="bytes">${d.bytes}</td><td>${esc(d.text)}</td><td class="src">${line}</td></tr>`;
    })
    .join("");
}
$("disasm").addEventListener("click", (e) => {
  const tr = e.target.closest("tr");
  if (!tr) return;
  const addr = Number(tr.dataset.addr);
  const l = lineTable.find((x) => x.addr === addr && x.file === "prog.s");
  if (l) {
    if (breakpoints.has(l.line)) breakpoints.delete(l.line);
    else breakpoints.add(l.line);
  } else if (extraBps.has(addr)) extraBps.delete(addr);
  else extraBps.add(addr);
  renderGutter();
  if (lastState) renderDisasm(lastState);
});

function decodeResult(s) {
  if (s.ret === undefined) return { text: "does not return to user mode: the process ends", fail: false };
  const v = BigInt(s.ret);
  if (v < 0n && v >= -4095n) {
    const m = /^-1 (E\w+)(?: \((.*)\))?/.exec(s.result ?? "");
    return { text: `rax = ${v} → -${m ? m[1] : "errno " + -v}${m && m[2] ? ": " + m[2] : ""}`, fail: true };
  }
  return { text: `rax = ${v} (0x${BigInt.asUintN(64, v).toString(16)})`, fail: false };
}

function renderSyscalls(m) {
  $("transitions").textContent = `user → kernel: ${m.transitions}` + (m.faults ? ` (${m.faults} by a fault)` : "");
  $("syscalls").innerHTML = m.syscalls
    .map((s) => {
      const used = s.nargs ?? 6;
      const regs = s.args.map((a, i) => `<span class="${i < used ? "" : "unused"}">${a.reg}=${a.hex}${i < used ? ` (${a.dec})` : ""}</span>`).join("");
      const r = decodeResult(s);
      return `<li data-name="${esc(s.name ?? "")}"><div class="call"><b>rax=${s.nr}</b> → <b>${esc(s.name ?? "?")}</b> at ${s.rip}: ${esc(s.text ?? "")}</div><div class="regsline">${regs}</div><div class="ret${r.fail ? " fail" : ""}">${esc(r.text)}</div></li>`;
    })
    .join("");
  $("syscalls").scrollTop = $("syscalls").scrollHeight;
}

function renderStack(m) {
  $("stack").innerHTML = m.stack
    .map((e, k) => `<tr><td>${k === 0 ? "rsp→" : `+${8 * k}`}</td><td>${e.addr.toString(16)}</td><td>${e.value ?? "(unmapped)"}</td></tr>`)
    .join("");
}

/** Width of one character of the memory view's font, in pixels. */
function charWidth(el) {
  const probe = document.createElement("span");
  probe.textContent = "0".repeat(64);
  probe.style.visibility = "hidden";
  el.append(probe);
  const w = probe.getBoundingClientRect().width / 64;
  probe.remove();
  return w || 8;
}

function renderMemory(m) {
  const pre = $("memory");
  const hex2 = (b) => (b === null ? "··" : b.toString(16).padStart(2, "0"));
  const chr = (b) => (b === null ? " " : b >= 32 && b < 127 ? String.fromCharCode(b) : ".");
  // 16 bytes a row where they fit (address, hex, characters), else 8: nothing hides past the panel's edge
  const perRow = (4 * 16 + 14) * charWidth(pre) <= pre.clientWidth ? 16 : 8; // 12 + 1 + (3n - 1) + 2 + n characters
  const rows = [];
  for (const r of m.mem.rows)
    for (let k = 0; k < r.bytes.length; k += perRow) {
      const bytes = r.bytes.slice(k, k + perRow);
      rows.push(`${(r.addr + k).toString(16).padStart(12, "0")} ${bytes.map(hex2).join(" ")}  ${bytes.map(chr).join("")}`);
    }
  pre.textContent = rows.join("\n");
  if (document.activeElement !== $("memaddr")) $("memaddr").value = "0x" + m.mem.addr.toString(16);
}
// the panel's width changes with the window and when a page scrollbar comes or goes
new ResizeObserver(() => lastState && renderMemory(lastState)).observe($("memory"));

// ---- start ---------------------------------------------------------------------------

choosePreset(new URLSearchParams(location.search).get("preset") ?? "hello");
startWorker();
