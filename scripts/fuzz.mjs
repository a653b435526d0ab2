#!/usr/bin/env node
// Robustness campaigns (issue 16): `npm run fuzz -- --seed N --count M [--only a,b] [--quiet]`
// runs M cases of each campaign from seed N against the built emulator (dist/):
//   lib-code   random bytes and random instruction-shaped code through the library (Process)
//   lib-elf    corrupted ELF files (header fields, program headers, bytes, truncation) through the library
//   elf-sizes  every program header size/offset/address/alignment of each base ELF set to each huge
//              value in turn (PT_LOAD, PT_TLS, PT_INTERP...; case K is combination K whatever the
//              seed, and --count stops at the last one) through the library
//   syscalls   random system calls (number, and arguments from a pool of edge values) through the library
//   gdb        random and malformed packets to the gdb stub
//   cli-code   random code through the command (in a scratch directory under --root, no syscall instructions)
//   cli-elf    corrupted ELF files through the command
// A case fails when a JavaScript exception escapes (library), when a library case runs longer than
// --case-ms (a hang guard, default 10000; the library runs synchronously, so it is measured after
// the case), when the command prints a stack trace or an internal error or does not end within the timeout. Every failure is printed
// with what replays it: `--only CAMPAIGN --seed N --from K --count 1` (--strace: the syscalls
// campaign's calls in strace's format). Exit status 1 on failures.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => path.join(root, "dist", p);
if (!fs.existsSync(dist("kernel/program.js"))) {
  console.error("fuzz: build first (npm run build)");
  process.exit(2);
}
const { Process } = await import(dist("kernel/program.js"));
const { MemoryHost } = await import(dist("host/memory.js"));
const { ElfError } = await import(dist("loader/elf.js"));
const { GdbStub } = await import(dist("gdb/stub.js"));
const { MemoryFs } = await import(dist("api/memfs.js"));

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : def;
};
const seed = Number(opt("seed", "1"));
const count = Number(opt("count", "200"));
const from = Number(opt("from", "0"));
const timeoutMs = Number(opt("timeout", "20000"));
const caseMs = Number(opt("case-ms", "10000"));
const quiet = args.includes("--quiet");
const ALL = ["lib-code", "lib-elf", "elf-sizes", "syscalls", "gdb", "cli-code", "cli-elf"];
const only = opt("only", ALL.join(",")).split(",");
for (const c of only) if (!ALL.includes(c)) (console.error(`fuzz: no campaign '${c}' (${ALL.join(", ")})`), process.exit(2));
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 0) (console.error("fuzz: --seed and --count take whole numbers"), process.exit(2));

/** xorshift32 seeded per campaign and case, so that one case replays alone. */
function rng(campaign, k) {
  let s = (seed * 0x9e3779b1 + k * 0x85ebca6b + campaign.length * 0xc2b2ae35) >>> 0 || 1;
  for (const ch of campaign) s = (Math.imul(s ^ ch.charCodeAt(0), 0x01000193) >>> 0) || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  next.below = (n) => next() % n;
  next.pick = (a) => a[next() % a.length];
  return next;
}

/** A minimal static ELF64 with one PT_LOAD (R+W+X) holding `code` at 0x401000. */
function makeElf(code, extraPhdrs = []) {
  const n = 1 + extraPhdrs.length;
  const off = 0x1000;
  const out = new Uint8Array(off + code.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 62, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, 0x401000n, true);
  dv.setBigUint64(32, 64n, true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, n, true);
  dv.setUint16(58, 64, true);
  const ph = (k, p) => {
    const o = 64 + 56 * k;
    dv.setUint32(o, p.type, true);
    dv.setUint32(o + 4, p.flags, true);
    dv.setBigUint64(o + 8, BigInt(p.offset), true);
    dv.setBigUint64(o + 16, BigInt(p.vaddr), true);
    dv.setBigUint64(o + 24, BigInt(p.vaddr), true);
    dv.setBigUint64(o + 32, BigInt(p.filesz), true);
    dv.setBigUint64(o + 40, BigInt(p.memsz), true);
    dv.setBigUint64(o + 48, BigInt(p.align ?? 0x1000), true);
  };
  ph(0, { type: 1, flags: 7, offset: off, vaddr: 0x401000, filesz: code.length, memsz: code.length });
  extraPhdrs.forEach((p, k) => ph(k + 1, p));
  out.set(code, off);
  return out;
}

