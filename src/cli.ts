/** x64emu [options] PROGRAM [ARGS...] — run an x86-64 Linux ELF executable. */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import yargs from "yargs";
import { ElfError } from "./loader/elf.js";
import { NodeHost } from "./host/node.js";
import { Process, faultMessage } from "./emulator.js";
import { installAbiNames } from "./kernel/names.js";
import type { ExitStatus } from "./kernel/kernel.js";
import { queueSignal, signalState } from "./kernel/signals.js";
import * as os from "node:os";
import { serveGdbStdio, serveGdbTcp } from "./host/gdb-node.js";
import * as path from "node:path";
import { installTracer } from "./debug/trace.js";
import { crashReport } from "./debug/crash.js";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

function die(msg: string, status: number): never {
  process.stderr.write(`x64emu: ${msg}\n`);
  process.exit(status);
}

async function main(): Promise<void> {
  const parser = yargs(process.argv.slice(2))
    .scriptName("x64emu")
    .usage("Usage: $0 [options] PROGRAM [ARGS...]\n\nRuns an x86-64 Linux ELF executable. Everything after PROGRAM is passed to it unchanged.")
    .parserConfiguration({ "halt-at-non-option": true, "parse-positional-numbers": false, "unknown-options-as-args": false })
    .option("strace", { type: "boolean", default: false, describe: "print each system call on stderr, as strace does" })
    .option("strace-file", { type: "string", describe: "write the strace output to this file instead of stderr" })
    .option("env", { type: "string", describe: "set NAME=VALUE in the guest environment (repeatable)" })
    .option("unset-env", { type: "string", describe: "remove NAME from the guest environment (repeatable)" })
    .option("clear-env", { type: "boolean", default: false, describe: "start the guest with an empty environment" })
    .option("argv0", { type: "string", describe: "argv[0] for the guest (default: PROGRAM as given)" })
    .option("root", { type: "string", describe: "confine the guest's file system view to DIR (like a chroot)" })
    .option("jit", { type: "boolean", default: true, describe: "compile hot code (--no-jit: interpreter only)" })
    .option("wasm", { type: "boolean", default: true, describe: "compile hot regions to WebAssembly (--no-wasm: JavaScript block compiler only)" })
    .option("jit-threshold", { type: "number", describe: "executions before a block is compiled (0: compile everything; for testing the compilers)" })
    .option("gdb", { type: "number", describe: "wait for gdb on TCP PORT before the first instruction (target remote :PORT)" })
    .option("gdb-host", { type: "string", default: "127.0.0.1", describe: "address the --gdb listener binds to" })
    .option("gdb-stdio", { type: "boolean", default: false, describe: "serve gdb on stdin/stdout (target remote | x64emu --gdb-stdio PROG); guest stdout goes to stderr" })
    .option("trace", { type: "boolean", default: false, describe: "print each executed instruction and the registers it changed (stderr)" })
    .option("trace-file", { type: "string", describe: "write the --trace output to this file" })
    .option("trace-from", { type: "string", describe: "start tracing at this address or symbol" })
    .option("trace-limit", { type: "number", describe: "trace at most N instructions" })
    .option("crash-report", { type: "boolean", default: false, describe: "on a fatal fault, also print registers and the code around rip" })
    .option("stats", { type: "boolean", default: false, describe: "print execution statistics on stderr at exit" })
    .strict()
    .help()
    .alias("h", "help")
    .version(pkg.version)
    .wrap(Math.min(100, process.stdout.columns || 80));
  const argv = await parser.parseAsync();
  const rest = argv._.map(String);
  if (rest.length === 0) {
    parser.showHelp();
    process.exit(2);
  }
  const [prog, ...guestArgs] = rest;

  let bytes: Uint8Array;
  try {
    const st = fs.statSync(prog);
    if (st.isDirectory()) die(`${prog}: is a directory`, 126);
    bytes = fs.readFileSync(prog);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") die(`${prog}: no such file`, 127);
    if (code === "EACCES") die(`${prog}: permission denied`, 126);
    die(`${prog}: ${(e as Error).message}`, 126);
  }

  // environment
  let env: string[] = argv.clearEnv ? [] : Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  for (const name of list(argv.unsetEnv)) env = env.filter((e) => !e.startsWith(name + "="));
  for (const kv of list(argv.env)) {
    if (!kv.includes("=")) die(`--env expects NAME=VALUE, got '${kv}'`, 2);
    const name = kv.slice(0, kv.indexOf("="));
    env = env.filter((e) => !e.startsWith(name + "="));
    env.push(kv);
  }

  installAbiNames();
  let straceOut: ((line: string) => void) | null = null;
  if (argv.strace || argv.straceFile) {
    if (argv.straceFile) {
      const fd = fs.openSync(argv.straceFile, "w");
      straceOut = (l) => fs.writeSync(fd, l + "\n");
    } else straceOut = (l) => process.stderr.write(l + "\n");
  }

  let proc: Process;
  try {
    let root: string | null = null;
    if (argv.root !== undefined) {
      root = path.resolve(argv.root);
      if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) die(`--root: ${argv.root} is not a directory`, 2);
      root = fs.realpathSync(root);
    }
    const host = argv.gdbStdio ? new StdoutToStderrHost(root) : new NodeHost(root);
    const exePath = root && path.resolve(prog).startsWith(root + "/") ? path.resolve(prog).slice(root.length) : path.resolve(prog);
    proc = new Process(bytes, { argv: [argv.argv0 ?? prog, ...guestArgs], envp: env, host, execfn: prog, exePath, strace: straceOut });
  } catch (e) {
    if (e instanceof ElfError) die(`${prog}: ${e.message}`, 126);
    throw e;
  }

  proc.cpu.jitEnabled = argv.jit;
  proc.cpu.wasmEnabled = argv.wasm;
  if (argv.jitThreshold !== undefined) {
    if (!Number.isInteger(argv.jitThreshold) || argv.jitThreshold < 0) die("--jit-threshold expects a whole number >= 0", 2);
    proc.cpu.jitThreshold = argv.jitThreshold;
    proc.cpu.wasmThreshold = argv.jitThreshold * 20;
  }
  let tracer: { flush: () => void } | null = null;
  if (argv.trace || argv.traceFile || argv.traceFrom !== undefined || argv.traceLimit !== undefined) {
    let out = (l: string) => void process.stderr.write(l + "\n");
    if (argv.traceFile) {
      const fd = fs.openSync(argv.traceFile, "w");
      out = (l) => void fs.writeSync(fd, l + "\n");
    }
    let from: number | undefined;
    if (argv.traceFrom !== undefined) {
      const sym = proc.image.symbols.find((s) => s.name === argv.traceFrom);
      from = sym ? sym.value : /^(0x)?[0-9a-f]+$/i.test(argv.traceFrom) ? parseInt(argv.traceFrom, 16) : NaN;
      if (!Number.isFinite(from)) die(`--trace-from: no symbol or address '${argv.traceFrom}'`, 2);
    }
    if (argv.traceLimit !== undefined && (!Number.isInteger(argv.traceLimit) || argv.traceLimit < 0)) die("--trace-limit expects a whole number", 2);
    tracer = installTracer(proc.cpu, { out, symbols: proc.image.symbols, from, limit: argv.traceLimit });
  }
  const t0 = performance.now();
  let status: ExitStatus | null;
  if (argv.gdb !== undefined || argv.gdbStdio) {
    if (argv.gdb !== undefined && (!Number.isInteger(argv.gdb) || argv.gdb < 0 || argv.gdb > 65535)) die("--gdb expects a TCP port number", 2);
    const opts = { execFile: path.resolve(prog), onListening: (port: number) => process.stderr.write(`x64emu: waiting for gdb on ${argv.gdbHost}:${port}\n`) };
    const res = argv.gdbStdio ? await serveGdbStdio(proc, opts) : await serveGdbTcp(proc, argv.gdb!, argv.gdbHost, opts);
    if (res.detached) status = proc.run(); // gdb detached: run on without it
    else status = res.status ?? { kind: "signal", signal: 9, core: false, fault: null }; // killed from gdb
  } else status = await runWithHostSignals(proc);
  tracer?.flush();
  if (argv.stats) printStats(proc, performance.now() - t0);
  if (!status) die("internal error: the guest stopped without exiting", 70);
  if (status.kind === "exit") {
    if (straceOut) straceOut(`+++ exited with ${status.code} +++`);
    process.exitCode = status.code;
    return;
  }
  if (status.fault) {
    process.stderr.write(`x64emu: ${faultMessage(status.fault, proc.image.symbols)}\n`);
    if (argv.crashReport) process.stderr.write(crashReport(proc.cpu, status.fault, proc.image.symbols) + "\n");
  }
  if (straceOut) straceOut(`+++ killed by ${sigNameOf(status.signal)}${status.core ? " (core dumped)" : ""} +++`);
  dieBySignal(status.signal);
}

