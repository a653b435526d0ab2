/**
 * The package as users get it: `npm pack`, installed from the tarball into an
 * empty project; then `npx x64emu`, an ESM import, a CommonJS require and the
 * TypeScript types under node16 and bundler resolution. Skips (with the
 * reason) when npm is missing or the dependencies cannot be installed
 * (offline with an empty npm cache).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, tmpDir } from "./helpers/asm.js";

const HELLO = path.join(ROOT, "fixtures/bin/hello");
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const HAS_NPM = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;

let project = "";
let skipReason = HAS_NPM ? "" : "npm is not installed";

beforeAll(() => {
  if (skipReason) return;
  const dir = fs.mkdtempSync(path.join(tmpDir(), "pkg-"));
  // the suite runs after `npm run build`: pack dist/ as it is, without running prepare again
  const tgz = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
  project = path.join(dir, "app");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  const r = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", path.join(dir, tgz)], { cwd: project, encoding: "utf8", timeout: 180000 });
  if (r.status !== 0) skipReason = `npm install of the tarball failed (offline?): ${(r.stderr || "").trim().split("\n").pop()}`;
}, 240000);

const run = (cmd: string, args: string[], extra: { input?: string } = {}) => spawnSync(cmd, args, { cwd: project, encoding: "utf8", timeout: 60000, ...extra });

describe("the npm package, installed from its tarball", () => {
  it("ships LICENSE, README, the design notes and both builds, and no test or source files", () => {
    if (skipReason) return console.log(`skipped: ${skipReason}`);
    const pkg = path.join(project, "node_modules/x64emu");
    for (const f of ["LICENSE", "README.md", "docs/DESIGN.md", "dist/index.js", "dist/cjs/index.js", "dist/cjs/package.json", "dist/x64emu.cjs"]) expect(fs.existsSync(path.join(pkg, f)), f).toBe(true);
    for (const f of ["src", "test", "fixtures"]) expect(fs.existsSync(path.join(pkg, f)), f).toBe(false);
    const meta = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
    expect(meta.dependencies.yargs).toBe("18.0.0"); // the CLI's parser (bundled into dist/x64emu-bundle.cjs)
    expect(meta.dependencies.long).toBe("5.3.2"); // 64-bit divide in the interpreter (WebAssembly i64 div/rem)
    expect(meta.license).toBe("MIT");
    expect(meta.engines.node).toMatch(/>=\s*20/);
  });

  it("the README's and design notes' relative links point into the repository (and the package ships the notes)", () => {
    for (const doc of ["README.md", "docs/DESIGN.md"]) {
      const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue; // http:, https:, mailto:
        const target = path.resolve(ROOT, path.dirname(doc), m[1]);
        expect(target.startsWith(ROOT + path.sep), `${doc}: ${m[1]}`).toBe(true);
        expect(fs.existsSync(target), `${doc}: ${m[1]}`).toBe(true);
      }
    }
  });

  it("npx x64emu runs a program", () => {
    if (skipReason) return console.log(`skipped: ${skipReason}`);
    const r = run("npx", ["--no-install", "x64emu", HELLO]);
    expect(r.stdout).toBe("Hello, world!\n");
    expect(r.status).toBe(0);
  });

  const script = (load: string) => `${load}
const fs = require("node:fs");
const host = new MemoryHost();
const emu = Emulator.fromElf(fs.readFileSync(${JSON.stringify(HELLO)}), { host });
const res = emu.run();
process.stdout.write(host.stdoutText() + res.kind + " " + res.code + "\\n");
if (typeof NodeHost !== "function") throw new Error("no NodeHost");`;

  it("ESM import of x64emu and x64emu/node", () => {
    if (skipReason) return console.log(`skipped: ${skipReason}`);
    const code = script(`import { Emulator, MemoryHost } from "x64emu"; import { NodeHost } from "x64emu/node"; import { createRequire } from "node:module"; const require = createRequire(import.meta.url);`);
    fs.writeFileSync(path.join(project, "esm.mjs"), code);
    const r = run(process.execPath, ["esm.mjs"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Hello, world!\nexit 0\n");
  });

  it("CommonJS require of x64emu and x64emu/node (no require(esm) needed)", () => {
    if (skipReason) return console.log(`skipped: ${skipReason}`);
    fs.writeFileSync(path.join(project, "cjs.cjs"), script(`const { Emulator, MemoryHost } = require("x64emu"); const { NodeHost } = require("x64emu/node");`));
    const r = spawnSync(process.execPath, ["--no-experimental-require-module", "cjs.cjs"], { cwd: project, encoding: "utf8" });
    const r2 = r.status === 9 ? run(process.execPath, ["cjs.cjs"]) : r; // a Node without that flag
    expect(r2.stderr).toBe("");
    expect(r2.stdout).toBe("Hello, world!\nexit 0\n");
  });

  const types = `const emu = Emulator.fromCode(new Uint8Array([0x90]), { address: 0x1000n });
const r: RunResult = emu.run({ maxInstructions: 1 });
const h: NodeHost = new NodeHost();
const n: number = r.kind === "exit" ? r.code : 0;
// @ts-expect-error: reg() takes a register name
emu.reg(42);
export { h, n };
`;
  for (const [mode, files, flags] of [
    ["node16 (ESM)", ["t.mts"], ["--module", "node16", "--moduleResolution", "node16"]],
    ["node16 (CommonJS)", ["t.cts"], ["--module", "node16", "--moduleResolution", "node16"]],
    ["bundler", ["t.ts"], ["--module", "esnext", "--moduleResolution", "bundler"]],
  ] as const) {
    it(`TypeScript types with ${mode} resolution`, () => {
      if (skipReason) return console.log(`skipped: ${skipReason}`);
      const imp = `import { Emulator, type RunResult } from "x64emu";\nimport { NodeHost } from "x64emu/node";\n`;
      for (const f of files) fs.writeFileSync(path.join(project, f), imp + types);
      const r = run(process.execPath, [TSC, "--noEmit", "--strict", "--target", "es2022", "--types", "node", "--typeRoots", path.join(ROOT, "node_modules/@types"), ...flags, ...files]);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    });
  }

  it("npm run docs documents both entry points, without warnings, and hides the internals", () => {
    const out = path.join(tmpDir(), "docs.json");
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typedoc/bin/typedoc"), "--json", out, "--logLevel", "Warn"], { cwd: ROOT, encoding: "utf8", timeout: 180000 });
    expect(r.stdout + r.stderr).toBe(""); // typedoc.json treats a warning (an undocumented referenced type) as an error
    expect(r.status).toBe(0);
    const mods = (JSON.parse(fs.readFileSync(out, "utf8")) as { children: Array<{ name: string; children: Array<{ name: string }> }> }).children;
    const names = Object.fromEntries(mods.map((m) => [m.name, m.children.map((c) => c.name)]));
    expect(Object.keys(names).sort()).toEqual(["index", "node"]);
    expect(names.index).toEqual(expect.arrayContaining(["Emulator", "MemoryHost", "MemoryFs", "Host", "RunResult", "FaultInfo"]));
    expect(names.node).toEqual(expect.arrayContaining(["NodeHost", "serveGdbTcp", "serveGdbStdio", "GdbStub"]));
    // exported from the main entry for tools built on the internals, but not documented API
    for (const internal of ["CPU", "CpuException", "Memory", "Kernel", "Process", "Args", "ExitStatus", "InsnHook", "decode", "Insn"]) expect(names.index).not.toContain(internal);
  });
});
