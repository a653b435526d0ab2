/**
 * Vitest global setup: every test file (and every program it starts) gets its
 * temporary files under one directory, removed when the run ends, so a run
 * leaves nothing in /tmp even when a test forgets to clean up or is killed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-run-"));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir; // the forked test workers inherit it; os.tmpdir() honours it
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