// Instruction-shaped code: common opcodes with ModRM bytes and immediates, mixed with random bytes.
const SHAPES = [
  [0x48, 0x89], [0x48, 0x8b], [0x48, 0x01], [0x48, 0x29], [0x48, 0x31], [0x48, 0x39], [0x48, 0x85], [0x48, 0xc7], [0x48, 0x8d],
  [0x0f, 0xaf], [0x0f, 0xb6], [0x0f, 0xbe], [0x48, 0xf7], [0x48, 0xd1], [0x48, 0xc1], [0xf3, 0x48, 0xa5], [0xf3, 0xaa], [0x66, 0x0f, 0xef],
  [0x66, 0x0f, 0x6f], [0xf2, 0x0f, 0x58], [0xd9], [0xdd], [0xde], [0x50], [0x58], [0xe8], [0xe9], [0x74], [0x75], [0xeb], [0xc3], [0x0f, 0x84],
  [0x48, 0x0f, 0xc1], [0xf0, 0x48, 0x0f, 0xb1], [0x0f, 0xa2], [0x0f, 0x31], [0x9c], [0x9d], [0xcc], [0x0f, 0x0b], [0xf4], [0x48, 0xff],
];
function randomCode(r, n, allowSyscall) {
  const out = [];
  const valid = r.below(2) === 0;
  while (out.length < n) {
    if (valid) {
      out.push(...r.pick(SHAPES), r.below(256), r.below(256), r.below(256), r.below(256), r.below(256));
      if (allowSyscall && r.below(12) === 0) out.push(0x0f, 0x05);
    } else out.push(r.below(256));
  }
  const code = Uint8Array.from(out.slice(0, n));
  if (!allowSyscall) scrubSyscalls(code);
  return code;
}
/** No system call instructions (syscall, sysenter, int 0x80): the command's guest must not touch the host. */
function scrubSyscalls(code) {
  for (let k = 0; k + 1 < code.length; k++) {
    if ((code[k] === 0x0f && (code[k + 1] === 0x05 || code[k + 1] === 0x34)) || (code[k] === 0xcd && code[k + 1] === 0x80)) code[k + 1] = 0x90;
  }
}

// ELF corruption from a base file: header fields, program header fields, random bytes, truncation.
const FIELD_VALUES = [0n, 1n, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn, 0x400000000000n, 0x800000000000n, 0x1000n, 0xfffn, 56n, 64n, 0x401000n];
const bases = () => {
  const list = [makeElf(Uint8Array.from([0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]), [{ type: 7, flags: 4, offset: 0x1000, vaddr: 0x401000, filesz: 4, memsz: 64, align: 8 }])];
  for (const f of ["fixtures/bin/hello", "fixtures/bin/musl/printf", "fixtures/bin/glibc/exitcode"]) {
    try {
      list.push(new Uint8Array(fs.readFileSync(path.join(root, f))));
    } catch {
      /* fixture missing */
    }
  }
  return list;
};
const BASES = bases();
function corruptElf(r) {
  const b = Uint8Array.from(r.pick(BASES));
  const dv = new DataView(b.buffer);
  const phoff = Number(dv.getBigUint64(32, true));
  const phnum = dv.getUint16(56, true);
  const edits = 1 + r.below(4);
  for (let e = 0; e < edits; e++) {
    const kind = r.below(5);
    if (kind === 0) b[r.below(64)] = r.below(256); // a header byte
    else if (kind === 1 && phnum && phoff + phnum * 56 <= b.length) {
      const o = phoff + 56 * r.below(phnum) + r.pick([0, 4, 8, 16, 24, 32, 40, 48]);
      if (o % 8 === 0 && o + 8 <= b.length && r.below(2)) dv.setBigUint64(o, r.pick(FIELD_VALUES), true);
      else dv.setUint32(o, r.pick([0, 1, 2, 3, 6, 7, 0x6474e551, 0xffffffff, r()]), true);
    } else if (kind === 2) for (let k = 0; k < 8; k++) b[r.below(b.length)] = r.below(256);
    else if (kind === 3) dv.setBigUint64(r.pick([24, 32, 40]), r.pick(FIELD_VALUES), true);
    else dv.setUint16(r.pick([16, 18, 52, 54, 56, 58, 60, 62]), r.pick([0, 1, 2, 3, 55, 56, 57, 64, 0xffff, r() & 0xffff]), true);
  }
  return r.below(6) === 0 ? b.subarray(0, r.below(b.length)) : b;
}