/**
 * Run the guest in slices, returning to the event loop between them so that
 * signals from outside (Ctrl-C, kill from another shell) reach the guest's
 * handlers. Host listeners exist only for signals the guest catches or
 * ignores; the others keep their default action and kill the emulator, as
 * they would kill the program.
 */
async function runWithHostSignals(proc: Process): Promise<ExitStatus | null> {
  const k = proc.kernel;
  k.state.canWaitForHostSignals = true;
  const sigs = signalState(k);
  const names = os.constants.signals as Record<string, number>;
  const listeners = new Map<number, () => void>();
  let wake: (() => void) | null = null;
  sigs.onDisposition = (sig, caught) => {
    const name = Object.keys(names).find((n) => names[n] === sig) as NodeJS.Signals | undefined;
    if (!name || sig === 9 || sig === 19) return;
    const had = listeners.get(sig);
    if (caught && !had) {
      const fn = () => {
        queueSignal(k, sig, 0, 0);
        wake?.();
      };
      listeners.set(sig, fn);
      process.on(name, fn);
    } else if (!caught && had) {
      process.removeListener(name, had);
      listeners.delete(sig);
    }
  };
  for (;;) {
    const st = proc.run(proc.cpu.icount + 50_000_000);
    if (st) return st;
    if (k.state.waitingForSignal) {
      k.state.waitingForSignal = false;
      if (sigs.pending.length === 0) {
        const keepAlive = setInterval(() => undefined, 1 << 30); // a pending promise alone does not keep Node running
        await new Promise<void>((res) => (wake = res));
        clearInterval(keepAlive);
      }
      wake = null;
    } else await new Promise((res) => setImmediate(res));
  }
}

