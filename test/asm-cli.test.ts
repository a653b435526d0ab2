/**
 * `x64emu prog.s` and `x64emu --assemble prog.s -o prog` through the real
 * CLI, compared with the same source built natively by as + ld and run on
 * this machine (exit status, output, argv, getpid, kill of a real process,
 * the crash off the end of .text), and with the committed fixture binaries
 * where as/ld are missing.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HAS_AS, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

const SRC = path.join(ROOT, "fixtures/src");
const src = (n: string) => path.join(SRC, `${n}.s`);
const NATIVE = HAS_AS && IS_X86_64_LINUX;

/** The program as + ld build from the source (or the committed build when the tools are missing). */
function nativeBuild(name: string, file = src(name)): string {
  if (!HAS_AS) return path.join(ROOT, "fixtures/bin", name);
  const dir = tmpDir();
  const o = path.join(dir, `${name}.native.o`), exe = path.join(dir, `${name}.native`);
  execFileSync("as", ["--64", "-I", path.dirname(file), "-o", o, file]);
  execFileSync("ld", ["-static", "--build-id=none", "-o", exe, o]);
  return exe;
}

function write(name: string, text: string): string {
  const p = path.join(tmpDir(), name);
  fs.writeFileSync(p, text);
  return p;
}

afterAll(() => fs.rmSync(tmpDir(), { recursive: true, force: true }));

