/**
 * The main entry point stays browser-safe: nothing reachable from
 * src/index.ts imports node:* (or a bare Node built-in) or uses the global
 * Buffer. (The browser test checks the real bundle in Chromium; this check
 * runs everywhere.)
 */
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "./helpers/asm.js";

/** Packages the core may import (the loader's `buffer` is the npm package in bundles). */
const ALLOWED = new Set(["elfy", "long", "buffer"]);

it("nothing reachable from src/index.ts uses Node built-ins or the global Buffer", () => {
  const seen = new Set<string>();
  const problems: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(file, "utf8");
    const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+"([^"]+)"|import\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]);
    for (const spec of specs) {
      if (spec.startsWith(".")) {
        const ts = path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts"));
        if (fs.existsSync(ts)) visit(ts);
        else problems.push(`${path.relative(ROOT, file)}: cannot resolve ${spec}`);
      } else if (spec.startsWith("node:") || (builtinModules.includes(spec) && !ALLOWED.has(spec))) {
        problems.push(`${path.relative(ROOT, file)}: imports ${spec}`);
      } else if (!ALLOWED.has(spec)) problems.push(`${path.relative(ROOT, file)}: imports package ${spec}`);
    }
    const code = src.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const importsBuffer = /import\s*\{\s*Buffer\s*\}\s*from\s*"buffer"/.test(src); // the npm package in bundles
    if ((!importsBuffer && /(?<![\w.])Buffer\./.test(code)) || /\bprocess\.(env|argv|exit|stdout|stderr|pid)\b/.test(code)) problems.push(`${path.relative(ROOT, file)}: uses a Node global`);
  };
  visit(path.join(ROOT, "src/index.ts"));
  expect(seen.size).toBeGreaterThan(20);
  expect(problems).toEqual([]);
});
