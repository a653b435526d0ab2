#!/usr/bin/env node
// A long tier-agreement campaign: `node scripts/tiers-fuzz.mjs --seed N --count M`
// runs cases 0..M-1 of seed N (or K..K+M-1 with --from K) (test/helpers/tiers.ts) under every tier, in
// chunks of test/tiers-property.test.ts, printing progress and every
// divergence with the case number that replays it (X64EMU_TIERS_CASE=K).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : def;
};
const seed = opt("seed", 1);
const count = opt("count", 100_000);
const chunk = opt("chunk", 5000);
const start = opt("from", 0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let divergent = 0;
const t0 = Date.now();
for (let done = 0; done < count; done += chunk) {
  const n = Math.min(chunk, count - done);
  const from = start + done;
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "test/tiers-property.test.ts"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, X64EMU_TIERS_SEED: String(seed), X64EMU_TIERS_CASES: String(n), X64EMU_TIERS_FROM: String(from) },
  });
  const out = r.stdout + r.stderr;
  const m = /tiers: seed \d+, \d+ cases from \d+, (\d+) divergent/.exec(out);
  if (!m) {
    console.log(out);
    console.error(`tiers-fuzz: the chunk from ${from} did not report`);
    process.exit(2);
  }
  divergent += Number(m[1]);
  if (Number(m[1]) > 0) for (const line of out.split("\n")) if (/"case \d+|code:/.test(line)) console.log(line.replace(/\x1b\[[0-9;]*m/g, ""));
  console.log(`seed ${seed}: ${done + n}/${count} cases from ${start}, ${divergent} divergent (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
process.exit(divergent ? 1 : 0);
