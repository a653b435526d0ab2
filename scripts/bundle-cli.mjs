#!/usr/bin/env node
// One-file CLI (dist/x64emu.mjs) for fast start-up: loading one bundle instead of ~60 modules.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [path.join(root, "src/cli.ts")],
  outfile: path.join(root, "dist/x64emu.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __x64emuRequire } from 'node:module'; const require = __x64emuRequire(import.meta.url);" },
  logLevel: "warning",
});