/** With --gdb-stdio, stdout carries the gdb protocol: the guest's stdout goes to stderr. */
class StdoutToStderrHost extends NodeHost {
  write(fd: number, data: Uint8Array): number {
    return super.write(fd === 1 ? 2 : fd, data);
  }
}

function printStats(proc: Process, ms: number): void {
  const c = proc.cpu;
  const s = c.stats;
  const lines = [
    `instructions: ${c.icount} (interpreter ${c.icount - s.jitInsns - s.wasmInsns}, js blocks ${s.jitInsns}, wasm regions ${s.wasmInsns})`,
    `blocks decoded: ${c.blocksDecoded}; js blocks compiled: ${s.blocksCompiled} (${s.compileMs.toFixed(1)} ms); wasm regions compiled: ${s.regionsCompiled} of ${s.regionBlocks} blocks (${s.wasmCompileMs.toFixed(1)} ms)`,
    `syscalls: ${proc.kernel.syscallCount}`,
    `wall time: ${ms.toFixed(1)} ms, ${(c.icount / 1000 / Math.max(ms, 0.001)).toFixed(1)} MIPS`,
  ];
  process.stderr.write(lines.map((l) => `x64emu stats: ${l}\n`).join(""));
}

function sigNameOf(n: number): string {
  return (Object.entries(require("node:os").constants.signals as Record<string, number>).find(([, v]) => v === n)?.[0] ?? `SIG${n}`);
}

/** Die by the guest's signal so the shell sees 128+N; fall back to exit(128+N) where Node keeps the signal. */
function dieBySignal(sig: number): void {
  try {
    // Node ignores SIGPIPE (and may ignore others): a listener added and removed leaves the
    // signal at its default action (libuv restores SIG_DFL), so the signal kills us as it killed
    // the guest. Before removeAllListeners, which also drops Node's own signal bookkeeping.
    const name = Object.entries(os.constants.signals).find(([, v]) => v === sig)?.[0] as NodeJS.Signals | undefined;
    if (name && sig !== 9 && sig !== 19) {
      const noop = () => undefined;
      process.on(name, noop);
      process.removeListener(name, noop);
    }
    process.removeAllListeners();
    process.kill(process.pid, sig);
  } catch {
    /* fall through */
  }
  setTimeout(() => process.exit(128 + sig), 100);
}

main().catch((e: unknown) => {
  const err = e as Error;
  process.stderr.write(`x64emu: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.X64EMU_DEBUG) process.stderr.write(`${err?.stack}\n`);
  process.exit(70);
});
