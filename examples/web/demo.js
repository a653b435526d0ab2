// The demo page: runs an ELF with the in-memory host, or steps through it.
import { Emulator, MemoryHost, decode, formatInsn, Insn } from "./x64emu.js";

const $ = (id) => document.getElementById(id);
let stepping = null;

async function programBytes() {
  const f = $("file").files[0];
  if (f) return new Uint8Array(await f.arrayBuffer());
  const name = $("example").value;
  const res = await fetch(`../../fixtures/bin/${name}`);
  if (!res.ok) throw new Error(`cannot fetch ${name}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function describe(r) {
  if (r.kind === "exit") return `exit status ${r.code}`;
  if (r.kind === "signal") return `killed by signal ${r.signal}${r.fault ? ": " + r.fault.message : ""}`;
  return `stopped (${r.reason})`;
}

function programName() {
  const f = $("file").files[0];
  return f ? f.name : $("example").value.split("/").pop();
}

function newEmulator(bytes) {
  const out = $("stdout");
  out.textContent = "";
  const dec = new TextDecoder();
  // stdout as text, stderr in red, both in the order written
  const onOutput = (fd, data) => {
    const span = document.createElement("span");
    if (fd === 2) span.className = "err";
    span.textContent = dec.decode(data);
    out.append(span);
  };
  const host = new MemoryHost({ onOutput, stdin: $("stdin").value });
  const args = $("args").value.split(/\s+/).filter(Boolean);
  return Emulator.fromElf(bytes, { argv: [programName(), ...args], host });
}

function showState(emu) {
  const names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"];
  $("regs").innerHTML = names.map((n) => `<span>${n} 0x${emu.reg(n).toString(16).padStart(16, "0")}</span>`).join("");
  try {
    const rip = Number(emu.reg("rip"));
    const i = decode((a) => emu.read(a, 1)[0], rip, new Insn());
    $("next").textContent = `0x${rip.toString(16)}: ${formatInsn(i)}`;
  } catch {
    $("next").textContent = "(not readable)";
  }
}

$("run").onclick = async () => {
  $("status").textContent = "running";
  try {
    const emu = newEmulator(await programBytes());
    $("status").textContent = describe(emu.run());
  } catch (e) {
    $("status").textContent = `error: ${e.message}`;
  }
};

$("load").onclick = async () => {
  try {
    stepping = newEmulator(await programBytes());
    $("status").textContent = "loaded: press Step";
    showState(stepping);
  } catch (e) {
    $("status").textContent = `error: ${e.message}`;
  }
};

$("step").onclick = () => {
  if (!stepping) return;
  const r = stepping.step();
  if (r) {
    $("status").textContent = describe(r);
    stepping = null;
    return;
  }
  showState(stepping);
};

// picking a bundled example drops a previously chosen file
$("example").onchange = () => {
  $("file").value = "";
};