describe("running assembly source", () => {
  for (const [name, status] of [
    ["false", 1],
    ["true", 0],
    ["hello", 0],
    ["runoff", 139],
    ["nullread", 139],
    ["divzero", 136],
    ["ud2", 132],
    ["int3", 133],
    ["hlt", 139],
    ["writero", 139],
    ["selfkill", 143],
  ] as const) {
    it(`${name}.s: exit status ${status} and output as the binary as + ld build`, () => {
      const r = runEmu([src(name)]);
      expect(shellStatus(r)).toBe(status);
      // the same program built by as + ld, under the emulator: same stdout and the same fault line (addresses, symbols)
      const b = runEmu([nativeBuild(name)]);
      expect(r.stdout).toBe(b.stdout);
      expect(r.stderr).toBe(b.stderr);
      if (NATIVE) {
        const n = runNative(nativeBuild(name));
        expect(shellStatus(n)).toBe(status);
        expect(r.stdout).toBe(n.stdout);
      }
    });
  }

  it("runoff.s: the crash off the end of .text names the address and symbol", () => {
    const r = runEmu([src("runoff")]);
    expect(r.stderr).toMatch(/^x64emu: SIGSEGV at 0x401003 \(_start\+3\): add byte ptr \[rax\], al/);
  });

  it("getpid.s prints the emulator's pid", () => {
    const r = runEmu([src("getpid")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${r.pid}\n`);
  });

  it("argv.s sees the arguments and environment as the native build does", () => {
    const args = ["one", "-x", "two words", ""];
    const env = { ...process.env, X64EMU_LESSON: "1" };
    const r = runEmu([src("argv"), ...args], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("argv[1]=one\n");
    if (NATIVE) {
      const n = runNative(nativeBuild("argv"), args, { env });
      expect(r.stdout.split("\n").slice(2)).toEqual(n.stdout.split("\n").slice(2)); // argv[0] is the path as given
    }
  });

  it("kill.s kills a real process, and fails like the native build on a missing pid", async () => {
    const victim = spawn("sleep", ["30"]);
    const died = new Promise<string | null>((res) => victim.on("exit", (_c, sig) => res(sig)));
    const r = runEmu([src("kill"), String(victim.pid), "15"]);
    expect(r.status).toBe(0);
    expect(await died).toBe("SIGTERM");
    const bad = runEmu([src("kill"), "2147483000"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("kill: ESRCH\n");
    const usage = runEmu([src("kill")]);
    expect(usage.status).toBe(2);
    if (NATIVE) {
      const n = runNative(nativeBuild("kill"), ["2147483000"]);
      expect([n.status, n.stderr]).toEqual([bad.status, bad.stderr]);
    }
  });

  it("--trace and --strace name the program's symbols and calls", () => {
    const r = runEmu(["--trace", "--strace", src("hello")]);
    expect(r.stdout).toBe("Hello, world!\n");
    expect(r.stderr).toContain("_start");
    expect(r.stderr).toMatch(/write\(1, "Hello, world!\\n", 14\)\s+= 14\n/);
  });

  it(".include is found next to the including file, from any working directory", () => {
    const dir = tmpDir();
    const out = execFileSync(process.execPath, [path.join(ROOT, "dist/cli.js"), path.relative(dir, src("getpid"))], { cwd: dir, encoding: "utf8" });
    expect(out).toMatch(/^\d+\n$/);
  });

  it(".intel_syntax noprefix programs run as their native build", () => {
    const file = write(
      "intel.s",
      `# exit(7) after a loop, Intel syntax
	.intel_syntax noprefix
	.globl _start
	.text
_start:
	xor ebx, ebx          # counter (syscall clobbers rcx)
1:	add ebx, 1
	cmp ebx, 7
	jne 1b
	lea rsi, [rip + msg]
	mov edx, OFFSET len
	mov edi, 1
	mov eax, 1
	syscall
	mov edi, ebx
	mov eax, 60
	syscall
	.section .rodata
msg:	.ascii "intel\\n"
	.set len, . - msg
`,
    );
    const r = runEmu([file]);
    expect([shellStatus(r), r.stdout]).toEqual([7, "intel\n"]);
    if (NATIVE) {
      const n = runNative(nativeBuild("intel", file));
      expect([shellStatus(n), n.stdout]).toEqual([7, "intel\n"]);
    }
  });

  it("data, bss, alignment and .quad pointers land where ld puts them", () => {
    const file = write(
      "layout.s",
      `	.globl _start
	.text
_start:
	mov	table+8(%rip), %rsi	# pointer to msg, stored in .data
	mov	$6, %edx
	mov	$1, %edi
	mov	$1, %eax
	syscall
	lea	buf(%rip), %rax
	test	$63, %al		# buf is 64-byte aligned
	jnz	bad
	movq	$42, (%rax)
	mov	(%rax), %rdi
	mov	$60, %eax
	syscall
bad:	mov	$60, %eax
	mov	$99, %edi
	syscall
	.data
	.byte 1
	.p2align 3
table:	.quad 0, msg
	.section .rodata
msg:	.string "data!"
	.byte 10
	.bss
	.balign 64
buf:	.zero 128
`,
    );
    const r = runEmu([file]);
    expect([shellStatus(r), r.stdout]).toEqual([42, "data!\0"]);
    if (NATIVE) {
      const n = runNative(nativeBuild("layout", file));
      expect([shellStatus(n), n.stdout]).toEqual([42, "data!\0"]);
    }
  });

  it("assembly errors: file:line: message, exit status 2, no stack trace", () => {
    const file = write("bad.s", ".globl _start\n_start:\n\tmov $60, %eax\n\tfrobnicate %eax\n\tjmp nowhere\n");
    const r = runEmu([file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${file}:4: Unknown opcode: \`frobnicate %eax'\n`);
    const undef = runEmu([write("undef.s", ".globl _start\n_start:\n\tcall nowhere\n")]);
    expect(undef.status).toBe(2);
    expect(undef.stderr).toMatch(/undef\.s:3: undefined reference to `nowhere'\n$/);
    const inc = runEmu([write("inc.s", '\t.include "missing.inc"\n')]);
    expect(inc.status).toBe(2);
    expect(inc.stderr).toMatch(/inc\.s:1: can't open missing\.inc for reading/);
    expect(r.stderr + undef.stderr + inc.stderr).not.toMatch(/\n\s+at /);
  });

  it("a program without .globl _start starts at .text with ld's warning", () => {
    const r = runEmu([write("nostart.s", "\tmov $60, %eax\n\tmov $3, %edi\n\tsyscall\n")]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("cannot find entry symbol _start; defaulting to 0x401000");
  });
});

describe("--assemble FILE -o OUT", () => {
  it("writes an executable that runs (natively, too) and matches as + ld in its code and data", () => {
    const out = path.join(tmpDir(), "hello.out");
    const r = runEmu(["--assemble", src("hello"), "-o", out]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(fs.statSync(out).mode & 0o111).not.toBe(0);
    expect(runEmu([out]).stdout).toBe("Hello, world!\n");
    if (NATIVE) expect(runNative(out).stdout).toBe("Hello, world!\n");
    if (HAS_AS) {
      // byte for byte: the loadable part of the file equals ld's output
      const ours = fs.readFileSync(out), ref = fs.readFileSync(nativeBuild("hello"));
      expect(ours.subarray(0x1000, 0x2000 + 14).equals(ref.subarray(0x1000, 0x2000 + 14))).toBe(true);
    }
  });

  it("reports errors the same way, and writes nothing", () => {
    const out = path.join(tmpDir(), "bad.out");
    const r = runEmu(["--assemble", write("bad2.s", "\tpush %eax\n"), "-o", out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad2\.s:1: .+/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