// Corrupt sizes, enumerated: [base, program header, field offset, value] for every program header
// field Linux or a C library reads a size or place from, and values past the file and the address space.
const SIZE_FIELDS = [8, 16, 32, 40, 48]; // p_offset, p_vaddr (and p_paddr), p_filesz, p_memsz, p_align
const SIZE_VALUES = [0xffffffffffffffffn, 0x7fffffffffffffffn, 0x400000000000n, 0x800000000000n, 0x7ffffffff000n, 0xffffffffn, 0x40000000n];
const SIZE_CASES = [];
BASES.forEach((b, bi) => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phnum = dv.getUint16(56, true);
  for (let k = 0; k < phnum; k++) for (const field of SIZE_FIELDS) for (const value of SIZE_VALUES) SIZE_CASES.push([bi, k, field, value]);
});
function sizeCase(k) {
  const [bi, ph, field, value] = SIZE_CASES[k];
  const b = Uint8Array.from(BASES[bi]);
  const dv = new DataView(b.buffer);
  const o = Number(dv.getBigUint64(32, true)) + 56 * ph;
  dv.setBigUint64(o + field, value, true);
  if (field === 16) dv.setBigUint64(o + 24, value, true);
  return b;
}

// Random system calls: code that loads rax and the six argument registers and runs `syscall`, eight times.
const VALUES = [0n, 1n, 2n, 3n, 0xffffffffffffffffn, 0xfffffffffffffff6n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x1000n, 4096n, 65536n, 1n << 40n, 1n << 47n, 1n << 63n];
const BUF = 0x10000000n; // a mapped read/write buffer (and its end, and unmapped space after it)
const NO_CALL = new Set([60, 231, 15, 35, 230, 34, 130, 7, 23, 270, 271, 202, 61, 247, 128, 232, 281, 441]);
/** Paths placed every 16 bytes at the start of the buffer, for the file system calls (an in-memory file system). */
const PATHS = ["/a", "/d", "/d/b", "/d/../a", "/nope", "a", ".", "/d/", "/l", "/a/x", "//", ""];
function syscallCode(r) {
  const out = [];
  const mov = (reg, v) => {
    // mov r64, imm64: REX.W (+B for r8..r15), b8+reg
    out.push(0x48 | (reg >= 8 ? 1 : 0), 0xb8 + (reg & 7));
    for (let k = 0n; k < 8n; k++) out.push(Number((v >> (8n * k)) & 0xffn));
  };
  for (let n = 0; n < 8; n++) {
    let nr = BigInt(r.below(460));
    // exits and rt_sigreturn end the case too soon, and calls that wait (sleeps, pause, polls, futex and
    // child waits, signal waits) may rightly wait for as long as they were asked: getpid instead
    if (NO_CALL.has(Number(nr))) nr = 39n;
    mov(0, r.below(16) === 0 ? r.pick(VALUES) : nr);
    for (const reg of [7, 6, 2, 10, 8, 9]) {
      const k = r.below(4);
      // a pointer into the buffer (often at one of the path strings), near its end, or an edge value
      const at = r.below(3) ? BigInt(16 * r.below(PATHS.length)) : BigInt(r.below(4096));
      mov(reg, k === 0 ? BUF + at : k === 1 ? BUF + 0x10000n - BigInt(r.below(64)) : r.pick(VALUES));
    }
    out.push(0x0f, 0x05);
  }
  mov(0, 60n);
  mov(7, 0n);
  out.push(0x0f, 0x05);
  return Uint8Array.from(out);
}

function checksum(s) {
  let c = 0;
  for (let k = 0; k < s.length; k++) c = (c + s.charCodeAt(k)) & 0xff;
  return c.toString(16).padStart(2, "0");
}
const GDB_ALPHABET = "0123456789abcdefABCDEF:;,=$#}*xXgGmMpPsScCvZzqQ?H.-";
const GDB_SEEDS = ["g", "G", "m401000,10", "M401000,2:", "X401000,1:", "p10", "P10=", "Z0,401000,1", "z0,", "Z2,401000,", "vCont;", "vCont;r", "c;", "s;", "C", "S", "qXfer:features:read:target.xml:", "qXfer:auxv:read::", "?"];

