/** Signal handling: handlers with real frames, masks, alarm, signals from the parent, default actions. */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus } from "./helpers/asm.js";

const prog = (libc: string, n: string) => path.join(ROOT, "fixtures/bin", libc, n);

/** Start a program, wait for "ready", send SIGUSR1, and collect its output and status. */
function withSignal(cmd: string, args: string[]): Promise<{ out: string; status: number }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready\n")) child.kill("SIGUSR1");
    });
    child.on("close", (code, sig) => resolve({ out, status: sig ? 128 : (code ?? -1) }));
  });
}

for (const libc of ["musl", "glibc"]) {
  describe.skipIf(!IS_X86_64_LINUX || !fs.existsSync(prog(libc, "signals")))(`${libc} signals`, () => {
    it("SIGSEGV recovered via siglongjmp, raise, sigprocmask, alarm, SIGFPE si_code — as natively", () => {
      const n = runNative(prog(libc, "signals"));
      const e = runEmu([prog(libc, "signals")]);
      expect(e.stdout).toBe(n.stdout);
      expect(e.stdout).toContain("recovered at 0x1234");
      expect(e.stdout).toContain("SIGFPE code 1");
      expect(shellStatus(e)).toBe(shellStatus(n));
    });

    it("a SIGUSR1 sent by the parent process reaches the handler", async () => {
      const n = await withSignal(prog(libc, "signals"), ["wait"]);
      const e = await withSignal(process.execPath, [CLI, prog(libc, "signals"), "wait"]);
      expect(e.out).toContain("got 10");
      expect(e.out).toBe(n.out);
      expect(e.status).toBe(n.status);
    });

    it("a SIGSEGV handler that fixes the fault and returns resumes the program; SA_RESETHAND", () => {
      const n = runNative(prog(libc, "sigfix"));
      const e = runEmu([prog(libc, "sigfix")]);
      expect(e.stdout).toBe(n.stdout);
      expect(e.stdout).toContain("after fix: 42");
      expect(shellStatus(e)).toBe(shellStatus(n));
      expect(shellStatus(e)).toBe(140); // killed by SIGUSR2 once the handler was reset
    });

    it("default actions: abort() is SIGABRT (134), an unhandled fault SIGSEGV (139)", () => {
      for (const args of [[], ["segv"]]) {
        const n = runNative(prog(libc, "abort"), args);
        const e = runEmu([prog(libc, "abort"), ...args]);
        expect(shellStatus(e)).toBe(shellStatus(n));
        expect(e.stdout).toBe(n.stdout);
      }
    });
  });
}
