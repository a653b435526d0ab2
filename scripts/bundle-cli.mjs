#!/usr/bin/env node
// One-file CLI for fast start-up: the CLI and everything it imports bundled into
// dist/x64emu-bundle.cjs (one CommonJS file loads faster than ~60 ES modules),
// started by the launcher dist/x64emu.cjs, which hands V8 a code cache made here
// (dist/x64emu-bundle.cjs.cache) so that start-up does not parse and compile the
// bundle again. A cache V8 rejects (another Node version) is simply not used.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
await build({
  entryPoints: [path.join(root, "src/cli.ts")],
  outfile: path.join(dist, "x64emu-bundle.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  banner: { js: "const __x64emu_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { "import.meta.url": "__x64emu_url" },
  logLevel: "warning",
});

const launcher = `#!/usr/bin/env node
"use strict";
// x64emu launcher: runs x64emu-bundle.cjs with the V8 code cache made at build time.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");
const file = path.join(__dirname, "x64emu-bundle.cjs");
const cacheFile = file + ".cache";
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
if (process.env.X64EMU_MAKE_CODE_CACHE === "1") process.on("exit", () => fs.writeFileSync(cacheFile, script.createCachedData()));
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, __dirname);
`;
const bin = path.join(dist, "x64emu.cjs");
writeFileSync(bin, launcher);
chmodSync(bin, 0o755);
rmSync(path.join(dist, "x64emu.mjs"), { force: true });

// the code cache: run a small program once, so the functions start-up needs are compiled and cached
rmSync(path.join(dist, "x64emu-bundle.cjs.cache"), { force: true });
const r = spawnSync(process.execPath, [bin, path.join(root, "fixtures/bin/hello")], { env: { ...process.env, X64EMU_MAKE_CODE_CACHE: "1" }, stdio: "ignore" });
if (r.status !== 0) console.warn("bundle-cli: could not make the code cache (start-up will compile the bundle)");
