#!/usr/bin/env node
/**
 * npm run bench: each program of the suite (bench/programs.mjs) natively
 * (x86-64 Linux hosts), under qemu-x86_64 (when installed), under x64emu with
 * all tiers and with the interpreter alone (--no-jit). The runners alternate
 * within each round and each figure is the median of the rounds. Guest
 * instruction counts and compile time come from x64emu --stats, peak RSS from
 * the child's resource usage (/usr/bin/time -f %M). Prints a markdown table
 * (ratios against qemu, their geometric mean, start-up over `node -e 0`) and
 * writes bench/results.json.
 *
 *   node bench/run.mjs [--runs N] [--only NAME,NAME] [--quick] [--no-interp] [--dry-run]
 *
 * --quick: small sizes, one round, no --no-jit runs, slow programs left out
 * (unless named with --only). --dry-run: print the programs as JSON (name,
 * argv for the chosen size, whether it can run) and exit; --size test picks
 * the unit test's sizes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROGRAMS, ROOT, unavailable } from "./programs.mjs";

const CLI = path.join(ROOT, "dist/x64emu.cjs"); // the bundled command users run
const TIME = "/usr/bin/time";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : def;
};
const quick = args.includes("--quick");
const dry = args.includes("--dry-run");
const sizeKind = opt("--size", quick ? "quick" : "full");
const runs = Number(opt("--runs", quick ? "1" : "3"));
const interp = !quick && !args.includes("--no-interp");
const only = opt("--only", "")
  .split(",")
  .filter(Boolean);
const selected = PROGRAMS.filter((p) => (only.length ? only.includes(p.name) : !(quick && p.slow)));
if (only.length && selected.length !== only.length) {
  const names = PROGRAMS.map((p) => p.name);
  console.error(`bench: unknown program in --only (known: ${names.join(", ")})`);
  process.exit(2);
}

if (dry) {
  const list = selected.map((p) => {
    const why = unavailable(p);
    const size = p.sizes[sizeKind] ?? p.sizes.full;
    return { name: p.name, about: p.about, prog: p.prog, argv: why ? null : p.argv(size), size, available: !why, reason: why };
  });
  process.stdout.write(JSON.stringify(list, null, 1) + "\n");
  process.exit(0);
}

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}
const median = (xs) => {
  const s = xs.filter((x) => x !== null && !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : null);
const sumAll = (re, text) => {
  let total = 0;
  let seen = false;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]);
    seen = true;
  }
  return seen ? total : null;
};

const withTime = fs.existsSync(TIME);
const rssFile = path.join(os.tmpdir(), `x64emu-bench-rss-${process.pid}`);

/** One run: wall ms (around the whole child), peak RSS in KiB, stdout digest, stderr, status. */
function once(cmd, argv) {
  const full = withTime ? [TIME, ["-f", "%M", "-o", rssFile, cmd, ...argv]] : [cmd, argv];
  const t = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  let rss = null;
  if (withTime) {
    const m = /(\d+)\s*$/.exec(fs.readFileSync(rssFile, "utf8"));
    rss = m ? Number(m[1]) : null;
  }
  const out = r.stdout ?? Buffer.alloc(0);
  return {
    ms,
    rss,
    digest: createHash("sha256").update(out).digest("hex").slice(0, 16),
    text: out.length < 200 && !out.includes(0) ? out.toString("utf8").trim() : `${out.length} bytes`,
    stderr: (r.stderr ?? Buffer.alloc(0)).toString("utf8"),
    status: r.status,
  };
}

const native = process.platform === "linux" && process.arch === "x64";
const qemu = has("qemu-x86_64");
if (!fs.existsSync(CLI)) {
  console.error("bench: dist/x64emu.cjs is missing: run `npm run build` first");
  process.exit(1);
}

/** The runners, in the order they alternate within a round. */
const RUNNERS = [
  native && { key: "native", run: (p, argv) => once(p.prog, argv) },
  qemu && { key: "qemu", run: (p, argv) => once("qemu-x86_64", [p.prog, ...argv]) },
  { key: "x64emu", run: (p, argv) => once(process.execPath, [CLI, "--stats", p.prog, ...argv]) },
  interp && { key: "noJit", run: (p, argv) => once(process.execPath, [CLI, "--stats", "--no-jit", p.prog, ...argv]) },
].filter(Boolean);

