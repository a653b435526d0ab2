/** x64emu [options] PROGRAM [ARGS...] — run an x86-64 Linux ELF executable. */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { debugItemsHelp, helpText, parseCommandLine, UsageError, type CliOptions, type ParsedCommandLine } from "./cli/options.js";
import { ElfError } from "./loader/elf.js";
import { NodeHost } from "./host/node.js";
import { Process } from "./kernel/program.js";
import { shebang } from "./kernel/exec.js";
import { sysrootPath } from "./host/sysroot.js";
import { faultMessage } from "./kernel/symbols.js";
import { errnoMessage, installAbiNames } from "./kernel/names.js";
import type { ExitStatus } from "./kernel/kernel.js";
import { queueSignal, signalState } from "./kernel/signals.js";
import { terminalResized } from "./kernel/tty.js";
import * as os from "node:os";
import { serveGdbStdio, serveGdbTcp } from "./host/gdb-node.js";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { installTracer } from "./debug/trace.js";
import { crashReport } from "./debug/crash.js";
import { execveLine, exitLine } from "./kernel/strace/lines.js";
import { CPU_MODELS, missingFromModel } from "./cpu/cpuid.js";
import { JIT_THRESHOLD, WASM_THRESHOLD } from "./cpu/cpu.js";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

/** Temporary directories of this run: removed at exit, and before dying by the guest's signal (which runs no exit handlers). */
const tempDirs: string[] = [];
function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
process.on("exit", removeTempDirs);

function die(msg: string, status: number): never {
  process.stderr.write(`x64emu: ${msg}\n`);
  process.exit(status);
}

/** A command-line mistake: one line, status 2 (never a status a guest's exit is mistaken for by scripts checking 1). */
const usage = (msg: string): never => die(`${msg} (x64emu --help lists the options)`, 2);

/** strerror-like text for a host error (ENOENT -> "No such file or directory"). */
function hostErrorText(e: unknown): string {
  const code = (e as { code?: string }).code;
  const nr = code ? (os.constants.errno as Record<string, number>)[code] : undefined;
  return (nr !== undefined && errnoMessage(nr)) || (e as Error).message;
}

/** Open an output file given on the command line (a clear one-line error when it cannot be created). */
function openOutput(option: string, file: string): (line: string) => void {
  let fd: number;
  try {
    fd = fs.openSync(file, "w");
  } catch (e) {
    die(`${option} ${file}: ${hostErrorText(e)}`, 2);
  }
  return (l) => void fs.writeSync(fd, l + "\n");
}

