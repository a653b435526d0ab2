#!/usr/bin/env node
// One-file CLI for fast start-up: the CLI and everything it imports bundled into
// dist/x64emu-bundle.cjs (one CommonJS file loads faster than ~60 ES modules),
// started by the launcher dist/x64emu.cjs, which hands V8 a code cache
// (dist/x64emu-bundle.cjs.cache) so that start-up does not parse and compile the
// bundle again.
//
// The cache is only an optimisation and must never break the command: V8 trusts
// a cache that passes its own version check, and a cache from another Node build
// with the same V8 version can crash it. So the cache file starts with a header
// naming the exact Node and V8 versions, platform, architecture, Node flags and
// bundle (its length, and the hash of its contents, which this script writes
// into the launcher it makes with it) it was made for, plus the data's length
// and checksum; the
// launcher hands V8 the data only when all of them match, and otherwise runs
// without it and (where the directory is writable) writes a fresh cache at exit.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

// V8 itself only compares the source's length: a cache for another bundle of the same length would be taken
const bundleHash = createHash("sha256").update(readFileSync(path.join(dist, "x64emu-bundle.cjs"))).digest("hex").slice(0, 16);
const launcher = `#!/usr/bin/env node
"use strict";
// x64emu launcher: runs x64emu-bundle.cjs with a V8 code cache made by this very
// Node (see scripts/bundle-cli.mjs); a cache made for anything else is ignored.
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");
const file = path.join(__dirname, "x64emu-bundle.cjs");
const cacheFile = file + ".cache";
const source = fs.readFileSync(file, "utf8");
const v = process.versions;
const key = ["x64emu-code-cache/1", v.node, v.v8, process.platform, process.arch, process.execArgv.join(" "), process.env.NODE_OPTIONS || "", source.length, "${bundleHash}"].join("|");
function checksum(buf) {
  let h = 0x811c9dc5 | 0;
  const words = buf.length >>> 2;
  const view = new Int32Array(buf.buffer, buf.byteOffset, words);
  for (let i = 0; i < words; i++) h = Math.imul(h ^ view[i], 0x01000193);
  for (let i = words * 4; i < buf.length; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return (h >>> 0).toString(16);
}
let cachedData;
try {
  const raw = fs.readFileSync(cacheFile);
  const nl = raw.indexOf(10);
  if (nl > 0 && nl < 4096) {
    const [k, len, sum] = raw.subarray(0, nl).toString("latin1").split("\\t");
    // copy to an aligned buffer: the checksum reads 32-bit words
    const data = Buffer.from(raw.subarray(nl + 1));
    if (k === key && Number(len) === data.length && sum === checksum(data)) cachedData = data;
  }
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected || process.env.X64EMU_MAKE_CODE_CACHE === "1") {
  // made lazily at exit, so the functions start-up needs are compiled and included
  process.on("exit", () => {
    try {
      fs.accessSync(__dirname, fs.constants.W_OK); // a system-wide install: do not make a cache that cannot be kept
      const data = script.createCachedData();
      const tmp = cacheFile + "." + process.pid + ".tmp";
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(key + "\\t" + data.length + "\\t" + checksum(data) + "\\n", "latin1"), data]));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // not writable (a system-wide install): run without a cache
    }
  });
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, __dirname);
`;
const bin = path.join(dist, "x64emu.cjs");
writeFileSync(bin, launcher);
chmodSync(bin, 0o755);
rmSync(path.join(dist, "x64emu.mjs"), { force: true });
// the CommonJS build of the library (tsconfig.cjs.json) is CommonJS inside a "type": "module" package
writeFileSync(path.join(dist, "cjs/package.json"), '{ "type": "commonjs" }\n');

// the code cache: run a small program once, so the functions start-up needs are compiled and cached
rmSync(path.join(dist, "x64emu-bundle.cjs.cache"), { force: true });
const r = spawnSync(process.execPath, [bin, path.join(root, "fixtures/bin/hello")], { env: { ...process.env, X64EMU_MAKE_CODE_CACHE: "1" }, stdio: "ignore" });
if (r.status !== 0) console.warn("bundle-cli: could not make the code cache (start-up will compile the bundle)");
