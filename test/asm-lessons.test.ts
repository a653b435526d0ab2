/**
 * Lesson-like programs (test/asm-lessons/*.s: write, argv, argc, .data/.bss,
 * Intel syntax, .include, .rept with a counter, call/ret, recursion, -errno,
 * read, a fault, a bad line, an undefined symbol) run from source through the
 * CLI, compared with the same source built by as + ld and run natively: exit
 * status, output, the symbol table and the loaded bytes of `--assemble`'s
 * ELF. Without the host tools, against the status each file records
 * (`# status: N`, or `# error: LINE` for source that must not assemble).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { HAS_AS, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

const DIR = path.join(ROOT, "test/asm-lessons");
const ARGS = ["one", "two words"];
const STDIN = "abc Def\n";
const NATIVE = HAS_AS && IS_X86_64_LINUX;

/** as + ld; the failing tool's stderr when the source does not build. */
function nativeBuild(file: string): { exe: string } | { error: string } {
  const base = path.join(tmpDir(), path.basename(file, ".s"));
  const as = spawnSync("as", ["--64", "-I", DIR, "-o", `${base}.o`, file], { encoding: "utf8" });
  if (as.status !== 0) return { error: as.stderr };
  const ld = spawnSync("ld", ["-static", "--build-id=none", "-o", `${base}.native`, `${base}.o`], { encoding: "utf8" });
  if (ld.status !== 0) return { error: ld.stderr };
  return { exe: `${base}.native` };
}

/** The bytes each loadable segment puts in memory, by address. */
function loaded(exe: string): string {
  return execFileSync("objdump", ["-s", "-j", ".text", "-j", ".rodata", "-j", ".data", exe], { encoding: "utf8" }).split("\n").slice(3).join("\n");
}

const nm = (exe: string) => execFileSync("nm", [exe], { encoding: "utf8" });

describe("lesson-like programs from source, as the native as + ld build runs", () => {
  for (const name of fs.readdirSync(DIR).filter((f) => f.endsWith(".s")).sort()) {
    const file = path.join(DIR, name);
    const text = fs.readFileSync(file, "utf8");
    const status = /^# status: (\d+)$/m.exec(text)?.[1];
    const errorLine = /^# error: (\d+)$/m.exec(text)?.[1];
    it(`${name}: ${status !== undefined ? `exit status ${status}` : `assembly error at line ${errorLine}`}`, () => {
      const r = runEmu([file, ...ARGS], { input: STDIN });
      if (errorLine !== undefined) {
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.]/g, "\\.")}:${errorLine}: [^\\n]+\\n$`));
        if (HAS_AS) {
          const n = nativeBuild(file);
          expect("error" in n && n.error).toMatch(new RegExp(`${name.replace(".", "\\.")}:${errorLine}: |\\(\\.text\\+0x[0-9a-f]+\\): undefined reference`));
        }
        return;
      }
      expect(shellStatus(r)).toBe(Number(status));
      if (!HAS_AS) return;
      const n = nativeBuild(file);
      if (!("exe" in n)) throw new Error(`as + ld failed: ${n.error}`);
      // the written ELF: ld's symbols and addresses, ld's bytes
      const out = path.join(tmpDir(), `${name}.out`);
      expect(runEmu(["--assemble", file, "-o", out]).status).toBe(0);
      expect(nm(out)).toBe(nm(n.exe));
      expect(loaded(out)).toBe(loaded(n.exe));
      if (NATIVE) {
        const nr = runNative(n.exe, ARGS, { input: STDIN });
        expect(shellStatus(r)).toBe(shellStatus(nr));
        // argv[0] is the path as given: the source's path here, the executable's natively
        expect(r.stdout.replace(file, "PROG")).toBe(nr.stdout.replace(n.exe, "PROG"));
      }
    });
  }
});
