/**
 * The command line: usage errors (one line, status 2), qemu-user's option
 * spellings and X64EMU_* environment variables, --binfmt, and the launcher's
 * code cache, which must never break the command.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError } from "../src/cli/options.js";
import { CLI, ROOT, runEmu, tmpDir } from "./helpers/asm.js";

const bin = (n: string) => path.join(ROOT, "fixtures/bin", n);
/** The environment without X64EMU_* variables (the argv fixture prints those). */
const cleanEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("X64EMU_"))),
  ...extra,
});

describe("usage errors: one line and status 2", () => {
  for (const [args, re] of [
    [["--frobnicate", bin("true")], /^x64emu: unknown option '--frobnicate'/],
    [["-frobnicate", bin("true")], /^x64emu: unknown option '-frobnicate'/],
    [["--gdb"], /^x64emu: option '--gdb' needs an argument \(PORT\)/],
    [["--jit-threshold", "many", bin("true")], /^x64emu: --jit-threshold expects a whole number/],
    [["-s", "lots", bin("true")], /^x64emu: -s expects a size/],
    [["--strace=yes", bin("true")], /^x64emu: option '--strace' takes no argument/],
    [["-d", "bogus", bin("true")], /^x64emu: -d: unknown item 'bogus'/],
    [["--env", "NOEQUALS", bin("true")], /^x64emu: --env expects NAME=VALUE/],
    [["--cpu", "pentium9", bin("true")], /^x64emu: --cpu: unknown CPU model 'pentium9'/],
    [[], /^Usage: x64emu \[options\] PROGRAM/],
  ] as Array<[string[], RegExp]>) {
    it(`${args.join(" ") || "(nothing)"}`, () => {
      const r = runEmu(args, { env: cleanEnv() });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    });
  }

  it("an output file that cannot be created is one clear line, naming the option as given", () => {
    for (const args of [["--strace-file"], ["--trace-file"], ["-strace", "-D"], ["-d", "in_asm", "-D"]]) {
      const r = runEmu([...args, "/nonexistent/x", bin("true")]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`x64emu: ${args[args.length - 1]} /nonexistent/x: No such file or directory\n`);
    }
    const dir = tmpDir();
    const a = runEmu(["--assemble", path.join(ROOT, "fixtures/src/hello.s"), "-o", dir]);
    expect([a.status, a.stderr]).toEqual([2, `x64emu: -o ${dir}: Is a directory\n`]);
    const b = runEmu(["--assemble", path.join(ROOT, "fixtures/src")]);
    expect([b.status, b.stderr]).toEqual([2, `x64emu: ${path.join(ROOT, "fixtures/src")}: Is a directory\n`]);
    const c = runEmu(["--assemble", "/nonexistent.s"]);
    expect([c.status, c.stderr]).toEqual([2, "x64emu: /nonexistent.s: No such file or directory\n"]);
  });

  it("a --gdb port that cannot be listened on is one line", async () => {
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const port = (server.address() as { port: number }).port;
    try {
      const r = runEmu(["-g", String(port), bin("true")]);
      expect([r.status, r.stderr]).toEqual([2, `x64emu: -g ${port}: cannot listen on 127.0.0.1:${port}: Address already in use\n`]);
    } finally {
      server.close();
    }
  });

  it("a wrong value from an X64EMU_* variable names the variable", () => {
    const r = runEmu([bin("true")], { env: cleanEnv({ X64EMU_LD_PREFIX: "/nonexistent" }) });
    expect([r.status, r.stderr]).toEqual([2, "x64emu: X64EMU_LD_PREFIX: /nonexistent is not a directory (x64emu --help lists the options)\n"]);
    const g = runEmu([bin("true")], { env: cleanEnv({ X64EMU_GDB: "70000" }) });
    expect([g.status, g.stderr]).toEqual([2, "x64emu: X64EMU_GDB expects a TCP port number, got 70000 (x64emu --help lists the options)\n"]);
  });

  it("--help goes to stdout with status 0 and lists the qemu spellings", () => {
    const r = runEmu(["--help"]);
    expect(r.status).toBe(0);
    for (const o of ["-strace", "-L DIR", "-E NAME=VALUE", "-U NAME", "-0 NAME", "-g PORT", "-cpu MODEL", "-s SIZE", "-d ITEM", "-D FILE"]) expect(r.stdout).toContain(o);
    expect(runEmu(["-h"]).stdout).toBe(r.stdout);
  });
});

