/**
 * The command line of `x64emu`: one table of options (long GNU-style names,
 * qemu-user's single-dash names and short letters, environment variables) from
 * which both the yargs configuration and `--help` are made (yargs parses; the
 * table's conversions, checks and messages are applied to its result). Parsing stops at the first
 * argument that is not an option: that is the program, and everything after it
 * belongs to the guest. Adding an option is one entry in `OPTIONS` (and a field
 * in `CliOptions`).
 */
import yargs, { type Options } from "yargs";

export interface CliOptions {
  strace: boolean;
  straceFile?: string;
  stringLimit: number;
  env: string[];
  unsetEnv: string[];
  clearEnv: boolean;
  argv0?: string;
  root?: string;
  sysroot?: string;
  cpu?: string;
  stackSize?: number;
  jit: boolean;
  wasm: boolean;
  jitThreshold?: number;
  gdb?: number;
  gdbHost: string;
  gdbStdio: boolean;
  trace: boolean;
  traceFile?: string;
  traceFrom?: string;
  traceLimit?: number;
  /** qemu's -d items */
  debugItems: string[];
  /** -d help: list the items and exit */
  debugHelp: boolean;
  /** qemu's -D: log file for -d (trace and strace) */
  logFile?: string;
  crashReport: boolean;
  /** --assemble FILE: write the executable built from GNU as source to --output */
  assemble?: string;
  output?: string;
  stats: boolean;
  binfmt: boolean;
  install: boolean;
  help: boolean;
  version: boolean;
}

/** "commas": a list given as comma-separated items (qemu's -E A=1,B=2, -U A,B, -d in_asm,strace) */
type Kind = "flag" | "off" | "string" | "list" | "commas" | "int" | "size";

interface OptSpec {
  key: keyof CliOptions;
  /** every spelling: "--strace", "-strace" */
  names: string[];
  kind: Kind;
  meta?: string;
  /** environment variable giving a default (qemu's QEMU_* equivalents) */
  env?: string;
  help: string;
}

/** The options, in the order `--help` lists them. */
const OPTIONS: OptSpec[] = [
  { key: "strace", names: ["--strace", "-strace"], kind: "flag", env: "X64EMU_STRACE", help: "print each system call on stderr, as strace -f does" },
  { key: "straceFile", names: ["--strace-file"], kind: "string", meta: "FILE", help: "write the strace output to FILE instead of stderr (strace -o)" },
  { key: "stringLimit", names: ["--string-limit"], kind: "int", meta: "N", help: "strace: show at most N bytes of each string (default 32; strace -s)" },
  { key: "env", names: ["--env"], kind: "list", meta: "NAME=VALUE", help: "set a variable in the guest environment (repeatable)" },
  { key: "env", names: ["-E"], kind: "commas", meta: "NAME=VALUE,...", help: "set variables, as qemu's -E (a comma separates them)" },
  { key: "unsetEnv", names: ["--unset-env"], kind: "list", meta: "NAME", help: "remove a variable from the guest environment (repeatable)" },
  { key: "unsetEnv", names: ["-U"], kind: "commas", meta: "NAME,...", help: "remove variables, as qemu's -U" },
  { key: "clearEnv", names: ["--clear-env"], kind: "flag", help: "start the guest with an empty environment" },
  { key: "argv0", names: ["--argv0", "-0"], kind: "string", meta: "NAME", help: "argv[0] for the guest (default: PROGRAM as given)" },
  { key: "root", names: ["--root"], kind: "string", meta: "DIR", help: "confine the guest's file system view to DIR (like a chroot)" },
  { key: "sysroot", names: ["--sysroot", "-L"], kind: "string", meta: "DIR", env: "X64EMU_LD_PREFIX", help: "look absolute paths up under DIR first, then / (the dynamic loader and libraries)" },
  { key: "cpu", names: ["--cpu", "-cpu"], kind: "string", meta: "MODEL", env: "X64EMU_CPU", help: "CPU model the guest sees through CPUID ('help' lists them)" },
  { key: "stackSize", names: ["--stack-size", "-s"], kind: "size", meta: "SIZE", env: "X64EMU_STACK_SIZE", help: "size of the initial stack mapping (bytes, or with k/M/G)" },
  { key: "jit", names: ["--jit"], kind: "flag", help: "compile hot code (the default)" },
  { key: "jit", names: ["--no-jit"], kind: "off", help: "run the interpreter only" },
  { key: "wasm", names: ["--wasm"], kind: "flag", help: "compile hot regions to WebAssembly (the default)" },
  { key: "wasm", names: ["--no-wasm"], kind: "off", help: "no WebAssembly tier: the interpreter and the JavaScript block compiler only" },
  { key: "jitThreshold", names: ["--jit-threshold"], kind: "int", meta: "N", help: "executions before a block is compiled (0: compile everything; for testing)" },
  { key: "gdb", names: ["--gdb", "-g"], kind: "int", meta: "PORT", env: "X64EMU_GDB", help: "wait for gdb on TCP PORT before the first instruction (target remote :PORT)" },
  { key: "gdbHost", names: ["--gdb-host"], kind: "string", meta: "ADDR", help: "address the --gdb listener binds to (default 127.0.0.1)" },
  { key: "gdbStdio", names: ["--gdb-stdio"], kind: "flag", help: "serve gdb on stdin/stdout (target remote | x64emu --gdb-stdio PROG)" },
  { key: "trace", names: ["--trace"], kind: "flag", help: "print each executed instruction and the registers it changed (stderr)" },
  { key: "traceFile", names: ["--trace-file"], kind: "string", meta: "FILE", help: "write the --trace output to FILE" },
  { key: "traceFrom", names: ["--trace-from"], kind: "string", meta: "ADDR|SYMBOL", help: "start tracing at this address or symbol" },
  { key: "traceLimit", names: ["--trace-limit"], kind: "int", meta: "N", help: "trace at most N instructions" },
  { key: "debugItems", names: ["-d"], kind: "commas", meta: "ITEM,...", help: "qemu-style logging: in_asm, exec, cpu (= --trace), strace (= --strace); -d help lists them" },
  { key: "logFile", names: ["-D"], kind: "string", meta: "FILE", help: "qemu-style log file for -d (and -strace)" },
  { key: "crashReport", names: ["--crash-report"], kind: "flag", help: "on a fatal fault, also print registers and the code around rip" },
  { key: "assemble", names: ["--assemble"], kind: "string", meta: "FILE", help: "assemble and link GNU as source FILE as as + ld would, write it to -o OUT, and exit" },
  { key: "output", names: ["-o", "--output"], kind: "string", meta: "OUT", help: "with --assemble: the executable to write (default: FILE without .s)" },
  { key: "stats", names: ["--stats"], kind: "flag", help: "print execution statistics on stderr at exit" },
  { key: "binfmt", names: ["--binfmt"], kind: "flag", help: "print the binfmt_misc line that runs x86-64 programs through x64emu, and exit" },
  { key: "install", names: ["--install"], kind: "flag", help: "with --binfmt: register it (as root, on a machine that is not x86-64)" },
  { key: "version", names: ["--version", "-version"], kind: "flag", help: "print the version and exit" },
  { key: "help", names: ["--help", "-h", "-help"], kind: "flag", help: "print this help and exit" },
];