async function main(): Promise<void> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) usage(e.message);
    throw e;
  }
  const argv = parsed.opts;
  /** an option's name in messages, as the user gave it ("-L", "--sysroot" or "X64EMU_LD_PREFIX") */
  const opt = (key: keyof CliOptions) => parsed.given[key] ?? key;
  if (argv.help) {
    process.stdout.write(helpText(Math.min(100, process.stdout.columns || 100)));
    return;
  }
  if (argv.version) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  if (argv.debugHelp) {
    process.stdout.write(debugItemsHelp());
    return;
  }
  if (argv.binfmt) return binfmt(argv.install);
  if (argv.cpu !== undefined && !selectCpu(argv.cpu, opt("cpu"))) return;
  const rest = parsed.rest;
  if (argv.assemble !== undefined) {
    const out = argv.output ?? argv.assemble.replace(/\.(s|asm)$/i, "") + (/\.(s|asm)$/i.test(argv.assemble) ? "" : ".out");
    const elf = await assembleSource(argv.assemble);
    try {
      fs.writeFileSync(out, elf, { mode: 0o755 });
      fs.chmodSync(out, 0o755);
    } catch (e) {
      die(`${argv.output !== undefined ? opt("output") + " " : ""}${out}: ${hostErrorText(e)}`, 2);
    }
    return;
  }
  if (rest.length === 0) {
    process.stderr.write("Usage: x64emu [options] PROGRAM [ARGS...]  (x64emu --help lists the options)\n");
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
  let execFile = path.resolve(prog);
  if (/\.(s|asm)$/i.test(prog)) {
    // assembly source: assemble and link in memory, then run it as as + ld + run would
    bytes = await assembleSource(prog);
    if (argv.gdb !== undefined || argv.gdbStdio) {
      // gdb reads the symbols from the executable: give it the linked one
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x64emu-"));
      tempDirs.push(dir);
      execFile = path.join(dir, path.basename(prog).replace(/\.(s|asm)$/i, ""));
      fs.writeFileSync(execFile, bytes, { mode: 0o755 });
    }
  }

  // environment
  let env: string[] = argv.clearEnv ? [] : Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
  for (const name of argv.unsetEnv) env = env.filter((e) => !e.startsWith(name + "="));
  for (const kv of argv.env) {
    if (!kv.includes("=")) usage(`${opt("env")} expects NAME=VALUE, got '${kv}'`);
    const name = kv.slice(0, kv.indexOf("="));
    env = env.filter((e) => !e.startsWith(name + "="));
    env.push(kv);
  }

  installAbiNames();
  let straceOut: ((line: string) => void) | null = null;
  if (argv.strace) straceOut = argv.straceFile !== undefined ? openOutput(opt("straceFile"), argv.straceFile) : (l) => void process.stderr.write(l + "\n");

  let proc: Process;
  try {
    let root: string | null = null;
    if (argv.root !== undefined) {
      root = path.resolve(argv.root);
      if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) usage(`${opt("root")}: ${argv.root} is not a directory`);
      root = fs.realpathSync(root);
    }
    let sysroot: string | null = null;
    if (argv.sysroot !== undefined && argv.sysroot !== "") {
      if (!fs.statSync(argv.sysroot, { throwIfNoEntry: false })?.isDirectory()) usage(`${opt("sysroot")}: ${argv.sysroot} is not a directory`);
      sysroot = fs.realpathSync(argv.sysroot);
    }
    const host = argv.gdbStdio ? new StdoutToStderrHost(root, sysroot) : new NodeHost(root, sysroot);
    let exePath = root && path.resolve(prog).startsWith(root + "/") ? path.resolve(prog).slice(root.length) : path.resolve(prog);
    let guestArgv = [argv.argv0 ?? prog, ...guestArgs];
    const script = shebang(bytes);
    if (script) {
      // a `#!` script runs as execve runs it: its interpreter, given [interpreter, its argument, the script, args...]
      const [interp, arg] = script;
      const hostInterp = root && interp.startsWith("/") ? root + interp : (sysroot && interp.startsWith("/") && sysrootPath(sysroot, interp, true)) || interp;
      try {
        bytes = fs.readFileSync(hostInterp);
      } catch (e) {
        const missing = (e as { code?: string }).code === "ENOENT";
        die(`${prog}: bad interpreter ${interp}: ${missing ? "no such file" : (e as Error).message}`, missing ? 127 : 126);
      }
      guestArgv = [interp, ...(arg !== null ? [arg] : []), prog, ...guestArgs];
      exePath = root ? path.posix.resolve("/", interp) : path.resolve(hostInterp);
      execFile = path.resolve(hostInterp);
    }
    proc = new Process(bytes, { argv: guestArgv, envp: env, host, execfn: prog, exePath, strace: straceOut, stackSize: argv.stackSize, cpu: argv.cpu });
  } catch (e) {
    if (e instanceof ElfError) die(`${prog}: ${e.message}`, 126);
    throw e;
  }

  if (straceOut) {
    proc.kernel.straceStringLimit = argv.stringLimit;
    const gargv = [argv.argv0 ?? prog, ...guestArgs];
    straceOut(execveLine("", prog, gargv, proc.image.sp + 8 * (gargv.length + 2), env.length, argv.stringLimit));
  }
  proc.cpu.jitEnabled = argv.jit;
  proc.cpu.wasmEnabled = argv.wasm;
  if (argv.jitThreshold !== undefined) {
    proc.cpu.wasmThreshold = argv.jitThreshold;
    proc.cpu.jitThreshold = Math.ceil((argv.jitThreshold * JIT_THRESHOLD) / WASM_THRESHOLD);
  }
  let tracer: { flush: () => void } | null = null;
  if (argv.trace || argv.traceFile || argv.traceFrom !== undefined || argv.traceLimit !== undefined) {
    let out: (l: string) => void = (l) => void process.stderr.write(l + "\n");
    if (argv.traceFile !== undefined) out = openOutput(opt("traceFile"), argv.traceFile);
    let from: number | undefined;
    if (argv.traceFrom !== undefined) {
      const sym = proc.image.symbols.find((s) => s.name === argv.traceFrom);
      from = sym ? sym.value : /^(0x)?[0-9a-f]+$/i.test(argv.traceFrom) ? parseInt(argv.traceFrom, 16) : NaN;
      if (!Number.isFinite(from)) usage(`${opt("traceFrom")}: no symbol or address '${argv.traceFrom}'`);
    }
    tracer = installTracer(proc.cpu, { out, symbols: proc.image.symbols, from, limit: argv.traceLimit });
  }
  const t0 = performance.now();
  let status: ExitStatus | null;
  if (argv.gdb !== undefined || argv.gdbStdio) {
    if (argv.gdb !== undefined && argv.gdb > 65535) usage(`${opt("gdb")} expects a TCP port number, got ${argv.gdb}`);
    const opts = { execFile, onListening: (port: number) => process.stderr.write(`x64emu: waiting for gdb on ${argv.gdbHost}:${port}\n`) };
    const listenError = (e: unknown): never => {
      if ((e as { syscall?: string }).syscall !== "listen") throw e;
      return die(`${opt("gdb")} ${argv.gdb}: cannot listen on ${argv.gdbHost}:${argv.gdb}: ${hostErrorText(e)}`, 2);
    };
    const res = argv.gdbStdio ? await serveGdbStdio(proc, opts) : await serveGdbTcp(proc, argv.gdb!, argv.gdbHost, opts).catch(listenError);
    if (res.detached) status = proc.run(); // gdb detached: run on without it
    else status = res.status ?? { kind: "signal", signal: 9, core: false, fault: null }; // killed from gdb
  } else status = await runWithHostSignals(proc);
  tracer?.flush();
  if (argv.stats) printStats(proc, performance.now() - t0);
  if (!status) die("internal error: the guest stopped without exiting", 70);
  if (status.kind === "exit") {
    if (straceOut) straceOut(exitLine("", status));
    process.exitCode = status.code;
    return;
  }
  if (status.fault) {
    process.stderr.write(`x64emu: ${faultMessage(status.fault, proc.image.symbols)}\n`);
    if (argv.crashReport) process.stderr.write(crashReport(proc.cpu, status.fault, proc.image.symbols) + "\n");
  }
  if (straceOut) straceOut(exitLine("", status));
  dieBySignal(status.signal);
}

