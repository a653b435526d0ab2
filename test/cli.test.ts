/**
 * End-to-end: the lesson's fixture programs through the real CLI process,
 * compared with what they do natively (where the host is x86-64 Linux) and
 * with the recorded native results in fixtures/expected/.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

const BIN = path.join(ROOT, "fixtures/bin");
const bin = (n: string) => path.join(BIN, n);

/** Status and stdout a fixture has natively: run it here, or use the recorded result. */
function native(name: string, args: string[] = []): { status: number; stdout: string | null } {
  if (IS_X86_64_LINUX) {
    const r = runNative(bin(name), args);
    return { status: shellStatus(r), stdout: r.stdout };
  }
  const status = Number(fs.readFileSync(path.join(ROOT, "fixtures/expected", `${name}.status`), "utf8"));
  const out = path.join(ROOT, "fixtures/expected", `${name}.out`);
  return { status, stdout: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : null };
}

describe("lesson programs through the CLI", () => {
  for (const [name, status] of [
    ["false", 1],
    ["true", 0],
    ["hello", 0],
  ] as const) {
    it(`${name} exits ${status} with the native output`, () => {
      const r = runEmu([bin(name)]);
      const n = native(name);
      expect(shellStatus(r)).toBe(status);
      expect(n.status).toBe(status);
      if (n.stdout !== null) expect(r.stdout).toBe(n.stdout);
      expect(r.stderr).toBe("");
    });
  }

  it("hello prints Hello, world!", () => {
    expect(runEmu([bin("hello")]).stdout).toBe("Hello, world!\n");
  });

  it("getpid prints the emulator process's own pid", () => {
    const r = runEmu([bin("getpid")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${r.pid}\n`);
  });

  it("argv passes arguments (including options after PROGRAM) and the environment", () => {
    const args = ["-v", "--help", "two words", ""];
    const env = { ...process.env, X64EMU_TEST: "yes" };
    const r = runEmu([bin("argv"), ...args], { env });
    expect(r.status).toBe(0);
    if (IS_X86_64_LINUX) {
      const n = runNative(bin("argv"), args, { env });
      expect(r.stdout.split("\n").slice(1)).toEqual(n.stdout.split("\n").slice(1)); // argv[0] differs: path as given
    }
    expect(r.stdout).toContain("argc=5");
    expect(r.stdout).toContain("argv[2]=--help");
    expect(r.stdout).toContain("argv[3]=two words");
    expect(r.stdout).toContain("env=X64EMU_TEST=yes");
  });

  it("--env and --clear-env shape the guest environment", () => {
    const r = runEmu(["--clear-env", "--env", "X64EMU_A=1", bin("argv")]);
    expect(r.stdout).toContain("env=X64EMU_A=1");
    expect(r.stdout).not.toContain("X64EMU_TEST");
  });

  it("selfkill dies by SIGTERM (143), like natively", () => {
    const r = runEmu([bin("selfkill")]);
    expect(r.signal).toBe("SIGTERM");
    expect(shellStatus(r)).toBe(native("selfkill").status);
    expect(shellStatus(r)).toBe(143);
  });

  it("kill terminates a real host process", async () => {
    const sleeper = spawn("sleep", ["30"]);
    const done = new Promise<NodeJS.Signals | null>((res) => sleeper.on("exit", (_c, s) => res(s)));
    const r = runEmu([bin("kill"), String(sleeper.pid)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(await done).toBe("SIGTERM");
  });

  it("kill with an explicit signal number", async () => {
    const sleeper = spawn("sleep", ["30"]);
    const done = new Promise<NodeJS.Signals | null>((res) => sleeper.on("exit", (_c, s) => res(s)));
    const r = runEmu([bin("kill"), String(sleeper.pid), "9"]);
    expect(r.status).toBe(0);
    expect(await done).toBe("SIGKILL");
  });

  it("kill of a pid that cannot exist fails with ESRCH", () => {
    const r = runEmu([bin("kill"), "4194304"]);
    const n = native("kill", ["4194304"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ESRCH");
    expect(shellStatus(r)).toBe(n.status);
  });

  it("kill with a bad signal fails with EINVAL", () => {
    const r = runEmu([bin("kill"), String(process.pid), "99"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("EINVAL");
  });

  it("kill without arguments prints its usage", () => {
    const r = runEmu([bin("kill")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage");
  });
});

describe("guest faults: one clear line, and death by the signal", () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ["nullread", "SIGSEGV", 139, /SIGSEGV at 0x[0-9a-f]+ \(_start\+\d+\): mov \w+, qword ptr \[rax\] — read of unmapped address 0x0/],
    ["ud2", "SIGILL", 132, /SIGILL at 0x[0-9a-f]+ \(_start(\+\d+)?\): ud2 — /],
    ["divzero", "SIGFPE", 136, /SIGFPE at 0x[0-9a-f]+ \(_start\+\d+\): idiv rcx — integer divide error/],
    ["runoff", "SIGSEGV", 139, /SIGSEGV at 0x[0-9a-f]+ .*add byte ptr \[rax\], al — (read|write) of unmapped address 0x0/],
    ["int3", "SIGTRAP", 133, /SIGTRAP at 0x[0-9a-f]+/],
    ["hlt", "SIGSEGV", 139, /SIGSEGV at 0x[0-9a-f]+ \(_start(\+\d+)?\): hlt — privileged instruction/],
  ];
  for (const [name, sig, status, re] of cases) {
    it(`${name}: ${sig} (${status})`, () => {
      if (!fs.existsSync(bin(name))) throw new Error(`fixture ${name} is missing: run fixtures/build.sh`);
      const r = runEmu([bin(name)]);
      expect(r.signal).toBe(sig);
      expect(shellStatus(r)).toBe(status);
      expect(native(name).status).toBe(status);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^x64emu: /);
      expect(lines[0]).toMatch(re);
    });
  }
});

describe("bad input: one clear line and a shell-like status", () => {
  const dir = tmpDir();
  const write = (n: string, b: Uint8Array | string) => {
    const p = path.join(dir, n);
    fs.writeFileSync(p, b);
    return p;
  };
  it("missing file -> 127", () => {
    const r = runEmu([path.join(dir, "does-not-exist")]);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^x64emu: .*does-not-exist: no such file\n$/);
  });
  it("a directory -> 126", () => {
    const r = runEmu([dir]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/is a directory\n$/);
  });
  it("a text file -> 126", () => {
    const r = runEmu([write("notes.txt", "echo hi\n")]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/^x64emu: .*not an ELF file \(bad magic number\)\n$/);
  });
  it.skipIf(!IS_X86_64_LINUX)("a #! script runs under its interpreter, as execve runs it (Debian's gunzip is one)", () => {
    const s = write("script.sh", '#!/bin/sh -e\necho "$0 [$*]"; false; echo not reached\n');
    fs.chmodSync(s, 0o755);
    const n = runNative(s, ["a b", "c"]);
    expect(n).toMatchObject({ stdout: `${s} [a b c]\n`, status: 1 });
    const e = runEmu([s, "a b", "c"]);
    expect({ stdout: e.stdout, stderr: e.stderr, status: e.status }).toEqual({ stdout: n.stdout, stderr: n.stderr, status: n.status });
  });
  it("a #! script whose interpreter is missing -> 127, one line", () => {
    const r = runEmu([write("bad.sh", "#!/no/such/interp\n")]);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^x64emu: .*bad\.sh: bad interpreter \/no\/such\/interp: no such file\n$/);
  });
  it("a truncated ELF -> 126", () => {
    const full = fs.readFileSync(bin("hello"));
    const r = runEmu([write("trunc", full.subarray(0, 100))]);
    expect(r.status).toBe(126);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(r.stderr).toMatch(/truncated ELF|past the end/);
  });
  it("a 32-bit ELF and an ARM ELF -> 126", () => {
    const full = Uint8Array.from(fs.readFileSync(bin("hello")));
    const b32 = Uint8Array.from(full);
    b32[4] = 1;
    expect(runEmu([write("elf32", b32)]).stderr).toMatch(/32-bit ELF/);
    const arm = Uint8Array.from(full);
    arm[18] = 183;
    arm[19] = 0;
    const r = runEmu([write("arm", arm)]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/AArch64, not x86-64/);
  });
  it("a dynamically linked program whose interpreter is missing -> clear message", () => {
    const has = spawnSync("sh", ["-c", "command -v gcc"]).status === 0;
    if (!has) return console.log("skipped: gcc not installed");
    const src = write("dyn.c", "int main(void){return 0;}\n");
    const exe = path.join(dir, "dyn");
    spawnSync("gcc", ["-o", exe, src]);
    const b = fs.readFileSync(exe);
    const at = b.indexOf("/lib64/ld-linux-x86-64.so.2");
    expect(at).toBeGreaterThan(0);
    b.write("/lib64/ld-missing-x86-64.so", at);
    const r = runEmu([write("dyn-missing", b)]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/cannot find its program interpreter \/lib64\/ld-missing-x86-64.so/);
    expect(r.stderr.split("\n").length).toBe(2);
  });
  it("no program -> usage and status 2", () => {
    const r = spawnSync(process.execPath, [CLI], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/Usage: x64emu/);
  });
  it("--version and --help", () => {
    expect(runEmu(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(runEmu(["--help"]).stdout).toMatch(/--strace/);
  });
});

describe("--strace", () => {
  it("prints each syscall in strace's format", () => {
    const r = runEmu(["--strace", bin("getpid")]);
    expect(r.stderr).toMatch(new RegExp(`^getpid\\(\\) += ${r.pid}$`, "m"));
    expect(r.stderr).toMatch(new RegExp(`^write\\(1, "${r.pid}", \\d+\\) += \\d+$`, "m"));
    expect(r.stderr).toMatch(/^write\(1, "\\n", 1\) += 1$/m);
    expect(r.stderr).toMatch(/^exit\(0\) += \?$/m);
  });
  it("shows false's exit(1)", () => {
    const r = runEmu(["--strace", bin("false")]);
    expect(r.stderr).toMatch(/^exit\(1\) += \?$/m);
    expect(r.status).toBe(1);
  });
  it("shows a failing kill with its errno", () => {
    const r = runEmu(["--strace", bin("kill"), "4194304"]);
    expect(r.stderr).toMatch(/^kill\(4194304, SIGTERM\) += -1 ESRCH \(No such process\)$/m);
  });
  it("--strace-file writes to a file", () => {
    const f = path.join(tmpDir(), "trace.txt");
    const r = runEmu(["--strace-file", f, bin("false")]);
    expect(r.stderr).toBe("");
    expect(fs.readFileSync(f, "utf8")).toMatch(/^exit\(1\) += \?$/m);
  });
});

describe("--strace decoding", () => {
  it("shows unknown syscalls as ENOSYS and flags by name", async () => {
    const { assemble, HAS_AS } = await import("./helpers/asm.js");
    if (!HAS_AS) return console.log("skipped: as/ld not installed");
    const prog = assemble(
      "strace-flags",
      `.globl _start
_start:
  mov $999, %eax
  syscall
  mov $9, %eax
  xor %edi, %edi
  mov $4096, %esi
  mov $3, %edx
  mov $0x22, %r10d
  mov $-1, %r8
  xor %r9d, %r9d
  syscall
  mov $60, %eax
  xor %edi, %edi
  syscall`,
    );
    const r = runEmu(["--strace", prog]);
    expect(r.stderr).toMatch(/^syscall_0x3e7\(0, 0, 0, 0, 0, 0\) += -1 ENOSYS \(Function not implemented\)$/m);
    expect(r.stderr).toMatch(/^mmap\(NULL, 4096, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) += 0x[0-9a-f]+$/m);
  });
});

describe("the installed command", () => {
  it("npx x64emu (the bundled bin) runs false and hello", () => {
    const bin = path.join(ROOT, "dist/x64emu.cjs");
    const f = spawnSync(bin, [path.join(ROOT, "fixtures/bin/false")], { encoding: "utf8" });
    expect(f.status).toBe(1);
    const h = spawnSync(bin, [path.join(ROOT, "fixtures/bin/hello")], { encoding: "utf8" });
    expect(h.stdout).toBe("Hello, world!\n");
    expect(h.status).toBe(0);
  });
});

describe("execution tiers through the CLI", () => {
  const sieve = path.join(ROOT, "bench/bin/sieve");
  const count = (stderr: string, what: string) => Number(new RegExp(`${what} (\\d+)`).exec(stderr)?.[1] ?? NaN);

  it("--stats reports where the instructions ran: hot code reaches the WebAssembly regions", () => {
    const r = runEmu(["--stats", sieve, "300000"]);
    expect(r.stdout).toBe("primes up to 300000: 25997\n");
    expect(count(r.stderr, "wasm regions")).toBeGreaterThan(1_000_000);
    expect(r.stderr).toMatch(/wasm regions compiled: [1-9]\d* of \d+ blocks/);
  });

  it("--no-wasm stops at the JavaScript blocks, --no-jit at the interpreter; the output is the same", () => {
    const js = runEmu(["--stats", "--no-wasm", sieve, "300000"]);
    expect(js.stdout).toBe("primes up to 300000: 25997\n");
    expect(count(js.stderr, "wasm regions")).toBe(0);
    expect(count(js.stderr, "js blocks")).toBeGreaterThan(1_000_000);
    const interp = runEmu(["--stats", "--no-jit", sieve, "300000"]);
    expect(interp.stdout).toBe(js.stdout);
    expect(count(interp.stderr, "js blocks")).toBe(0);
    expect(count(interp.stderr, "wasm regions")).toBe(0);
  });
});