describe("qemu-user options and X64EMU_* variables", () => {
  it("-0 sets argv[0], -E and -U edit the environment; PROGRAM's own options are left alone", () => {
    const r = runEmu(["-0", "zero", "-E", "X64EMU_A=1", "-E", "X64EMU_B=2", "-U", "X64EMU_C", bin("argv"), "-E", "x"], { env: cleanEnv({ X64EMU_C: "3" }) });
    expect(r.stdout).toBe("argc=3\nargv[0]=zero\nargv[1]=-E\nargv[2]=x\nenv=X64EMU_A=1\nenv=X64EMU_B=2\n");
    expect(r.status).toBe(0);
  });

  it("-E and -U take comma-separated lists as qemu-x86_64's do (--env takes one variable, commas included)", () => {
    const args = ["-0", "zero", "-E", "X64EMU_A=1,X64EMU_B=2", "-U", "X64EMU_C,X64EMU_D", bin("argv")];
    const env = cleanEnv({ X64EMU_C: "3", X64EMU_D: "4", X64EMU_E: "5" });
    const r = runEmu(args, { env });
    expect(r.stdout).toBe("argc=1\nargv[0]=zero\nenv=X64EMU_E=5\nenv=X64EMU_A=1\nenv=X64EMU_B=2\n");
    const q = spawnSync("qemu-x86_64", args, { encoding: "utf8", env });
    if (q.error) console.log("qemu-x86_64 comparison skipped: qemu-user is not installed");
    else expect(r.stdout.split("\n").sort()).toEqual(q.stdout.split("\n").sort()); // qemu orders the environment its own way
    expect(runEmu(["--env", "X64EMU_A=1,2", bin("argv")], { env: cleanEnv() }).stdout).toContain("env=X64EMU_A=1,2\n");
  });

  it("-strace and X64EMU_STRACE turn the trace on; -D sends it to a file", () => {
    expect(runEmu(["-strace", bin("false")]).stderr).toMatch(/^exit\(1\) += \?$/m);
    expect(runEmu([bin("false")], { env: cleanEnv({ X64EMU_STRACE: "1" }) }).stderr).toMatch(/^exit\(1\) += \?$/m);
    expect(runEmu([bin("false")], { env: cleanEnv({ X64EMU_STRACE: "0" }) }).stderr).toBe("");
    const log = path.join(tmpDir(), "qemu.log");
    const r = runEmu(["-d", "strace", "-D", log, bin("false")]);
    expect(r.stderr).toBe("");
    expect(fs.readFileSync(log, "utf8")).toMatch(/^exit\(1\) += \?$/m);
  });

  it("-d in_asm traces instructions; -d help lists the items as qemu does", () => {
    const r = runEmu(["-d", "in_asm", "--trace-limit", "1", bin("true")]);
    expect(r.stderr).toMatch(/^0x401000 <_start>: /);
    const h = runEmu(["-d", "help"]);
    expect([h.status, h.stderr]).toEqual([0, ""]);
    expect(h.stdout).toMatch(/^Log items \(comma separated\):\nin_asm +each executed instruction/);
    expect(h.stdout.trimEnd().split("\n").map((l) => l.split(" ")[0])).toEqual(["Log", "in_asm", "exec", "cpu", "strace"]);
  });

  it("-cpu help lists the models; -cpu max and X64EMU_CPU=max run", () => {
    const h = runEmu(["-cpu", "help"]);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/max/);
    expect(runEmu(["-cpu", "max", bin("true")]).status).toBe(0);
    expect(runEmu([bin("true")], { env: cleanEnv({ X64EMU_CPU: "max" }) }).status).toBe(0);
    // the command line wins over the environment
    expect(runEmu(["-cpu", "max", bin("true")], { env: cleanEnv({ X64EMU_CPU: "nonsense" }) }).status).toBe(0);
  });

  it("-s sets the stack size: 12 MiB below the top faults with the default 8 MiB, not with -s 16M", async () => {
    const { assemble, HAS_AS } = await import("./helpers/asm.js");
    if (!HAS_AS) return console.log("skipped: as/ld not installed");
    const prog = assemble("deepstack", ".globl _start\n_start:\n  sub $0xc00000, %rsp\n  movq $1, (%rsp)\n  mov $60, %eax\n  xor %edi, %edi\n  syscall\n");
    const small = runEmu([prog]);
    expect(small.signal).toBe("SIGSEGV");
    const big = runEmu(["-s", "16M", prog]);
    expect(big.status).toBe(0);
    expect(runEmu([prog], { env: cleanEnv({ X64EMU_STACK_SIZE: "16M" }) }).status).toBe(0);
  });

  it("-L and X64EMU_LD_PREFIX look absolute paths up under the sysroot first, then /", () => {
    const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
    if (!busybox) return console.log("skipped: busybox is not installed (Debian package busybox-static)");
    const sysroot = fs.mkdtempSync(path.join(tmpDir(), "sysroot-"));
    fs.mkdirSync(path.join(sysroot, "etc"));
    fs.writeFileSync(path.join(sysroot, "etc/x64emu-probe"), "from the sysroot\n");
    const cat = [busybox, "cat", "/etc/x64emu-probe", "/etc/hostname"];
    const host = fs.readFileSync("/etc/hostname", "utf8");
    expect(runEmu(["-L", sysroot, ...cat]).stdout).toBe("from the sysroot\n" + host);
    expect(runEmu(cat, { env: cleanEnv({ X64EMU_LD_PREFIX: sysroot }) }).stdout).toBe("from the sysroot\n" + host);
  });

  it("-g and X64EMU_GDB wait for gdb before the first instruction", async () => {
    for (const [args, env] of [[["-g", "0"], {}], [[], { X64EMU_GDB: "0" }]] as const) {
      const p = spawn(process.execPath, [CLI, ...args, bin("true")], { env: cleanEnv(env), stdio: ["ignore", "ignore", "pipe"] });
      const line = await new Promise<string>((res) => p.stderr.once("data", (d: Buffer) => res(d.toString())));
      p.kill();
      expect(line).toMatch(/^x64emu: waiting for gdb on 127\.0\.0\.1:\d+\n$/);
    }
  });

  it("parses the spellings into the same options", () => {
    const a = parseCommandLine(["-g", "1234", "-L", "/sysroot", "-s", "16M", "-cpu", "max", "prog", "-g"]);
    const b = parseCommandLine(["--gdb=1234", "--sysroot", "/sysroot", "--stack-size", "16777216", "--cpu=max", "prog", "-g"]);
    expect(a.opts).toEqual(b.opts);
    expect(a.rest).toEqual(b.rest);
    // messages name an option as it was given
    expect(a.given).toEqual({ gdb: "-g", sysroot: "-L", stackSize: "-s", cpu: "-cpu" });
    expect(b.given).toEqual({ gdb: "--gdb", sysroot: "--sysroot", stackSize: "--stack-size", cpu: "--cpu" });
    expect(parseCommandLine(["prog"], { X64EMU_LD_PREFIX: "/r" }).given).toEqual({ sysroot: "X64EMU_LD_PREFIX" });
    expect(parseCommandLine(["-d", "strace", "-D", "/l", "prog"]).given).toMatchObject({ straceFile: "-D", logFile: "-D" });
    expect(a.opts).toMatchObject({ gdb: 1234, sysroot: "/sysroot", stackSize: 16 << 20, cpu: "max" });
    expect(a.rest).toEqual(["prog", "-g"]);
    expect(parseCommandLine(["prog"], { X64EMU_GDB: "99", X64EMU_LD_PREFIX: "/r" }).opts).toMatchObject({ gdb: 99, sysroot: "/r" });
    expect(parseCommandLine(["--", "-prog"]).rest).toEqual(["-prog"]);
    expect(() => parseCommandLine(["--install"])).toThrow(UsageError);
  });
});

