/**
 * maskmovq, maskmovdqu and vmaskmovdqu (byte-masked stores to [rdi]):
 * fixtures/c/maskmov.c (musl and glibc builds) under every tier against its
 * recorded output, and natively where that output was recorded.
 *
 * Which masked-off bytes may fault is left to the implementation by the SDM.
 * The recorded output is an Intel Xeon's (the whole 8/16-byte destination
 * must be writable whatever the mask, the upper quadword is checked first, a
 * fault stores nothing; qemu-user stores byte by byte and does not fault for
 * an empty mask). AMD's behaviour there has not been measured: on other hosts
 * the program is compared with the record, not run natively.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus } from "./helpers/asm.js";
import { hostVendor } from "./isa-native.js";

const expected = fs.readFileSync(path.join(ROOT, "fixtures/expected/maskmov.out"), "utf8");
const hostIsRecorder = IS_X86_64_LINUX && hostVendor === "GenuineIntel" && /\bavx\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8"));

describe("maskmovq, maskmovdqu, vmaskmovdqu (fixtures/c/maskmov.c)", () => {
  it("the record covers data, the 0x67 form, registers kept and the fault cases", () => {
    expect(expected).toContain("addr32 maskmovdqu off");
    expect(expected).toContain("vmaskmovdqu keeps ymm1, ymm2: yes");
    expect(expected).toContain("vmaskmovdqu empty mask, unmapped page at P+4160: signal 11 code 1 at P+4168");
  });
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "maskmov");
    it.skipIf(!fs.existsSync(exe))(`${libc}: the recorded output in every tier${hostIsRecorder ? ", and natively" : " (not natively: the record is an Intel host's)"}`, () => {
      if (hostIsRecorder) expect(runNative(exe).stdout).toBe(expected);
      for (const tier of [[], ["--no-jit"], ["--jit-threshold", "0"]]) {
        const r = runEmu([...tier, exe]);
        expect(r.stdout, tier.join(" ")).toBe(expected);
        expect(shellStatus(r)).toBe(0);
      }
    }, 120_000);
  }
});
