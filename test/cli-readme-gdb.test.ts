/**
 * The README's gdb recipes, run as written with the real gdb: each ```sh block
 * that starts `npx x64emu --gdb PORT PROG &` and then gdb, followed by
 * `(gdb) command   # comment` lines. The emulator listens on a free port
 * instead of PORT; gdb runs the commands in batch mode. Text a comment quotes
 * in [brackets] must appear in gdb's output, and each recipe's claims are
 * checked below.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, HAS_AS, ROOT } from "./helpers/asm.js";

const HAS_GDB = spawnSync("sh", ["-c", "command -v gdb"]).status === 0;

interface Recipe {
  /** x64emu's arguments after --gdb PORT */
  emu: string[];
  /** gdb's arguments, the port left as PORT */
  gdb: string[];
  commands: string[];
  /** text each command's comment quotes in [brackets] */
  quoted: string[];
}

/** Split a shell line into words ('single quotes' only, as the recipes use). */
const words = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);

function readmeGdbRecipes(readme: string): Recipe[] {
  const out: Recipe[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1].split("\n");
    const start = lines.findIndex((l) => /^npx x64emu --gdb \d+ .*&\s*$/.test(l));
    if (start < 0 || !lines[start + 1]?.startsWith("gdb ")) continue;
    const port = /--gdb (\d+)/.exec(lines[start])![1];
    const emu = words(lines[start].replace(/&\s*$/, "")).slice(4);
    const gdb = words(lines[start + 1]).slice(1).map((w) => w.replace(`:${port}`, ":PORT"));
    const cmds = lines.slice(start + 2).filter((l) => l.startsWith("(gdb) "));
    out.push({
      emu,
      gdb,
      commands: cmds.map((l) => l.slice(6).replace(/\s*#.*$/, "")),
      quoted: cmds.flatMap((l) => [.../\[([^\]]+)\]/.exec(l.replace(/^[^#]*/, "")) ?? []].slice(1)),
    });
  }
  return out;
}

/** Run a recipe: x64emu --gdb 0 (a free port), then gdb -batch with the recipe's commands. */
async function runRecipe(r: Recipe): Promise<{ gdb: string; pid: number }> {
  const emu = spawn(process.execPath, [CLI, "--gdb", "0", ...r.emu], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const port = await new Promise<string>((resolve, reject) => {
    let err = "";
    emu.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /waiting for gdb on [\d.]+:(\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    emu.on("exit", () => reject(new Error(`x64emu exited before listening: ${err}`)));
  });
  const args = ["-batch", "-nx", ...r.gdb.map((a) => a.replace(":PORT", `:${port}`)), ...r.commands.flatMap((c) => ["-ex", c])];
  // the file argument comes last on gdb's command line; -ex options may follow it
  const g = spawnSync("gdb", args, { cwd: ROOT, encoding: "utf8", timeout: 60000 });
  await new Promise<void>((resolve) => (emu.exitCode !== null ? resolve() : emu.on("exit", () => resolve())));
  return { gdb: g.stdout + g.stderr, pid: emu.pid! };
}

const recipes = readmeGdbRecipes(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));

describe.skipIf(!HAS_GDB || !HAS_AS)("the README's gdb recipes work with the real gdb", () => {
  it("the README has the recipes", () => {
    expect(recipes.map((r) => r.emu[0])).toEqual(expect.arrayContaining(["fixtures/bin/false", "fixtures/src/getpid.s"]));
  });

  for (const r of recipes) {
    it(`x64emu --gdb PORT ${r.emu.join(" ")}: ${r.commands.join("; ")}`, async () => {
      const { gdb, pid } = await runRecipe(r);
      for (const q of r.quoted) expect(gdb).toContain(q);
      // gdb knows the symbols (with or without a file argument): the stub has stopped at _start
      expect(gdb).toMatch(/0x0+401000 in _start \(\)/);
      if (r.emu[0] === "fixtures/bin/false") {
        expect(gdb).toMatch(/=> 0x401000 <_start>:/);
        expect(gdb).not.toMatch(/Breakpoint/);
      }
      if (r.emu[0] === "fixtures/src/getpid.s") {
        // two stepi: mov $39, %eax, then the syscall: rax holds getpid's result (the emulator's pid)
        expect(gdb).toMatch(/=> 0x401005 <_start\+5>:\s+syscall/);
        expect(gdb).toMatch(new RegExp(`^rax\\s+0x${pid.toString(16)}\\s+${pid}$`, "m"));
      }
    });
  }
});
