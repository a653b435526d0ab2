/**
 * --root DIR as tight as chroot (issue 16): escape attempts with a secret next
 * to the root (absolute and relative symlinks to files and directories, ".."
 * chains, links the guest makes, openat/chdir/fchdir, stat, listings, changes
 * through links). The same program runs natively under chroot(8) where that is
 * allowed (root) and must print the same; in any case nothing may read the
 * secret or change the directory outside.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveInRoot } from "../src/host/confine.js";
import { IS_X86_64_LINUX, ROOT, runEmu } from "./helpers/asm.js";

const CC = ["musl-gcc", "gcc"].find((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
const CAN = IS_X86_64_LINUX && CC !== undefined;
const CHROOT = spawnSync("sh", ["-c", "command -v chroot"]).stdout?.toString().trim();
const IS_ROOT = process.getuid?.() === 0;
if (!CAN) console.log("--root escape suite skipped: needs an x86-64 Linux host with musl-gcc or gcc");
else if (!IS_ROOT || !CHROOT) console.log("--root escape suite: no native chroot comparison (needs root and chroot(8)); checking for leaks only");

const base = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-root-"));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function setUp(): { root: string; outside: string; prog: string } {
  const outside = path.join(base, "outside");
  const root = path.join(base, "root");
  fs.rmSync(outside, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "secret.txt"), "SECRET\n", { mode: 0o600 });
  fs.mkdirSync(path.join(root, "data"), { recursive: true });
  fs.mkdirSync(path.join(root, "sub"));
  fs.writeFileSync(path.join(root, "data/file.txt"), "INSIDE\n");
  fs.writeFileSync(path.join(root, "data/file2.txt"), "INSIDE 2\n");
  const links: Array<[string, string]> = [
    ["data/inner-rel", "file.txt"],
    ["inner-abs", "/data/file.txt"],
    ["datalink", "/data"],
    ["abs-link", path.join(outside, "secret.txt")],
    ["rel-link", "../outside/secret.txt"],
    ["dirlink", outside],
    ["reldir", "../../../.."],
    ["sub/deep", "../reldir/../../outside"],
    ["loop", "loop"],
  ];
  for (const [at, target] of links) fs.symlinkSync(target, path.join(root, at));
  const prog = path.join(root, "prog");
  execFileSync(CC!, ["-static", "-O1", "-o", prog, path.join(ROOT, "test/root/escape.c")]);
  return { root, outside, prog };
}

function snapshot(dir: string): string {
  return fs
    .readdirSync(dir)
    .sort()
    .map((n) => {
      const st = fs.lstatSync(path.join(dir, n));
      return `${n} ${st.mode.toString(8)} ${st.size} ${st.isFile() ? fs.readFileSync(path.join(dir, n), "utf8") : ""}`;
    })
    .join("|");
}

describe.skipIf(!CAN)("--root escape attempts", () => {
  it("no case reads the secret or changes anything outside the root", () => {
    const { root, outside, prog } = setUp();
    const before = snapshot(outside);
    const emu = runEmu(["--root", root, prog, base]);
    expect(emu.stderr).toBe("");
    expect(emu.status).toBe(0);
    expect(emu.stdout).not.toMatch(/LEAK|SECRET/);
    expect(emu.stdout).toMatch(/inside: absolute link re-rooted\s+read "INSIDE"/);
    expect(snapshot(outside)).toBe(before);
    const lines = emu.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThan(45);
  });

  it.skipIf(!IS_ROOT || !CHROOT)("prints what the same program prints under a real chroot", () => {
    let { root, prog } = setUp();
    const nat = spawnSync(CHROOT!, [root, "/prog", base], { encoding: "utf8", timeout: 60000 });
    const native = nat.stdout;
    expect(nat.status).toBe(0);
    ({ root, prog } = setUp()); // fresh tree: the first run created links
    const emu = runEmu(["--root", root, prog, base]);
    const a = native.split("\n");
    const b = emu.stdout.split("\n");
    for (let j = 0; j < a.length; j++) expect(b[j], `line ${j + 1}`).toBe(a[j]);
  });
});

describe("resolveInRoot", () => {
  // a tiny in-memory tree: kinds and link targets by host path
  const tree: Record<string, string> = { "/r/a": "dir", "/r/a/f": "other", "/r/l": "link:/a/f", "/r/up": "link:../../..", "/r/x": "link:x" };
  const rfs = {
    kind: (p: string) => (tree[p] === undefined ? -2 : tree[p].startsWith("link:") ? ("link" as const) : (tree[p] as "dir" | "other")),
    readlink: (p: string) => tree[p]?.slice(5) ?? -2,
  };
  it("re-roots absolute targets, stops .. at the root, follows the last link only when asked", () => {
    expect(resolveInRoot("/r", "/l", true, rfs)).toBe("/r/a/f");
    expect(resolveInRoot("/r", "/l", false, rfs)).toBe("/r/l");
    expect(resolveInRoot("/r", "/../../a/./f", true, rfs)).toBe("/r/a/f");
    expect(resolveInRoot("/r", "/up/a/f", true, rfs)).toBe("/r/a/f");
    expect(resolveInRoot("/r", "/a/f/g", true, rfs)).toBe(-20); // ENOTDIR
    expect(resolveInRoot("/r", "/nope/g", true, rfs)).toBe(-2); // ENOENT
    expect(resolveInRoot("/r", "/a/new", true, rfs)).toBe("/r/a/new"); // may be created
    expect(resolveInRoot("/r", "/x", true, rfs)).toBe(-40); // ELOOP
    expect(resolveInRoot("/r", "/", true, rfs)).toBe("/r");
  });
});