describe("temporary files", () => {
  /** x64emu --gdb-stdio PROG, sent one gdb packet after each reply (as gdb does); resolves with the signal it died of. */
  function gdbSession(prog: string, packets: string[], tmp: string): Promise<NodeJS.Signals | null> {
    const p = spawn(process.execPath, [CLI, "--gdb-stdio", prog], { env: cleanEnv({ TMPDIR: tmp }), stdio: ["pipe", "pipe", "ignore"] });
    const next = () => p.stdin.write(packets.shift() ?? "");
    p.stdout.on("data", (d: Buffer) => /#[0-9a-f]{2}/.test(d.toString()) && next());
    p.stdin.on("error", () => undefined);
    next();
    return new Promise((resolve) => p.on("exit", (_code, signal) => resolve(signal)));
  }

  it("the executable an assembled program hands gdb is removed, also when gdb kills the program or it dies of a signal", async () => {
    const src = path.join(tmpDir(), "ud.s");
    fs.writeFileSync(src, ".globl _start\n_start: ud2\n");
    for (const [prog, packets, signal] of [
      [src, ["$?#3f", "+$c#63", "+$C04#a7"], "SIGILL"], // stopped by the SIGILL, then continued with it: dies of it
      [path.join(ROOT, "fixtures/src/getpid.s"), ["$?#3f", "+$k#6b"], "SIGKILL"],
    ] as const) {
      const tmp = fs.mkdtempSync(path.join(tmpDir(), "run-"));
      expect(await gdbSession(prog, [...packets], tmp)).toBe(signal);
      expect(fs.readdirSync(tmp)).toEqual([]);
    }
  });
});

describe("--binfmt", () => {
  it("prints the binfmt_misc line for x86-64 ELF executables, naming the launcher", () => {
    const r = runEmu(["--binfmt"]);
    expect(r.status).toBe(0);
    const f = r.stdout.trimEnd().split(":");
    expect(f[1]).toBe("x64emu");
    expect(f[2]).toBe("M");
    expect(f[4]).toBe("\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x00");
    expect(f[6]).toBe(path.join(ROOT, "dist/x64emu.cjs"));
  });

  it("--install refuses on an x86-64 machine (it would capture every native program)", () => {
    if (process.arch !== "x64") return console.log("skipped: not an x86-64 host");
    const r = runEmu(["--binfmt", "--install"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/runs x86-64 programs natively/);
  });
});

describe("the launcher's code cache never breaks the command", () => {
  /** A copy of the installed command in a temporary package directory. */
  function install(): { dir: string; launcher: string; cache: string } {
    const dir = fs.mkdtempSync(path.join(tmpDir(), "pkg-"));
    fs.mkdirSync(path.join(dir, "dist"));
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    for (const f of ["x64emu.cjs", "x64emu-bundle.cjs"]) fs.copyFileSync(path.join(ROOT, "dist", f), path.join(dir, "dist", f));
    return { dir, launcher: path.join(dir, "dist/x64emu.cjs"), cache: path.join(dir, "dist/x64emu-bundle.cjs.cache") };
  }
  const run = (launcher: string) => spawnSync(process.execPath, [launcher, bin("hello")], { encoding: "utf8", timeout: 60000 });
  const header = (cache: string) => fs.readFileSync(cache).subarray(0, 200).toString("latin1").split("\n")[0];

  // the key's fields: x64emu-code-cache/1|node|v8|platform|arch|execArgv|NODE_OPTIONS|bundle length|bundle hash
  for (const [what, field, value] of [
    ["another Node with the same V8 (the case that crashed)", 1, "20.18.0"],
    ["other Node flags", 5, "--no-opt"],
    ["another bundle of the same length (V8 compares only the length)", 8, "0123456789abcdef"],
  ] as const) {
    it(`a cache made for ${what} is not used, and is replaced by one for this Node`, () => {
      const { launcher, cache } = install();
      const good = fs.readFileSync(path.join(ROOT, "dist/x64emu-bundle.cjs.cache"));
      const nl = good.indexOf(10);
      const fields = good.subarray(0, nl).toString("latin1").split("\t");
      const parts = fields[0].split("|");
      expect(parts).toHaveLength(9);
      parts[field] = value;
      // V8 would take this data (it is this V8's, with a valid length and checksum): only the key refuses it
      fs.writeFileSync(cache, Buffer.concat([Buffer.from([parts.join("|"), ...fields.slice(1)].join("\t") + "\n", "latin1"), good.subarray(nl + 1)]));
      const r = run(launcher);
      expect(r.stdout).toBe("Hello, world!\n");
      expect(r.status).toBe(0);
      expect(header(cache).split("\t")[0]).toBe(fields[0]); // rebuilt lazily for this Node and bundle
      expect(run(launcher).stdout).toBe("Hello, world!\n");
    });
  }

  it("a truncated, corrupted or missing cache is ignored", () => {
    const { launcher, cache } = install();
    const good = fs.readFileSync(path.join(ROOT, "dist/x64emu-bundle.cjs.cache"));
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length >> 1] ^= 0xff;
    for (const data of [good.subarray(0, good.length >> 1), corrupt, Buffer.from("garbage"), Buffer.alloc(0)]) {
      fs.writeFileSync(cache, data);
      const r = run(launcher);
      expect(r.stdout).toBe("Hello, world!\n");
      expect(r.stderr).toBe("");
    }
    fs.rmSync(cache);
    expect(run(launcher).stdout).toBe("Hello, world!\n");
    expect(fs.existsSync(cache)).toBe(true);
  });

  it("a read-only package directory runs without a cache", () => {
    if (process.getuid?.() === 0) return console.log("skipped: running as root, a read-only directory is still writable");
    const { dir, launcher, cache } = install();
    fs.chmodSync(path.join(dir, "dist"), 0o555);
    try {
      const r = run(launcher);
      expect(r.stdout).toBe("Hello, world!\n");
      expect(r.stderr).toBe("");
      expect(fs.existsSync(cache)).toBe(false);
    } finally {
      fs.chmodSync(path.join(dir, "dist"), 0o755);
    }
  });
});