function runLib(elf, limit) {
  let p;
  try {
    p = new Process(elf, { argv: ["fuzz"], envp: [], host: new MemoryHost(), maxMemory: 256 << 20 });
  } catch (e) {
    if (e instanceof ElfError) return "elf-error";
    throw e;
  }
  if (p.kernel) p.kernel.state.canWaitForHostSignals = false;
  const st = p.run(limit);
  return st ? (st.kind === "exit" ? "exit" : `signal ${st.signal}`) : "limit";
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-fuzz-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

function runCli(elf) {
  const exe = path.join(scratch, "prog");
  fs.writeFileSync(exe, elf, { mode: 0o755 });
  const r = spawnSync(process.execPath, [dist("cli.js"), "--root", scratch, exe], { cwd: scratch, encoding: "utf8", timeout: timeoutMs, input: "" });
  if (r.error && r.error.code === "ETIMEDOUT") return { bad: `no end within ${timeoutMs} ms` };
  const err = r.stderr ?? "";
  if (/internal error|\n\s+at .*[:(]\d+|RangeError|TypeError|ReferenceError/.test(err)) return { bad: `stack trace or internal error: ${err.slice(0, 400)}` };
  if (r.status === 70) return { bad: `exit status 70: ${err.slice(0, 200)}` };
  if (err.split("\n").filter((l) => l.startsWith("x64emu:")).length > 1) return { bad: `more than one line: ${err.slice(0, 300)}` };
  return { outcome: r.signal ? `signal ${r.signal}` : `exit ${r.status}` };
}

const campaigns = {
  "lib-code": (r) => runLib(makeElf(randomCode(r, 64 + r.below(448), true)), 20000),
  "lib-elf": (r) => runLib(corruptElf(r), 5000),
  "elf-sizes": (r, k) => runLib(sizeCase(k), 200000),
  syscalls: (r) => {
    const code = syscallCode(r);
    const host = new MemoryHost();
    host.fs = new MemoryFs({ "/a": "hello\n", "/d/b": "x", "/d/c": "" });
    const strace = args.includes("--strace") ? (l) => console.log(`  ${l}`) : null;
    const syscallHook = strace ? (nr, a) => (console.log(`  -> ${nr} ${[0, 1, 2, 3, 4, 5].map((j) => a.big(j).toString(16)).join(" ")}`), undefined) : null;
    const p = new Process(makeElf(code), { argv: ["fuzz"], envp: [], host, maxMemory: 256 << 20, strace, syscallHook });
    p.mem.map(Number(BUF), 0x10000, 3);
    const enc = new TextEncoder();
    PATHS.forEach((s, j) => p.mem.writeBytes(Number(BUF) + 16 * j, enc.encode(s + "\0"), false));
    const st = p.run(100000);
    return st ? (st.kind === "exit" ? "exit" : `signal ${st.signal}`) : "limit";
  },
  gdb: (r) => {
    const proc = new Process(makeElf(Uint8Array.from([0x48, 0xff, 0xc0, 0xeb, 0xfb])), { argv: ["fuzz"], envp: [], host: new MemoryHost() });
    const queue = [];
    let replies = 0;
    const stub = new GdbStub(proc, () => replies++, (fn) => queue.push(fn), { execFile: "fuzz" });
    let ended = false;
    stub.onEnd = () => (ended = true);
    for (let n = 0; n < 40 && !ended; n++) {
      let body = r.below(2) ? r.pick(GDB_SEEDS) : "";
      for (let k = r.below(20); k > 0; k--) body += GDB_ALPHABET[r.below(GDB_ALPHABET.length)];
      if (/^[kD]/.test(body)) continue;
      stub.receive(r.below(20) === 0 ? body : `$${body}#${checksum(body)}`);
      for (let s = 0; queue.length && s < 50; s++) queue.shift()();
      if (queue.length) stub.receive("\x03"); // interrupt a long continue
      for (let s = 0; queue.length && s < 5; s++) queue.shift()();
      queue.length = 0;
    }
    return replies > 0 ? "served" : "silent";
  },
  "cli-code": (r) => runCli(makeElf(randomCode(r, 64 + r.below(448), false))),
  "cli-elf": (r) => {
    const b = corruptElf(r);
    scrubSyscalls(b);
    return runCli(b);
  },
};

let failures = 0;
const t0 = Date.now();
for (const name of only) {
  const outcomes = {};
  const end = name === "elf-sizes" ? Math.min(from + count, SIZE_CASES.length) : from + count;
  for (let k = from; k < end; k++) {
    const r = rng(name, k);
    let res;
    const c0 = Date.now();
    try {
      res = campaigns[name](r, k);
    } catch (e) {
      res = { bad: `JavaScript exception: ${e && e.stack ? e.stack.split("\n").slice(0, 4).join(" | ") : String(e)}` };
    }
    const took = Date.now() - c0;
    if (!name.startsWith("cli-") && took > caseMs && !(typeof res === "object" && res.bad)) res = { bad: `took ${took} ms (more than --case-ms ${caseMs}: a hang or a blow-up)` };
    if (typeof res === "object" && res.bad) {
      failures++;
      console.log(`FAIL ${name} case ${k} (replay: npm run fuzz -- --only ${name} --seed ${seed} --from ${k} --count 1): ${res.bad}`);
      outcomes.FAIL = (outcomes.FAIL ?? 0) + 1;
    } else {
      const o = typeof res === "object" ? res.outcome : res;
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
  }
  if (!quiet || outcomes.FAIL) console.log(`${name}: seed ${seed}, cases ${from}..${end - 1}${name === "elf-sizes" ? ` of ${SIZE_CASES.length}` : ""}: ${JSON.stringify(outcomes)}`);
}
console.log(`fuzz: ${failures} failure(s) in ${only.length} campaign(s) x ${count} cases, seed ${seed} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
process.exit(failures ? 1 : 0);
