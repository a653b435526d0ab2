/** The README's syscall list is generated from the syscall table and must not drift. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";

it("README lists exactly the implemented syscalls (scripts/gen-syscall-doc.mjs)", () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/gen-syscall-doc.mjs"), "--check"], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});
