/**
 * Real static C programs (musl and glibc builds in fixtures/bin/), run
 * natively and under x64emu: stdout, stderr and exit status must match.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus } from "./helpers/asm.js";

if (!IS_X86_64_LINUX) console.log("program tests skipped: they compare with a native run (x86-64 Linux host needed)");

const CASES: Array<{ prog: string; args?: string[]; input?: string; env?: Record<string, string> }> = [
  { prog: "printf" },
  { prog: "malloc" },
  { prog: "strings" },
  { prog: "strfuncs" },
  { prog: "floats" },
  { prog: "setjmp" },
  { prog: "args", args: ["one", "two words", "--flag"], env: { X64EMU_TEST: "from the test" } },
  { prog: "args" },
  { prog: "cat", input: "line 1\nline 2\n" + "x".repeat(10000) + "\n" },
  { prog: "exitcode", args: ["0"] },
  { prog: "exitcode", args: ["7"] },
  { prog: "exitcode", args: ["255"] },
  { prog: "exitcode", args: ["256"] },
];


/**
 * Every program runs under each execution tier: the default (interpreter, then
 * compiled JavaScript, then WebAssembly for hot code), the interpreter alone,
 * and everything compiled at once (JavaScript blocks and WebAssembly regions).
 */
const TIER_FLAGS: string[][] = [[], ["--no-jit"], ["--jit-threshold", "0"]];

for (const libc of ["musl", "glibc"]) {
  describe.skipIf(!IS_X86_64_LINUX)(`${libc} static programs`, () => {
    for (const c of CASES) {
      const exe = path.join(ROOT, "fixtures/bin", libc, c.prog);
      const title = [c.prog, ...(c.args ?? [])].join(" ") + (c.input ? " < input" : "");
      it.skipIf(!fs.existsSync(exe))(title, () => {
        const env = { ...process.env, ...(c.env ?? {}) };
        if (!c.env) delete env.X64EMU_TEST;
        const n = runNative(exe, c.args ?? [], { input: c.input, env });
        for (const tier of TIER_FLAGS) {
          const e = runEmu([...tier, exe, ...(c.args ?? [])], { input: c.input, env });
          expect(e.stderr, tier.join(" ")).toBe(n.stderr);
          expect(e.stdout, tier.join(" ")).toBe(n.stdout);
          expect(shellStatus(e), tier.join(" ")).toBe(shellStatus(n));
        }
      });
    }
  });
}

// string functions, including glibc's SSSE3/SSE4.1/SSE4.2 variants, have a recorded output: the native
// run must still give it (x86-64 hosts, where the cases above compare the emulator with the native run),
// and elsewhere the emulator must
describe("strfuncs: the recorded native output", () => {
  const expected = fs.readFileSync(path.join(ROOT, "fixtures/expected/strfuncs.out"), "utf8");
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "strfuncs");
    it.skipIf(!fs.existsSync(exe))(`${libc} (${IS_X86_64_LINUX ? "native" : "x64emu"})`, () => {
      const r = IS_X86_64_LINUX ? runNative(exe) : runEmu([exe]);
      expect(r.stdout).toBe(expected);
      expect(r.stdout).toContain("variants disagreeing: 0");
      expect(shellStatus(r)).toBe(0);
    });
  }
});

describe.skipIf(!IS_X86_64_LINUX)("file I/O in a temporary directory", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "files");
    it.skipIf(!fs.existsSync(exe))(`${libc} files`, () => {
      const base = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-files-"));
      try {
        fs.mkdirSync(path.join(base, "native"));
        fs.mkdirSync(path.join(base, "emu"));
        const n = runNative(exe, [path.join(base, "native")]);
        const e = runEmu([exe, path.join(base, "emu")]);
        expect(e.stderr).toBe(n.stderr);
        expect(e.stdout).toBe(n.stdout);
        expect(e.stdout).toContain("entry renamed.txt");
        expect(shellStatus(e)).toBe(0);
        expect(fs.readdirSync(path.join(base, "emu"))).toEqual([]);
      } finally {
        fs.rmSync(base, { recursive: true, force: true });
      }
    });
  }
});
