/** Real gdb (batch mode) driving x64emu --gdb / --gdb-stdio. */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, HAS_AS, ROOT, tmpDir } from "./helpers/asm.js";

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

/** Known values in ymm0 and ymm15; at \`here\` gdb reads and changes them, then ymm0 goes to stdout. */
const YMM = `
.globl _start
_start:
  vmovdqu src(%rip), %ymm0
  vmovdqu src2(%rip), %ymm15
.globl here
here:
  nop
  vmovdqu %ymm0, out(%rip)
  mov $1, %eax
  mov $1, %edi
  lea out(%rip), %rsi
  mov $32, %edx
  syscall
  mov $60, %eax
  xor %edi, %edi
  syscall
.data
src: .long 1, 2, 3, 4, 0x11111111, 0x22222222, 0x33333333, 0x44444444
src2: .quad 0x0123456789abcdef, 0x1122334455667788, 0x99aabbccddeeff00, 0x7edcba9876543210
out: .space 32
`;

/** A thread (not the main one) dies of SIGSEGV while the main thread waits in pthread_join. */
const THREAD_CRASH = `
#include <pthread.h>
#include <stdio.h>
static volatile int go;
static void *bad(void *a) {
  while (!go) ;
  *(volatile int *)a = 1;
  return 0;
}
int main(void) {
  pthread_t t;
  pthread_create(&t, 0, bad, 0);
  go = 1;
  pthread_join(t, 0);
  puts("not reached");
  return 0;
}
`;

const HAS_GCC = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;
if (!HAS_GCC) console.log("gdb thread-fault test skipped: gcc is not installed");

const HOST_AVX = /^flags\s*:.*\bavx\b/m.test(fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "");

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

/** gdb's `signal SIGUSR1` runs the handler; a death by SIGBUS (Linux 7, gdb 10) is named right. */
const SIGNALS = `
#include <signal.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void on(int s) { got = s; }
__attribute__((noinline)) void here(void) { __asm__ volatile(""); }
int main(void) {
  signal(SIGUSR1, on);
  here();
  if (got == SIGUSR1) write(1, "usr1\\n", 5);
  kill(getpid(), SIGBUS);
  return 0;
}
`;

let nextPort = 23000 + (process.pid % 1000) * 10;

