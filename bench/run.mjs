#!/usr/bin/env node
/**
 * npm run bench: each benchmark program natively (x86-64 Linux hosts), under
 * qemu-x86_64 (when installed) and under x64emu with each tier, several runs,
 * median wall time; guest instruction counts come from x64emu --stats.
 * Prints a table and writes bench/results.json.
 *
 *   node bench/run.mjs [--runs N] [--only NAME,NAME] [--quick]
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist/x64emu.cjs"); // the bundled command users run
const BIN = path.join(ROOT, "bench/bin");

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : def;
};
const quick = args.includes("--quick");
const runs = Number(opt("--runs", quick ? "1" : "3"));
const only = opt("--only", "")
  .split(",")
  .filter(Boolean);

/** Benchmarks and the size argument each takes (smaller with --quick). */
const BENCHES = [
  ["sha256", quick ? "1" : "4"],
  ["sieve", quick ? "2000000" : "20000000"],
  ["fib", quick ? "24" : "30"],
  ["qsort", quick ? "20000" : "200000"],
  ["strops", quick ? "200" : "2000"],
  ["muldiv", quick ? "300000" : "3000000"],
].filter(([n]) => only.length === 0 || only.includes(n));

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Run a command `runs` times; returns { ms, stdout, stderr, status }. */
function measure(cmd, argv) {
  const times = [];
  let last;
  for (let k = 0; k < runs; k++) {
    const t = process.hrtime.bigint();
    last = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26 });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: median(times), stdout: last.stdout, stderr: last.stderr, status: last.status };
}

const native = process.platform === "linux" && process.arch === "x64";
const qemu = has("qemu-x86_64");
if (!fs.existsSync(CLI)) {
  console.error("bench: dist/cli.js is missing: run `npm run build` first");
  process.exit(1);
}

const rows = [];
for (const [name, size] of BENCHES) {
  const prog = path.join(BIN, name);
  if (!fs.existsSync(prog)) {
    console.error(`bench: ${prog} is missing (bench/build.sh builds it)`);
    continue;
  }
  const row = { name, size, checksum: null, ok: true };
  const emuJit = measure(process.execPath, [CLI, "--stats", prog, size]);
  const emuInt = measure(process.execPath, [CLI, "--stats", "--no-jit", prog, size]);
  const insns = Number(/instructions: (\d+)/.exec(emuJit.stderr)?.[1] ?? NaN);
  row.instructions = insns;
  row.checksum = emuJit.stdout.trim();
  row.x64emu = { ms: emuJit.ms, mips: insns / 1000 / emuJit.ms };
  row.x64emuNoJit = { ms: emuInt.ms, mips: insns / 1000 / emuInt.ms };
  if (emuInt.stdout.trim() !== row.checksum) row.ok = false;
  if (native) {
    const n = measure(prog, [size]);
    row.native = { ms: n.ms, mips: insns / 1000 / n.ms };
    if (n.stdout.trim() !== row.checksum) row.ok = false;
  }
  if (qemu) {
    const q = measure("qemu-x86_64", [prog, size]);
    row.qemu = { ms: q.ms, mips: insns / 1000 / q.ms };
    if (q.stdout.trim() !== row.checksum) row.ok = false;
  }
  rows.push(row);
}

const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d));
const header = ["program", "size", "guest insns", "native ms", "qemu ms", "x64emu ms", "MIPS", "no-jit ms", "MIPS", "x/native", "x/qemu", "output"];
const table = rows.map((r) => [
  r.name,
  r.size,
  (r.instructions / 1e6).toFixed(1) + "M",
  fmt(r.native?.ms, 1),
  fmt(r.qemu?.ms, 1),
  fmt(r.x64emu.ms, 1),
  fmt(r.x64emu.mips),
  fmt(r.x64emuNoJit.ms, 1),
  fmt(r.x64emuNoJit.mips),
  r.native ? fmt(r.x64emu.ms / r.native.ms, 1) + "x" : "-",
  r.qemu ? fmt(r.x64emu.ms / r.qemu.ms, 1) + "x" : "-",
  r.ok ? "same" : "DIFFERS",
]);
const widths = header.map((h, k) => Math.max(h.length, ...table.map((row) => String(row[k]).length)));
const line = (cells) => "| " + cells.map((c, k) => String(c).padEnd(widths[k])).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const row of table) console.log(line(row));
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`\n${cpu}, ${os.cpus().length} cores, Node ${process.version}; median of ${runs} run(s); wall times include process start-up.`);
if (!native) console.log("native column: skipped (not an x86-64 Linux host)");
if (!qemu) console.log("qemu column: skipped (qemu-x86_64 not installed; Debian package qemu-user)");

const out = { date: new Date().toISOString(), machine: { cpu, cores: os.cpus().length, node: process.version }, runs, results: rows };
fs.writeFileSync(path.join(ROOT, "bench/results.json"), JSON.stringify(out, null, 2) + "\n");
if (rows.some((r) => !r.ok)) {
  console.error("bench: some outputs differ from the native run");
  process.exitCode = 1;
}
