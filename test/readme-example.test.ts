/** The README's library example runs as written (against the built package). */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT, tmpDir } from "./helpers/asm.js";

it("the README example runs and prints what it says", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const m = /<!-- example:begin -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  expect(m, "README example block").not.toBeNull();
  const code = m![1].replace(/from "x64emu"/g, `from ${JSON.stringify(path.join(ROOT, "dist/index.js"))}`);
  const file = path.join(tmpDir(), "readme-example.mjs");
  fs.writeFileSync(file, code);
  const out = execFileSync(process.execPath, [file], { cwd: ROOT, encoding: "utf8" });
  const expected = [...m![1].matchAll(/\/\/ (\S+)/g)].map((x) => x[1]);
  expect(out.trim().split("\n")).toEqual(expected);
});
