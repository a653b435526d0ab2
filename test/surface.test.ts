/**
 * The syscall surface real programs use, one fixture program per family
 * (fixtures/c/*.c, static musl and glibc builds), run natively and under
 * x64emu in fresh temporary directories: same stdout, stderr and status.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT } from "./helpers/asm.js";

function run(argv: string[], emulated: boolean) {
  const dir = fs.mkdtempSync("/tmp/x64emu-surface-");
  try {
    const [cmd, args] = emulated ? [process.execPath, [CLI, ...argv, dir]] : [argv[0], [...argv.slice(1), dir]];
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120000, env: { ...process.env, PROCSELF_TEST: "here" } });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const FIXTURES = ["fsext", "procself", "procinfo", "polls", "events", "epollet", "mmapfile", "mmcoherent", "itimer", "cputimers", "cpuclocks", "requeuepi", "sigwaittimers", "getdents"];

for (const libc of ["glibc", "musl"]) {
  describe.skipIf(!IS_X86_64_LINUX)(`syscall surface (${libc})`, () => {
    for (const name of FIXTURES) {
      const exe = path.join(ROOT, "fixtures/bin", libc, name);
      it.skipIf(!fs.existsSync(exe))(`fixtures/c/${name}.c`, () => {
        const n = run([exe], false);
        expect(n.status).toBe(0);
        expect(run([exe], true)).toEqual(n);
      });
    }
  });
}
