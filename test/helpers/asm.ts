/** Test helpers: assemble snippets with the host toolchain, run the CLI. */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const CLI = path.join(ROOT, "dist/cli.js");

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

export const HAS_AS = has("as") && has("ld");
export const IS_X86_64_LINUX = process.platform === "linux" && process.arch === "x64";

let tmp: string | null = null;
/** This test file's temporary directory (made on first use, removed when the test process exits). */
export function tmpDir(): string {
  if (!tmp) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-test-"));
    tmp = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return tmp;
}

/** Assemble AT&T source (with _start) into a static ELF; returns its path. */
export function assemble(name: string, source: string): string {
  const dir = tmpDir();
  const s = path.join(dir, `${name}.s`);
  const o = path.join(dir, `${name}.o`);
  const exe = path.join(dir, name);
  fs.writeFileSync(s, source);
  execFileSync("as", ["--64", "-o", o, s]);
  execFileSync("ld", ["-static", "-o", exe, o]);
  return exe;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
}

function result(r: SpawnSyncReturns<string>): RunResult {
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal, pid: r.pid };
}

/** Run the emulator CLI. */
export function runEmu(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  return result(spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", input: opts.input, env: opts.env ?? process.env, timeout: 60000 }));
}

/** Run a program natively. */
export function runNative(prog: string, args: string[] = [], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  return result(spawnSync(prog, args, { encoding: "utf8", input: opts.input, env: opts.env ?? process.env, timeout: 60000 }));
}

/** Shell-style exit status: 128+N for death by signal N. */
export function shellStatus(r: RunResult): number {
  if (r.signal) return 128 + (os.constants.signals[r.signal] ?? 0);
  return r.status ?? -1;
}