/** The qemu -d items we understand, with what each turns on (`-d help` lists them). */
const TRACE = "each executed instruction and the registers it changed (--trace)";
const DEBUG_ITEMS: Record<string, string> = { in_asm: TRACE, exec: TRACE, cpu: TRACE, strace: "each system call (--strace)" };

/** The text of `-d help`, as qemu lists its log items. */
export function debugItemsHelp(): string {
  return "Log items (comma separated):\n" + Object.entries(DEBUG_ITEMS).map(([k, v]) => `${k.padEnd(15)} ${v}\n`).join("");
}

/** A wrong command line: printed as one line, exit status 2. */
export class UsageError extends Error {}

export interface ParsedCommandLine {
  opts: CliOptions;
  /** PROGRAM and its arguments (empty when none was given) */
  rest: string[];
  /** how each option that was given is named in messages: as typed ("-L"), or its variable ("X64EMU_LD_PREFIX") */
  given: Partial<Record<keyof CliOptions, string>>;
}

function defaults(): CliOptions {
  return {
    strace: false,
    stringLimit: 32,
    env: [],
    unsetEnv: [],
    clearEnv: false,
    jit: true,
    wasm: true,
    gdbHost: "127.0.0.1",
    gdbStdio: false,
    trace: false,
    debugItems: [],
    debugHelp: false,
    crashReport: false,
    stats: false,
    binfmt: false,
    install: false,
    help: false,
    version: false,
  };
}

