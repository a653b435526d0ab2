/**
 * A short run of the project's fuzz campaigns (scripts/fuzz.mjs, `npm run fuzz`):
 * random code, corrupt ELFs, random syscalls and gdb garbage through the
 * library and the command end without a JavaScript stack trace or a hang.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";

function fuzz(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/fuzz.mjs"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 240000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("fuzz campaigns (short CI run)", () => {
  it("library campaigns: 150 cases each, seed 7, no failure", () => {
    const r = fuzz(["--seed", "7", "--count", "150", "--only", "lib-code,lib-elf,syscalls,gdb"]);
    expect(r.out).toMatch(/fuzz: 0 failure\(s\)/);
    expect(r.status).toBe(0);
  });
  it("corrupt sizes: every program header size, offset, address and alignment of each base ELF set to each huge value, none over the per-case bound", () => {
    const r = fuzz(["--count", "100000", "--only", "elf-sizes", "--case-ms", "20000"]);
    const m = /cases 0\.\.(\d+) of (\d+)/.exec(r.out)!;
    expect(Number(m[1]) + 1).toBe(Number(m[2]));
    expect(Number(m[2])).toBeGreaterThan(500);
    expect(r.out).toMatch(/fuzz: 0 failure\(s\)/);
    expect(r.status).toBe(0);
  });
  it.skipIf(process.platform !== "linux")("command campaigns: 12 cases each, seed 7, no failure", () => {
    const r = fuzz(["--seed", "7", "--count", "12", "--only", "cli-code,cli-elf"]);
    expect(r.out).toMatch(/fuzz: 0 failure\(s\)/);
    expect(r.status).toBe(0);
  });
  it("rejects bad options with status 2", () => {
    expect(fuzz(["--only", "nope"]).status).toBe(2);
  });
});
