/**
 * errno fidelity: a table of system calls with bad pointers, fds, flags and lengths
 * (test/errno/errno.c, raw syscall()) runs natively and under x64emu; every line
 * (result and errno) must be the same. Also: getrandom in pieces through the
 * in-memory host, and death by SIGPIPE.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Emulator, MemoryHost } from "../src/index.js";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, tmpDir } from "./helpers/asm.js";

const CC = ["musl-gcc", "gcc"].find((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
const CAN = IS_X86_64_LINUX && CC !== undefined;
if (!CAN) console.log("errno table skipped: needs an x86-64 Linux host with musl-gcc or gcc for the native comparison");

function build(name: string, source: string): string {
  const dir = tmpDir();
  const src = path.join(dir, `${name}.c`);
  const exe = path.join(dir, name);
  fs.writeFileSync(src, source);
  execFileSync(CC!, ["-static", "-O1", "-o", exe, src]);
  return exe;
}

describe.skipIf(!CAN)("errno table against native Linux", () => {
  for (const flags of [[], ["--no-jit"]]) {
    it(`every case gives the native result and errno ${flags.join(" ")}`, () => {
      const exe = build("errno", fs.readFileSync(path.join(ROOT, "test/errno/errno.c"), "utf8"));
      const scratch = fs.mkdtempSync(path.join(tmpDir(), "scratch-"));
      const nat = runNative(exe, [scratch]);
      const emu = runEmu([...flags, exe, scratch]);
      fs.rmSync(scratch, { recursive: true, force: true });
      expect(nat.status).toBe(0);
      expect(emu.stderr).toBe("");
      const a = nat.stdout.split("\n");
      const b = emu.stdout.split("\n");
      expect(a.length).toBeGreaterThan(60);
      for (let j = 0; j < a.length; j++) expect(b[j], `line ${j + 1}`).toBe(a[j]);
    });
  }

  it("a blocking 40 MiB write to a pipe writes all of it, as natively (was cut at 16 MiB)", () => {
    const exe = build(
      "pipebig",
      `#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n#include <sys/wait.h>\n` +
        `int main(void) { int p[2]; pipe(p); size_t n = 40 << 20; char *b = malloc(n); memset(b, 'z', n);\n` +
        `  if (fork() == 0) { close(p[1]); long t = 0, r; static char buf[65536]; while ((r = read(p[0], buf, sizeof buf)) > 0) t += r; printf("child read %ld\\n", t); return 0; }\n` +
        `  close(p[0]); long w = write(p[1], b, n); printf("write returned %ld\\n", w); fflush(stdout); close(p[1]); wait(0); return 0; }\n`,
    );
    const nat = runNative(exe);
    const emu = runEmu([exe]);
    expect(nat.stdout).toBe("write returned 41943040\nchild read 41943040\n");
    expect(emu.stdout).toBe(nat.stdout);
  });

  it("a write to a pipe without readers kills by SIGPIPE, as natively (shell status 141)", () => {
    const exe = build("sigpipe", `#include <unistd.h>\nint main(void) { int p[2]; pipe(p); close(p[0]); write(p[1], "x", 1); return 3; }\n`);
    const nat = runNative(exe);
    const emu = runEmu([exe]);
    expect(nat.signal).toBe("SIGPIPE");
    expect(emu.signal).toBe("SIGPIPE");
  });
});

describe("getrandom", () => {
  // lea rdi,[rsp-0x30000]; mov esi,N; mov edx,FLAGS; mov eax,318; syscall; mov edi,eax; mov eax,60; syscall
  function run(n: number, flags: number): number {
    const le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    const code = Uint8Array.from([0x48, 0x8d, 0xbc, 0x24, 0x00, 0x00, 0xfd, 0xff, 0xbe, ...le(n), 0xba, ...le(flags), 0xb8, 0x3e, 0x01, 0, 0, 0x0f, 0x05, 0x48, 0x89, 0xc7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05]);
    let result = 0;
    const emu = Emulator.fromCode(code, { host: new MemoryHost(), stackSize: 1 << 20 });
    emu.onSyscall((nr, args) => {
      if (nr === 60) result = Number(BigInt.asIntN(64, args[0]));
      return undefined;
    });
    const r = emu.run();
    expect(r.kind).toBe("exit");
    return result;
  }
  it("fills more than Web Crypto's 64 KiB per call (in-memory host)", () => {
    expect(run(100000, 0)).toBe(100000);
    expect(run(0x30000, 0)).toBe(0x30000);
  });
  it("rejects unknown flags with EINVAL and returns the exact length", () => {
    expect(run(16, 8)).toBe(-22);
    expect(run(16, 6)).toBe(-22);
    expect(run(7, 1)).toBe(7);
  });
  it("fills up to the top of user space; a range past it is EFAULT before anything moves (access_ok)", () => {
    expect(run(0x30040, 0)).toBe(0x30040); // the stack ends at the top, 64 bytes above rsp
    expect(run(0x30041, 0)).toBe(-14); // natively too (errno.c: "getrandom across the top")
  });
});
