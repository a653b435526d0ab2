/** Real gdb (batch mode) driving x64emu --gdb / --gdb-stdio. */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, HAS_AS, tmpDir } from "./helpers/asm.js";

const HAS_GDB = spawnSync("sh", ["-c", "command -v gdb"]).status === 0;
if (!HAS_GDB) console.log("gdb tests skipped: gdb is not installed (Debian package gdb)");
if (!HAS_AS) console.log("gdb tests skipped: as/ld are not installed");

const PROG = `
.globl _start
_start:
  lea val(%rip), %rbx
  movq $1, (%rbx)
  mov $60, %eax
  movq $2, (%rbx)
  mov $3, %edi
  syscall
.data
.globl val
val: .quad 0
`;

const CRASH = `
.globl _start
_start:
  nop
  xor %eax, %eax
  mov (%rax), %rcx
`;

function build(name: string, src: string): string {
  const dir = tmpDir();
  const s = path.join(dir, `${name}.s`);
  fs.writeFileSync(s, src);
  spawnSync("as", ["-g", "-o", `${s}.o`, s]);
  spawnSync("ld", ["-static", "-o", path.join(dir, name), `${s}.o`]);
  return path.join(dir, name);
}

let nextPort = 23000 + (process.pid % 1000) * 10;

/** Start x64emu --gdb on a port, run gdb with the commands, return gdb's output and x64emu's exit. */
async function session(prog: string, cmds: string[]): Promise<{ gdb: string; status: number | null; signal: string | null; emuErr: string }> {
  const port = nextPort++;
  const emu = spawn(process.execPath, [CLI, "--gdb", String(port), prog], { stdio: ["ignore", "pipe", "pipe"] });
  let emuErr = "";
  await new Promise<void>((res) => {
    emu.stderr.on("data", (d) => {
      emuErr += d;
      if (emuErr.includes("waiting for gdb")) res();
    });
  });
  const args = ["-batch", "-nx", "-ex", "set confirm off", "-ex", `target remote 127.0.0.1:${port}`];
  for (const c of cmds) args.push("-ex", c);
  const g = spawnSync("gdb", [...args, prog], { encoding: "utf8", timeout: 60000 });
  const exit = await new Promise<[number | null, string | null]>((res) => emu.on("exit", (c, s) => res([c, s])));
  return { gdb: g.stdout + g.stderr, status: exit[0], signal: exit[1], emuErr };
}

describe.skipIf(!HAS_GDB || !HAS_AS)("gdb remote stub", () => {
  it("stops at _start, steps, shows registers and memory, and reports the exit code", async () => {
    const prog = build("gdbprog", PROG);
    const r = await session(prog, ["info registers rip", "break _start", "stepi", "info registers rip rbx", "x/2xg $rsp", "stepi", "x/1xg &val", "continue"]);
    expect(r.gdb).toMatch(/rip\s+0x401000\s+0x401000 <_start>/);
    expect(r.gdb).toMatch(/rip\s+0x401007\s+0x401007 <_start\+7>/); // lea is 7 bytes
    expect(r.gdb).toMatch(/rbx\s+0x402000/);
    expect(r.gdb).toMatch(/0x7fffffff[0-9a-f]+:\s+0x0000000000000001\s+0x00007fffffff[0-9a-f]+/); // argc = 1, argv[0]
    expect(r.gdb).toMatch(/0x402000( <val>)?:\s+0x0000000000000001/);
    expect(r.gdb).toMatch(/exited with code 03/);
    expect(r.status).toBe(3);
  });

  it("a breakpoint hits at the right address and a watchpoint fires on the store", async () => {
    const prog = build("gdbwatch", PROG);
    const r = await session(prog, ["break *0x40100e", "continue", "info registers rip", "watch *(long *)&val", "continue", "x/1xg &val", "continue"]);
    expect(r.gdb).toMatch(/Breakpoint 1, _start/);
    expect(r.gdb).toMatch(/rip\s+0x40100e\s+0x40100e <_start\+14>/);
    expect(r.gdb).toMatch(/Old value = 1\s+New value = 2/);
    expect(r.gdb).toMatch(/exited with code 03/);
  });

  it("reports SIGSEGV at the faulting instruction, then the death by signal", async () => {
    const prog = build("gdbcrash", CRASH);
    const r = await session(prog, ["continue", "info registers rip", "continue"]);
    expect(r.gdb).toMatch(/Program received signal SIGSEGV/);
    expect(r.gdb).toMatch(/rip\s+0x401003\s+0x401003 <_start\+3>/);
    expect(r.gdb).toMatch(/Program terminated with signal SIGSEGV/);
    expect(r.signal).toBe("SIGSEGV");
  });

  it("serves gdb over stdin/stdout with --gdb-stdio", () => {
    const prog = build("gdbstdio", PROG);
    const g = spawnSync("gdb", ["-batch", "-nx", "-ex", `target remote | ${process.execPath} ${CLI} --gdb-stdio ${prog}`, "-ex", "stepi", "-ex", "info registers rip", "-ex", "continue", prog], { encoding: "utf8", timeout: 60000 });
    expect(g.stdout + g.stderr).toMatch(/rip\s+0x401007/);
    expect(g.stdout + g.stderr).toMatch(/exited with code 03/);
  });
});
