/**
 * The benchmark suite's programs (bench/programs.mjs, listed through
 * `bench/run.mjs --dry-run`) give the same output under x64emu as natively, at
 * the small sizes meant for tests. No timing is asserted here.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX } from "./helpers/asm.js";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist/cli.js");

interface Listed {
  name: string;
  prog: string;
  argv: string[] | null;
  available: boolean;
  reason: string | null;
}

const dry = spawnSync(process.execPath, [path.join(ROOT, "bench/run.mjs"), "--dry-run", "--size", "test", "--only", "python3,gzip"], { encoding: "utf8" });
const all = spawnSync(process.execPath, [path.join(ROOT, "bench/run.mjs"), "--dry-run", "--size", "test"], { encoding: "utf8" });
const listed: Listed[] = all.status === 0 ? JSON.parse(all.stdout) : [];

if (!IS_X86_64_LINUX) console.log("bench program tests skipped: the comparison needs a native x86-64 run");
for (const p of listed) if (!p.available) console.log(`bench program ${p.name} skipped: ${p.reason}`);

/** CPython's start-up alone is many seconds with the compiled tiers (it compiles much and runs each region little); the interpreter keeps this test short. */
const FLAGS: Record<string, string[]> = { python3: ["--no-jit"] };

function run(cmd: string, argv: string[]) {
  const r = spawnSync(cmd, argv, { timeout: 120_000, maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"] });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

describe("bench/run.mjs --dry-run", () => {
  it("lists the suite, with the size each program takes", () => {
    expect(all.status, all.stderr).toBe(0);
    expect(dry.status, dry.stderr).toBe(0);
    const names = listed.map((p) => p.name);
    for (const n of ["sha256", "sieve", "qsort", "threads", "cxx-map", "cxx-exceptions", "cxx-sharedptr", "rust", "go", "shell-forks", "python3", "gzip"])
      expect(names).toContain(n);
    for (const p of listed) if (p.available) expect(p.argv!.length).toBeGreaterThan(0);
    expect(JSON.parse(dry.stdout).map((p: Listed) => p.name)).toEqual(["python3", "gzip"]);
  });
  it("refuses an unknown program name", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "bench/run.mjs"), "--dry-run", "--only", "nosuch"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown program/);
  });
});

describe.skipIf(!IS_X86_64_LINUX)("bench programs under x64emu", () => {
  for (const p of listed) {
    it.skipIf(!p.available)(
      p.name,
      () => {
        const n = run(p.prog, p.argv!);
        expect(n.status, n.stderr).toBe(0);
        expect(n.stdout.length).toBeGreaterThan(0);
        const e = run(process.execPath, [CLI, ...(FLAGS[p.name] ?? []), p.prog, ...p.argv!]);
        expect(e.stderr).toBe(n.stderr);
        expect(e.status).toBe(0);
        expect(e.stdout.equals(n.stdout), `${p.name}: stdout differs: ${e.stdout.toString("utf8").slice(0, 200)}`).toBe(true);
      },
      240_000,
    );
  }
});
