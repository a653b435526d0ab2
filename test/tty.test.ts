/**
 * Terminals: fixtures/c/tty.c (isatty, tcgetattr/tcsetattr raw and back,
 * TIOCGWINSZ, fstat and ttyname of the standard descriptors) on a pty made by
 * script(1) and off a terminal, natively and under x64emu; same output.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT } from "./helpers/asm.js";

const HAS_SCRIPT = spawnSync("sh", ["-c", "command -v script"]).status === 0;
if (!HAS_SCRIPT) console.log("tty tests on a terminal skipped: script(1) is not installed");

const sh = (cmd: string) => `'${cmd.replace(/'/g, "'\\''")}'`;

/** Run a command line on a fresh pty (script -qc CMD /dev/null). */
function onPty(cmd: string): { out: string; status: number | null } {
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "pipe"] });
  return { out: r.stdout, status: r.status };
}

for (const libc of ["glibc", "musl"]) {
  const exe = path.join(ROOT, "fixtures/bin", libc, "tty");
  describe.skipIf(!IS_X86_64_LINUX || !fs.existsSync(exe))(`tty (${libc})`, () => {
    it.skipIf(!HAS_SCRIPT)("on a pty: termios, raw mode and back, winsize, fstat kinds, ttyname as natively", () => {
      const n = onPty(sh(exe));
      const e = onPty(`${sh(process.execPath)} ${sh(CLI)} ${sh(exe)}`);
      expect(n.out).toContain("iflag");
      expect(e.out).toBe(n.out);
      expect(e.status).toBe(n.status);
    });
    it("off a terminal: ENOTTY, and fstat says chr (/dev/null), fifo (pipe), reg (file)", () => {
      const f = path.join(fs.mkdtempSync("/tmp/x64emu-tty-"), "err");
      const run = (argv: string[]) => {
        const fd = fs.openSync(f, "w");
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", fd] });
        fs.closeSync(fd);
        return { out: r.stdout, err: fs.readFileSync(f, "utf8"), status: r.status };
      };
      const n = run([exe]);
      const e = run([process.execPath, CLI, exe]);
      fs.rmSync(path.dirname(f), { recursive: true });
      expect(n.out).toContain("fd 2: isatty 0 fstat 0 reg");
      expect(e).toEqual(n);
    });
  });
}

const HAS_PYTHON = spawnSync("sh", ["-c", "command -v python3"]).status === 0;
if (!HAS_PYTHON) console.log("SIGWINCH tests skipped: python3 (which makes the pty and resizes it) is not installed");

/** Run a command on a pty that test/helpers/pty-resize.py resizes at each "ready" line. */
function resized(cmd: string[]): { out: string; status: number | null } {
  const r = spawnSync("python3", [path.join(ROOT, "test/helpers/pty-resize.py"), ...cmd], { encoding: "utf8", timeout: 60000 });
  return { out: r.stdout, status: r.status };
}

for (const libc of ["glibc", "musl"]) {
  const exe = path.join(ROOT, "fixtures/bin", libc, "winch");
  it.skipIf(!IS_X86_64_LINUX || !HAS_PYTHON || !fs.existsSync(exe))(`a resized terminal sends SIGWINCH to the foreground group and TIOCGWINSZ follows (${libc})`, () => {
    const n = resized([exe]);
    const e = resized([process.execPath, CLI, exe]);
    expect(n.out).toContain("parent: SIGWINCH 1");
    expect(e.out).toBe(n.out);
    expect(e.status).toBe(n.status);
  });
}