/** Validate --cpu (models: src/cpu/cpuid.ts); `help` lists the models (as qemu's -cpu help). False: nothing to run. */
function selectCpu(model: string, option: string): boolean {
  if (model === "help" || model === "?") {
    const about = (m: string) => {
      if (m === "max") return "everything x64emu implements (the default)";
      const lacking = missingFromModel(m);
      return `the ${m} level${lacking.length ? ` without ${lacking.join(" ")} (not implemented)` : ""}`;
    };
    process.stdout.write(`Available CPU models:\n${CPU_MODELS.map((m) => `  ${m.padEnd(10)} ${about(m)}\n`).join("")}`);
    return false;
  }
  if (!CPU_MODELS.includes(model)) usage(`${option}: unknown CPU model '${model}' (known: ${CPU_MODELS.join(", ")})`);
  return true;
}

/**
 * --binfmt: the binfmt_misc registration that makes the kernel run x86-64 ELF
 * executables (ET_EXEC and ET_DYN, as qemu-binfmt-conf.sh matches them) through
 * this x64emu; --install writes it to /proc/sys/fs/binfmt_misc/register.
 */
function binfmt(install: boolean): void {
  const hex = (bytes: number[]) => bytes.map((b) => "\\x" + b.toString(16).padStart(2, "0")).join("");
  const magic = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0];
  const mask = [0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff];
  const launcher = path.join(path.dirname(fileURLToPath(import.meta.url)), "x64emu.cjs");
  const line = `:x64emu:M::${hex(magic)}:${hex(mask)}:${launcher}:`;
  if (!install) {
    process.stdout.write(`${line}\n`);
    return;
  }
  if (process.arch === "x64") die("--binfmt --install: this machine runs x86-64 programs natively; registering x64emu would send every one of them through the emulator", 2);
  const reg = "/proc/sys/fs/binfmt_misc/register";
  try {
    fs.writeFileSync(reg, line);
  } catch (e) {
    die(`--binfmt --install: cannot write ${reg}: ${hostErrorText(e)} (mount binfmt_misc and run as root)`, 1);
  }
  process.stdout.write(`x64emu: registered ${line}\n`);
}

/** Assembles and links GNU as source as as + ld would; errors print file:line: message and exit 2. */
async function assembleSource(file: string): Promise<Uint8Array> {
  const { assembleProgram, AsmError } = await import("./asm/index.js");
  const readFile = (p: string) => (fs.existsSync(p) && fs.statSync(p).isFile() ? fs.readFileSync(p, "utf8") : undefined);
  let source = "";
  try {
    source = fs.readFileSync(file, "utf8");
  } catch (e) {
    die(`${file}: ${hostErrorText(e)}`, 2);
  }
  try {
    return assembleProgram(source, file, { readFile, includeDirs: ["."], warn: (m) => process.stderr.write(`x64emu: ${m}\n`) });
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
    process.stderr.write(e.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}\n`).join(""));
    process.exit(2);
  }
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
  proc.waitMode = "async";
  const sigs = signalState(k);
  const names = os.constants.signals as Record<string, number>;
  const listeners = new Map<number, () => void>();
  let wake: (() => void) | null = null;
  if (k.host.net) k.host.net.wake = () => wake?.(); // host network events (src/host/node-net.ts) wake the idle loop
  // a resized terminal: the guest's foreground group gets SIGWINCH (its default is to ignore it, as Node's)
  const onResize = () => {
    terminalResized(proc.sched);
    wake?.();
  };
  process.on("SIGWINCH", onResize);
  sigs.onDisposition = (sig, caught) => {
    const name = Object.keys(names).find((n) => names[n] === sig) as NodeJS.Signals | undefined;
    if (!name || sig === 9 || sig === 19 || sig === 28) return;
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
    const st = proc.run(50_000_000);
    if (st) {
      process.removeListener("SIGWINCH", onResize);
      return st;
    }
    if (proc.sched.idle) {
      // nothing can run: wait for a host signal or the next timer of a parked task
      const d = proc.sched.idleDeadline;
      const ms = d === null ? 1 << 30 : Math.max(0, (d - Number(k.host.monotonicNs())) / 1e6);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, Math.ceil(ms)); // also keeps Node running while only a signal can wake the guest
        wake = () => {
          clearTimeout(timer);
          res();
        };
      });
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

/** Die by the guest's signal so the shell sees 128+N; fall back to exit(128+N) where Node keeps the signal. */
function dieBySignal(sig: number): void {
  removeTempDirs();
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
