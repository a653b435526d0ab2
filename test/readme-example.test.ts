/**
 * The README's library example runs as written (against the built package,
 * dist/: `npm test` builds first). The example is the ```js block between
 * `<!-- example:begin -->` and `<!-- example:end -->`; each `console.log(...)`
 * line with a trailing `// text` comment must print that text (a final
 * parenthetical remark, like "(two arguments on the stack)", is ignored).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT, tmpDir } from "./helpers/asm.js";

/** The example's code and the output its comments promise. */
export function readmeExample(readme: string): { code: string; expected: string[] } | null {
  const m = /<!-- example:begin -->\s*```js\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  if (!m) return null;
  const expected: string[] = [];
  for (const line of m[1].split("\n")) {
    const c = /console\.log\(.*\/\/ (.*)$/.exec(line);
    if (c) expected.push(c[1].replace(/\s+\([^()]*\)$/, "").trim());
  }
  return { code: m[1], expected };
}

it("the README example runs and prints what it says", () => {
  const file = process.env.X64EMU_README ?? path.join(ROOT, "README.md");
  const ex = readmeExample(fs.readFileSync(file, "utf8"));
  expect(ex, "README example block between <!-- example:begin --> and <!-- example:end -->").not.toBeNull();
  expect(fs.existsSync(path.join(ROOT, "dist/index.js")), "dist/index.js (run npm run build)").toBe(true);
  const code = ex!.code.replace(/from "x64emu"/g, `from ${JSON.stringify(path.join(ROOT, "dist/index.js"))}`);
  const script = path.join(tmpDir(), "readme-example.mjs");
  fs.writeFileSync(script, code);
  const out = execFileSync(process.execPath, [script], { cwd: ROOT, encoding: "utf8" });
  expect(ex!.expected.length).toBeGreaterThan(0);
  expect(out.trim().split("\n")).toEqual(ex!.expected);
});
