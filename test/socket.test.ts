/**
 * Sockets: AF_UNIX (socketpair, paths, abstract names, datagrams) and TCP/UDP
 * over loopback between forked guest tasks, compared with the native run
 * (fixtures/c/sockunix.c, socktcp.c).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

if (!IS_X86_64_LINUX) console.log("socket tests skipped: they compare with a native run (x86-64 Linux host needed)");

for (const libc of ["musl", "glibc"]) {
  describe.skipIf(!IS_X86_64_LINUX)(`sockets: ${libc}`, () => {
    for (const prog of ["sockunix", "socktcp"]) {
      const exe = path.join(ROOT, "fixtures/bin", libc, prog);
      it.skipIf(!fs.existsSync(exe))(prog, () => {
        const dir = fs.mkdtempSync(path.join(tmpDir(), `${prog}-`));
        const args = prog === "sockunix" ? [dir] : [];
        const n = runNative(exe, args);
        const e = runEmu([exe, ...args]);
        expect(e.stderr).toBe(n.stderr);
        expect(e.stdout).toBe(n.stdout);
        expect(shellStatus(e)).toBe(shellStatus(n));
      }, 60000);
    }
  });
}