const rows = [];
for (const p of selected) {
  const why = unavailable(p);
  if (why) {
    console.error(`bench: ${p.name} skipped: ${why}`);
    continue;
  }
  const size = p.sizes[sizeKind] ?? p.sizes.full;
  const argv = p.argv(size);
  const samples = Object.fromEntries(RUNNERS.map((r) => [r.key, []]));
  for (let k = 0; k < runs; k++) for (const r of RUNNERS) samples[r.key].push(r.run(p, argv));
  const row = { name: p.name, about: p.about, size, ok: true, output: null };
  const ref = samples.native?.[0] ?? samples.x64emu[0];
  row.output = ref.text;
  for (const r of RUNNERS) {
    const ss = samples[r.key];
    const res = { ms: median(ss.map((s) => s.ms)), rssKiB: median(ss.map((s) => s.rss)) };
    if (ss.some((s) => s.digest !== ref.digest || s.status !== ref.status)) {
      row.ok = false;
      res.differs = ss.map((s) => `status ${s.status}: ${s.text}`);
    }
    if (r.key === "x64emu" || r.key === "noJit") {
      const err = ss[0].stderr;
      res.instructions = sumAll(/x64emu stats: instructions: (\d+)/g, err);
      res.compileMs = median(
        ss.map((s) => (sumAll(/js blocks compiled: \d+ \(([\d.]+) ms\)/g, s.stderr) ?? 0) + (sumAll(/wasm regions compiled: \d+ of \d+ blocks \(([\d.]+) ms\)/g, s.stderr) ?? 0)),
      );
    }
    row[r.key] = res;
  }
  row.instructions = row.x64emu.instructions;
  for (const r of RUNNERS) row[r.key].mips = row.instructions && row[r.key].ms ? row.instructions / 1000 / row[r.key].ms : null;
  if (row.qemu) row.ratioQemu = row.x64emu.ms / row.qemu.ms;
  if (row.native) row.ratioNative = row.x64emu.ms / row.native.ms;
  rows.push(row);
  process.stderr.write(`bench: ${p.name} done${row.ok ? "" : " (OUTPUT DIFFERS)"}\n`);
}

/** Start-up: a static program that exits at once, against `node -e 0`, alternating. */
const FALSE = path.join(ROOT, "fixtures/bin/false");
const startup = { nodeMs: null, x64emuMs: null, overMs: null };
if (fs.existsSync(FALSE)) {
  const a = [];
  const b = [];
  for (let k = 0; k < Math.max(5, runs); k++) {
    a.push(once(process.execPath, ["-e", "0"]).ms);
    b.push(once(process.execPath, [CLI, FALSE]).ms);
  }
  startup.nodeMs = median(a);
  startup.x64emuMs = median(b);
  startup.overMs = startup.x64emuMs - startup.nodeMs;
}

const fmt = (x, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? "-" : x.toFixed(d));
const mib = (kib) => (kib === undefined || kib === null ? "-" : (kib / 1024).toFixed(0));
const header = ["program", "size", "guest insns", "native ms", "qemu ms", "x64emu ms", "MIPS", "compile ms", "no-jit ms", "MIPS", "RSS MiB (qemu/x64emu)", "x/qemu", "output"];
const table = rows.map((r) => [
  r.name,
  r.size,
  r.instructions ? (r.instructions / 1e6).toFixed(1) + "M" : "-",
  fmt(r.native?.ms, 1),
  fmt(r.qemu?.ms, 1),
  fmt(r.x64emu.ms, 1),
  fmt(r.x64emu.mips),
  fmt(r.x64emu.compileMs, 0),
  fmt(r.noJit?.ms, 1),
  fmt(r.noJit?.mips),
  `${mib(r.qemu?.rssKiB)} / ${mib(r.x64emu.rssKiB)}`,
  r.ratioQemu ? fmt(r.ratioQemu, 1) + "x" : "-",
  r.ok ? "same" : "DIFFERS",
]);
const widths = header.map((h, k) => Math.max(h.length, ...table.map((row) => String(row[k]).length)));
const line = (cells) => "| " + cells.map((c, k) => String(c).padEnd(widths[k])).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const row of table) console.log(line(row));
const ratios = rows.filter((r) => r.ratioQemu && r.ok).map((r) => r.ratioQemu);
const gm = geomean(ratios);
const worst = rows.filter((r) => r.ratioQemu).sort((a, b) => b.ratioQemu - a.ratioQemu)[0];
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log("");
if (gm) console.log(`Geometric mean of x64emu/qemu wall time: ${gm.toFixed(2)}x over ${ratios.length} programs (worst: ${worst.name} ${worst.ratioQemu.toFixed(1)}x).`);
if (startup.overMs !== null)
  console.log(`Start-up: \`x64emu fixtures/bin/false\` ${startup.x64emuMs.toFixed(1)} ms, \`node -e 0\` ${startup.nodeMs.toFixed(1)} ms: +${startup.overMs.toFixed(1)} ms.`);
console.log(`${cpu}, ${os.cpus().length} cores, Node ${process.version}; median of ${runs} alternating run(s); wall times include process start-up; MIPS = x64emu's guest instructions / wall time.`);
if (rows.some((r) => r.name === "shell-forks"))
  console.log("shell-forks: guest instructions are the first task's; qemu-x86_64 runs the exec'd applets natively (no binfmt_misc), so its time is not a like-for-like one.");
if (!native) console.log("native column: skipped (not an x86-64 Linux host)");
if (!qemu) console.log("qemu column: skipped (qemu-x86_64 not installed; Debian package qemu-user)");
if (!withTime) console.log(`RSS: not measured (${TIME} not installed; Debian package time)`);

const out = {
  date: new Date().toISOString(),
  machine: { cpu, cores: os.cpus().length, node: process.version, load: os.loadavg() },
  runs,
  sizes: sizeKind,
  geomeanRatioQemu: gm,
  startup,
  results: rows,
};
fs.writeFileSync(path.join(ROOT, "bench/results.json"), JSON.stringify(out, null, 2) + "\n");
fs.rmSync(rssFile, { force: true });
if (rows.some((r) => !r.ok)) {
  console.error("bench: some outputs differ from the native run");
  for (const r of rows.filter((r) => !r.ok)) console.error(`  ${r.name}: ${JSON.stringify(RUNNERS.map((x) => [x.key, r[x.key].differs ?? "same"]))}`);
  process.exitCode = 1;
}