/** Start x64emu --gdb on a port, run gdb with the commands, return gdb's output and x64emu's exit. */
async function session(prog: string, cmds: string[]): Promise<{ gdb: string; status: number | null; signal: string | null; emuErr: string; emuOut: string }> {
  const port = nextPort++;
  const emu = spawn(process.execPath, [CLI, "--gdb", String(port), prog], { stdio: ["ignore", "pipe", "pipe"] });
  let emuErr = "";
  let emuOut = "";
  emu.stdout.setEncoding("latin1");
  emu.stdout.on("data", (d) => (emuOut += d));
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
  return { gdb: g.stdout + g.stderr, status: exit[0], signal: exit[1], emuErr, emuOut };
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

  it("shows and writes the full 256-bit ymm registers (as gdb on the host shows them)", async () => {
    const prog = build("gdbymm", YMM);
    const cmds = ["break here", "p $ymm0.v8_int32", "info registers ymm15", "set $ymm0.v8_int32[7] = 5", "p $ymm0.v8_int32", "p $xmm0.v4_int32", "continue"];
    const r = await session(prog, [cmds[0], "continue", ...cmds.slice(1)]);
    expect(r.gdb).toMatch(/\$1 = \{1, 2, 3, 4, 286331153, 572662306, 858993459, 1145324612\}/);
    expect(r.gdb).toMatch(/v4_int64 = \{0x123456789abcdef, 0x1122334455667788, 0x99aabbccddeeff00, 0x7edcba9876543210\}/);
    expect(r.gdb).toMatch(/\$2 = \{1, 2, 3, 4, 286331153, 572662306, 858993459, 5\}/);
    expect(r.gdb).toMatch(/\$3 = \{1, 2, 3, 4\}/);
    expect(r.gdb).toMatch(/exited normally/);
    // the write reached the CPU: the program stores ymm0 and writes it out
    const out = Buffer.from(r.emuOut, "latin1");
    expect(Array.from({ length: 8 }, (_, k) => out.readUInt32LE(4 * k))).toEqual([1, 2, 3, 4, 0x11111111, 0x22222222, 0x33333333, 5]);
    if (!HOST_AVX) {
      console.log("gdb ymm: no native comparison (the host CPU has no AVX)");
      return;
    }
    const n = spawnSync("gdb", ["-batch", "-nx", "-ex", cmds[0], "-ex", "run", ...cmds.slice(1).flatMap((c) => ["-ex", c]), prog], { encoding: "utf8", timeout: 60000 });
    const values = (s: string) => s.split("\n").filter((l) => /^(\$\d|ymm15)/.test(l));
    expect(values(r.gdb)).toEqual(values(n.stdout));
    expect(values(r.gdb).length).toBe(4);
  });

  it("lists the threads of a pthreads program, stops the thread that hits a breakpoint, steps it while the others run", async () => {
    const prog = path.join(ROOT, "fixtures/bin/glibc/threads");
    const r = await session(prog, ["break worker", "continue", "info threads", "stepi", "info registers rip", "thread 1", "info threads", "delete", "continue"]);
    // four workers: "Thread 2 hit Breakpoint 1" is the first of them, not the main thread
    expect(r.gdb).toMatch(/Thread ([2-5])(?: "threads")? hit Breakpoint 1, 0x[0-9a-f]+ in worker \(\)/);
    const lists = r.gdb.split(/\n\s+Id\s+Target Id\s+Frame\s*\n/).slice(1);
    expect(lists.length).toBe(2);
    const rows = (list: string) => list.split("\n").filter((l) => /^[* ] +\d+ +Thread \d+/.test(l));
    const first = rows(lists[0]);
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(first.filter((l) => l.startsWith("*"))[0]).toMatch(/in worker \(\)/);
    expect(first[0]).toMatch(/^ +1 +Thread \d+/); // the main thread, not stopped in worker
    expect(r.gdb).toMatch(/rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <worker\+1>/); // stepi ran the stopped thread's first instruction (push)
    expect(rows(lists[1]).filter((l) => l.startsWith("*"))[0]).toMatch(/^\* 1 +Thread/);
    expect(r.gdb).toMatch(/exited normally/);
    expect(r.emuOut).toMatch(/counter=80000 plain=8000 sum=52 tls=5 destructed=4/);
    expect(r.status).toBe(0);
  });

  it("follows the parent of a fork; the child runs on its own and breakpoints stay out of it", async () => {
    const prog = path.join(ROOT, "fixtures/bin/glibc/forkwait");
    const r = await session(prog, ["break write", "continue", "info threads", "continue"]);
    // the child's write(1, "child\n") does not stop; the parent's printf does
    expect(r.gdb).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in write \(\)/);
    expect(r.gdb.match(/hit Breakpoint|Breakpoint 1, /g)?.length).toBe(1);
    expect(r.gdb).toMatch(/exited normally/);
    expect(r.emuOut).toBe("child\nparent 3\n");
    // vfork and posix_spawn children share the debugged process's CPU and memory: they run past its breakpoints
    const procs = path.join(ROOT, "fixtures/bin/glibc/procs");
    const plain = spawnSync(process.execPath, [CLI, procs], { encoding: "latin1" });
    const v = await session(procs, ["break write", "continue", "info threads", "delete", "continue"]);
    expect(v.gdb).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in write \(\)/);
    expect(v.gdb).toMatch(/exited normally/);
    expect(v.emuOut).toBe(plain.stdout);
  });

  it.skipIf(!HAS_GCC)("delivers the signal given at resume and names signals in gdb's numbering, as gdb on the host does", async () => {
    const dir = tmpDir();
    const src = path.join(dir, "gsig.c");
    fs.writeFileSync(src, SIGNALS);
    const prog = path.join(dir, "gsig");
    expect(spawnSync("gcc", ["-static", "-g", "-O1", "-o", prog, src]).status).toBe(0);
    const cmds = ["break here", "continue", "signal SIGUSR1", "continue"];
    const r = await session(prog, cmds);
    expect(r.emuOut).toBe("usr1\n");
    // the handler returns to the breakpoint, which stops again, natively too
    const hits = (s: string) => s.match(/Breakpoint 1, here \(\)/g)?.length;
    expect(hits(r.gdb)).toBe(2);
    expect(r.gdb).toMatch(/Program terminated with signal SIGBUS/);
    expect(r.signal).toBe("SIGBUS");
    const n = spawnSync("gdb", ["-batch", "-nx", "-ex", "break here", "-ex", "run", "-ex", "signal SIGUSR1", "-ex", "continue", prog], { encoding: "utf8", timeout: 60000 });
    expect(hits(n.stdout)).toBe(2);
    expect(n.stdout).toMatch(/usr1/);
    expect(n.stdout).toMatch(/Program received signal SIGBUS/);
  });

  it.skipIf(!HAS_GCC)("a fault in a second thread stops that thread and names it, as gdb on the host does", async () => {
    const dir = tmpDir();
    const src = path.join(dir, "tcrash.c");
    fs.writeFileSync(src, THREAD_CRASH);
    const prog = path.join(dir, "tcrash");
    expect(spawnSync("gcc", ["-static", "-g", "-O1", "-pthread", "-o", prog, src]).status).toBe(0);
    const r = await session(prog, ["continue", "info threads", "continue"]);
    const n = spawnSync("gdb", ["-batch", "-nx", "-ex", "run", "-ex", "info threads", "-ex", "continue", prog], { encoding: "utf8", timeout: 60000 });
    const facts = (s: string) => [
      /Thread (\d+)(?: "tcrash")? received signal SIGSEGV/.exec(s)?.[1],
      /^\* +(\d+) +Thread .* (?:in )?bad \(a=0x0\) at .*tcrash\.c:7$/m.exec(s)?.[1],
      /^ +1 +Thread .* in \S+ \(\)$/m.test(s),
      /Program terminated with signal SIGSEGV/.test(s),
    ];
    expect(facts(r.gdb)).toEqual(["2", "2", true, true]);
    expect(facts(r.gdb)).toEqual(facts(n.stdout));
    expect(r.signal).toBe("SIGSEGV");
  });
});
