#!/usr/bin/env node
// Browser bundle of the library (src/index.ts) -> examples/web/x64emu.js (ES module).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [path.join(root, "src/index.ts")],
  outfile: path.join(root, "examples/web/x64emu.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: false,
  minify: false,
  alias: { assert: path.join(root, "scripts/shims/assert.cjs"), util: path.join(root, "scripts/shims/util.cjs") },
  logLevel: "warning",
});
console.log("built examples/web/x64emu.js");
