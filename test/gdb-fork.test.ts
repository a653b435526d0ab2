/**
 * Real gdb (batch mode, --gdb-stdio) on programs that fork, vfork and exec:
 * `catch fork`, `catch vfork` and `catch exec` stop where they stop under
 * gdb on the host, the child is detached (follow-fork-mode parent), and a
 * breakpoint survives the fork and is set again in the new program.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, tmpDir } from "./helpers/asm.js";

const HAS_GDB = spawnSync("sh", ["-c", "command -v gdb"]).status === 0;
const HAS_GCC = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;
if (!HAS_GDB || !HAS_GCC) console.log("gdb fork/exec tests skipped: gdb and gcc are needed (Debian packages gdb, gcc)");

/** fork, vfork, then an exec of itself; `marker` runs in the fork child, the parent and the new program. */
const FORKEXEC = `
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
__attribute__((noinline)) void marker(int who) { printf("marker %d\\n", who); }
int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc > 1) {
    marker(3);
    return 4;
  }
  pid_t p = fork();
  if (p == 0) {
    marker(1);
    _exit(7);
  }
  int st;
  waitpid(p, &st, 0);
  printf("fork child %d\\n", WEXITSTATUS(st));
  p = vfork();
  if (p == 0) _exit(8);
  waitpid(p, &st, 0);
  printf("vfork child %d\\n", WEXITSTATUS(st));
  marker(2);
  execl(argv[0], argv[0], "after", (char *)0);
  return 1;
}
`;

function build(): string {
  const dir = tmpDir();
  const src = path.join(dir, "forkexec.c");
  fs.writeFileSync(src, FORKEXEC);
  const prog = path.join(dir, "forkexec");
  expect(spawnSync("gcc", ["-static", "-g", "-O1", "-o", prog, src]).status).toBe(0);
  return prog;
}

/** gdb's output natively (run) and on x64emu (target remote | x64emu --gdb-stdio), with the same commands after the start. */
function both(prog: string, before: string[], after: string[]): { native: string; emu: string } {
  const ex = (cs: string[]) => cs.flatMap((c) => ["-ex", c]);
  const opts = { encoding: "utf8" as const, timeout: 90000, cwd: path.dirname(prog) };
  const n = spawnSync("gdb", ["-batch", "-nx", "-ex", "set confirm off", ...ex(before), "-ex", "run", ...ex(after), prog], opts);
  const e = spawnSync("gdb", ["-batch", "-nx", "-ex", "set confirm off", ...ex(before), "-ex", `target remote | ${process.execPath} ${CLI} --gdb-stdio ${prog}`, "-ex", "continue", ...ex(after), prog], opts);
  return { native: n.stdout + n.stderr, emu: e.stdout + e.stderr };
}

/** The lines that tell where gdb stopped and what it did, pids and addresses of libc internals left out. */
function events(s: string): string[] {
  return s
    .split("\n")
    .filter((l) => /^(Catchpoint \d+ \(|\[Detaching|process \d+ is executing|Breakpoint \d+, |\$\d+ = |\[Inferior 1 |rip )/.test(l))
    .map((l) => l.replace(/process \d+/g, "process N").replace(/0x[0-9a-f]+ in /, "ADDR in "));
}

describe.skipIf(!HAS_GDB || !HAS_GCC || !IS_X86_64_LINUX)("gdb fork and exec events", () => {
  it("catch fork, catch vfork and catch exec stop as gdb on the host does", () => {
    const prog = build();
    const r = both(prog, ["catch fork", "catch vfork", "catch exec"], ["info inferiors", "continue", "continue", "info registers rip", "continue"]);
    const ev = events(r.emu);
    expect(ev).toEqual(events(r.native));
    expect(ev.join("\n")).toMatch(/Catchpoint 1 \(forked process N\)/);
    expect(ev.join("\n")).toMatch(/Catchpoint 2 \(vforked process N\)/);
    expect(ev.join("\n")).toMatch(/Catchpoint 3 \(exec'd .*forkexec\), ADDR in _start \(\)/);
    expect(ev.join("\n")).toMatch(/\[Inferior 1 \(process N\) exited with code 04\]/);
    expect(r.emu).toMatch(/fork child 7\n[^]*vfork child 8\n[^]*marker 2\n[^]*marker 3\n/);
  });

  it("a breakpoint stops the parent, not the detached fork child, and is set again in the program exec runs", () => {
    const prog = build();
    const r = both(prog, ["break marker"], ["p who", "continue", "p who", "continue"]);
    const ev = events(r.emu);
    expect(ev).toEqual(events(r.native));
    expect(ev.filter((l) => l.startsWith("$"))).toEqual(["$1 = 2", "$2 = 3"]);
    expect(r.emu).toMatch(/marker 1\n/); // the child ran on, undebugged
  });
});