function parseInt10(spec: OptSpec, name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} expects a whole number >= 0, got '${v}'`);
  return Number(v);
}

/** qemu's size syntax: a number with an optional k/M/G suffix (powers of 1024). */
function parseSize(name: string, v: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v);
  if (!m) throw new UsageError(`${name} expects a size such as 8388608, 8192k or 8M, got '${v}'`);
  const mul = { "": 1, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const n = Number(m[1]) * mul;
  if (n <= 0 || n > 2 ** 40) throw new UsageError(`${name}: size out of range: '${v}'`);
  return n;
}

function assign(opts: CliOptions, spec: OptSpec, name: string, value: string | undefined): void {
  const o = opts as unknown as Record<string, unknown>;
  switch (spec.kind) {
    case "flag":
      o[spec.key] = true;
      return;
    case "off":
      o[spec.key] = false;
      return;
    case "string":
      o[spec.key] = value;
      return;
    case "list":
      (o[spec.key] as string[]).push(value!);
      return;
    case "commas":
      (o[spec.key] as string[]).push(...value!.split(",").filter((x) => x !== ""));
      return;
    case "int":
      o[spec.key] = parseInt10(spec, name, value!);
      return;
    case "size":
      o[spec.key] = parseSize(name, value!);
      return;
  }
}

/** The yargs key of an option: its first spelling without dashes ("-s" and "--stack-size" are yargs aliases). */
const keyOf = (spec: OptSpec) => spec.names[0].replace(/^--?/, "");

/** yargs' option configuration, made from the table ("off" entries are yargs' --no- negation of their flag). */
const YARGS_OPTIONS: Record<string, Options> = {};
/** yargs key -> table entry; every name a spelling can give yargs-parser (aliases included) -> table entry */
const BY_KEY = new Map<string, OptSpec>();
const BY_BARE = new Map<string, OptSpec>();
for (const spec of OPTIONS) {
  if (spec.kind === "off") continue;
  const key = keyOf(spec);
  const alias = [...new Set(spec.names.map((n) => n.replace(/^--?/, "")))].filter((a) => a !== key);
  const flag = spec.kind === "flag";
  YARGS_OPTIONS[key] = { type: flag ? "boolean" : "string", nargs: flag ? 0 : 1, alias };
  BY_KEY.set(key, spec);
  for (const n of [key, ...alias]) BY_BARE.set(n, spec);
}
for (const spec of OPTIONS) {
  // the table's --no-X must be the negation yargs makes of the flag X with the same field
  if (spec.kind === "off" && !spec.names.every((n) => BY_BARE.get(n.replace(/^--no-/, ""))?.key === spec.key)) throw new Error(`options: ${spec.names[0]} is not a --no- of a flag`);
}

/**
 * How yargs-parser is told to read a qemu-user command line: `-strace` is one
 * long option, not the letters s,t,r,a,c,e; parsing stops at the first
 * non-option (the program) and puts it and everything after it, untouched,
 * in `--` (as it does with what follows a literal `--`); an unknown option
 * lands in `_` (so it can be reported as typed); an option with a value
 * takes the next argument whatever it looks like (`-0 -sh`), a flag never
 * does (`--strace true` runs the program `true`); no number, dot or
 * camel-case conversions; a repeated option gives an array.
 */
const PARSER_CONFIGURATION = {
  "short-option-groups": false,
  "halt-at-non-option": true,
  "populate--": true,
  "unknown-options-as-args": true,
  "nargs-eats-options": true,
  "duplicate-arguments-array": true,
  "greedy-arrays": false,
  "boolean-negation": true,
  "camel-case-expansion": false,
  "dot-notation": false,
  "parse-numbers": false,
  "parse-positional-numbers": false,
  "strip-aliased": true,
  "strip-dashed": false,
} as const;

/**
 * A lone "-" is a non-option (a program named "-", or a value), but
 * yargs-parser's unknown-options-as-args counts it as an unknown option and
 * keeps parsing; it travels through yargs as this stand-in, which is a
 * non-option to it (no argv string can hold a NUL).
 */
const DASH = "\u0000-";

/** The spelling the user typed for an option (for messages): the last of its names before PROGRAM. */
function spelled(spec: OptSpec, region: readonly string[]): string {
  for (let i = region.length - 1; i >= 0; i--) {
    const m = /^(--?)([^=]+)/.exec(region[i]);
    if (m && BY_BARE.get(m[2]) === spec) return m[1] + m[2];
  }
  return spec.names[0];
}

/** yargs' own complaints (nargs), as the one-line messages x64emu gives. */
function yargsFailure(msg: string, args: readonly string[]): UsageError {
  let m = /^Not enough arguments following: (.+)$/.exec(msg);
  if (m) {
    // a value option can only run out of arguments at the very end
    const spec = BY_BARE.get(m[1]);
    const name = args[args.length - 1] ?? m[1];
    return new UsageError(`option '${name}' needs an argument${spec?.meta ? ` (${spec.meta})` : ""}`);
  }
  m = /^Argument unexpected for: (.+)$/.exec(msg);
  if (m) {
    const typed = args.find((a) => a.startsWith("-") && a.replace(/^--?/, "").split("=")[0] === m![1]);
    return new UsageError(`option '${typed ? typed.split("=")[0] : "--" + m[1]}' takes no argument`);
  }
  return new UsageError(msg);
}

/** Parse the command line (without node and the script), with defaults from `env` (X64EMU_*). */
export function parseCommandLine(args: readonly string[], env: Record<string, string | undefined> = {}): ParsedCommandLine {
  const input = args.map((a) => (a === "-" ? DASH : a));
  const undash = (v: unknown) => (v === DASH ? "-" : v);
  let argv: Record<string, unknown>;
  try {
    argv = yargs()
      .scriptName("x64emu")
      .locale("en")
      .help(false)
      .version(false)
      .exitProcess(false)
      .parserConfiguration(PARSER_CONFIGURATION)
      .options(YARGS_OPTIONS)
      .fail((msg: string | null, err: Error | undefined) => {
        throw yargsFailure(msg ?? err?.message ?? "bad command line", args);
      })
      .parseSync(input);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  const rest = ((argv["--"] as string[] | undefined) ?? []).map((a) => String(undash(a)));
  const region = args.slice(0, args.length - rest.length);
  const unknown = (argv._ as unknown[]).map(String); // only unknown options can be in _
  if (unknown.length > 0) throw new UsageError(`unknown option '${unknown[0].startsWith("--") ? unknown[0].split("=")[0] : unknown[0]}'`);

  const opts = defaults();
  const given: Partial<Record<keyof CliOptions, string>> = {};
  for (const [key, spec] of BY_KEY) {
    const v = argv[key];
    if (v === undefined) continue;
    const values = (Array.isArray(v) ? v : [v]).map(undash);
    const name = spelled(spec, region);
    if (spec.kind === "flag") {
      // --no-X: yargs' negation of the flag X
      assign(opts, values[values.length - 1] === false ? { ...spec, kind: "off" } : spec, name, undefined);
    } else {
      // yargs' --no-X of an option that takes a value: not an option of ours
      const bad = values.find((x) => typeof x !== "string");
      if (bad !== undefined) throw new UsageError(`unknown option '--no-${key}'`);
      if (spec.kind === "list" || spec.kind === "commas") for (const x of values) assign(opts, spec, name, x as string);
      else assign(opts, spec, name, values[values.length - 1] as string);
    }
    given[spec.key] = name;
  }
  // environment variables: defaults that the command line overrides
  for (const spec of OPTIONS) {
    if (!spec.env || given[spec.key] !== undefined) continue;
    const v = env[spec.env];
    if (v === undefined || v === "") continue;
    given[spec.key] = spec.env;
    if (spec.kind === "flag") {
      if (v !== "0") assign(opts, spec, spec.env, undefined);
    } else assign(opts, spec, spec.env, v);
  }
  for (const item of opts.debugItems) {
    if (item === "strace") opts.strace = true;
    else if (item in DEBUG_ITEMS) opts.trace = true;
    else if (item === "help") opts.debugHelp = true;
    else throw new UsageError(`-d: unknown item '${item}' (known: ${Object.keys(DEBUG_ITEMS).join(", ")})`);
  }
  if (opts.logFile !== undefined) {
    if (opts.trace && opts.traceFile === undefined) [opts.traceFile, given.traceFile] = [opts.logFile, given.logFile];
    if (opts.strace && opts.straceFile === undefined) [opts.straceFile, given.straceFile] = [opts.logFile, given.logFile];
  }
  if (opts.straceFile !== undefined) opts.strace = true;
  if (opts.install && !opts.binfmt) throw new UsageError("--install goes with --binfmt");
  return { opts, rest, given };
}

/** The text of `--help`. */
export function helpText(width = 100): string {
  const lines = [
    "Usage: x64emu [options] PROGRAM [ARGS...]",
    "",
    "Runs an x86-64 Linux ELF executable. Everything after PROGRAM is passed to it unchanged.",
    "",
    "Options:",
  ];
  const left = (o: OptSpec) => o.names.join(", ") + (o.meta ? ` ${o.meta}` : "");
  const col = Math.min(36, Math.max(...OPTIONS.map((o) => left(o).length)) + 2);
  for (const o of OPTIONS) {
    const l = left(o);
    const help = o.help + (o.env ? ` [env ${o.env}]` : "");
    const pad = l.length + 2 >= col ? `\n${" ".repeat(col + 2)}` : " ".repeat(col - l.length);
    lines.push(wrap(`  ${l}${pad}${help}`, width, col + 2));
  }
  lines.push(
    "",
    "Exit status: the guest's; death by the guest's signal (the shell shows 128+N); 127 when PROGRAM",
    "does not exist, 126 when it cannot be run; 2 for a wrong command line (also an output file",
    "that cannot be created, a --gdb port that cannot be listened on).",
  );
  return lines.join("\n") + "\n";
}

function wrap(line: string, width: number, indent: number): string {
  if (line.length <= width) return line;
  const out: string[] = [];
  let cur = "";
  for (const word of line.split(/(?<=\S) (?=\S)/)) {
    if (cur && cur.length + 1 + word.length > width) {
      out.push(cur);
      cur = " ".repeat(indent) + word.trimStart();
    } else cur = cur ? `${cur} ${word}` : word;
  }
  out.push(cur);
  return out.join("\n");
}
