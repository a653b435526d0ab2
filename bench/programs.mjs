/**
 * The benchmark suite: what each program is, how it is started and the size
 * it takes for a full run, a --quick run and the unit test
 * (test/bench-programs.test.ts). Programs under bench/bin are committed static
 * binaries (bench/build.sh); the host's own dynamically linked programs are
 * used where present and skipped with a reason where not.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "bench/bin");
const BUSYBOX = "/usr/bin/busybox";
const PYTHON = "/usr/bin/python3";
const GZIP = "/usr/bin/gzip";

/** The fork-heavy loop: each iteration forks for $(...) and execs two static busybox applets. */
const SHELL_LOOP =
  'n=$1; i=0; s=0; while [ $i -lt $n ]; do v=$(' +
  BUSYBOX +
  ' expr $i \\* 3); s=$((s+v)); ' +
  BUSYBOX +
  " true; i=$((i+1)); done; echo forks $i sum $s";

/** Dictionary, JSON, hashing and sorting in CPython; $1 scales the dictionary. */
const PYTHON_SCRIPT =
  "import hashlib,json,sys; n=int(sys.argv[1]); d={str(i):i*i for i in range(n)}; s=json.dumps(d); " +
  "print(len(s), hashlib.sha256(s.encode()).hexdigest()[:16], sum(sorted(d.values())[::7]))";

/** A deterministic text file of about `lines` * 16 bytes for gzip, made once in the temp directory. */
function gzipInput(lines) {
  const file = path.join(os.tmpdir(), `x64emu-bench-gzip-${lines}.txt`);
  if (!fs.existsSync(file)) {
    const parts = [];
    let x = 1;
    for (let i = 0; i < lines; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      parts.push(`line ${i} ${x >>> 20}\n`);
    }
    fs.writeFileSync(file + ".tmp", parts.join(""));
    fs.renameSync(file + ".tmp", file);
  }
  return file;
}

const bin = (name) => path.join(BIN, name);

/**
 * Each entry: name, what it exercises, the program to run, argv for a size,
 * sizes { full, quick, test }; `slow` programs are left out of --quick unless
 * named with --only; `host` marks programs taken from the host (not committed).
 */
export const PROGRAMS = [
  { name: "sha256", about: "C, SHA-256 over N MiB", prog: bin("sha256"), argv: (n) => [n], sizes: { full: "4", quick: "1", test: "1" } },
  { name: "sieve", about: "C, sieve of Eratosthenes to N", prog: bin("sieve"), argv: (n) => [n], sizes: { full: "20000000", quick: "2000000", test: "100000" } },
  { name: "fib", about: "C, recursive fib(N)", prog: bin("fib"), argv: (n) => [n], sizes: { full: "30", quick: "24", test: "18" } },
  { name: "qsort", about: "C, qsort of N integers", prog: bin("qsort"), argv: (n) => [n], sizes: { full: "200000", quick: "20000", test: "2000" } },
  { name: "strops", about: "C, string functions", prog: bin("strops"), argv: (n) => [n], sizes: { full: "2000", quick: "200", test: "20" } },
  { name: "muldiv", about: "C, 64-bit multiply and divide", prog: bin("muldiv"), argv: (n) => [n], sizes: { full: "3000000", quick: "300000", test: "10000" } },
  { name: "threads", about: "C, 4 pthreads hashing, a mutex, joins", prog: bin("threads"), argv: (n) => [n], sizes: { full: "2000000", quick: "200000", test: "20000" } },
  { name: "cxx-map", about: "C++, std::map/unordered_map/string, iostream", prog: bin("cxx"), argv: (n) => ["map", n], sizes: { full: "200000", quick: "20000", test: "2000" } },
  { name: "cxx-exceptions", about: "C++, throw/catch through frames", prog: bin("cxx"), argv: (n) => ["exceptions", n], sizes: { full: "2000", quick: "200", test: "50" } },
  { name: "cxx-sharedptr", about: "C++, shared_ptr/weak_ptr, virtual calls", prog: bin("cxx"), argv: (n) => ["sharedptr", n], sizes: { full: "200", quick: "20", test: "2" } },
  { name: "rust", about: "Rust, HashMap/BTreeMap/String/sort", prog: bin("wordfreq"), argv: (n) => [n], sizes: { full: "200000", quick: "20000", test: "2000" } },
  { name: "go", about: "Go, goroutines on GOMAXPROCS=4, channels, GC", prog: bin("goroutines"), argv: (n) => [n], sizes: { full: "20000", quick: "2000", test: "200" } },
  {
    name: "shell-forks",
    about: "busybox sh, $(...) and exec of static applets in a loop",
    prog: BUSYBOX,
    host: true,
    argv: (n) => ["sh", "-c", SHELL_LOOP, "sh", n],
    sizes: { full: "100", quick: "10", test: "3" },
  },
  {
    name: "python3",
    about: "dynamic CPython, dict/json/hashlib/sorted",
    prog: PYTHON,
    host: true,
    slow: true,
    argv: (n) => ["-S", "-c", PYTHON_SCRIPT, n],
    sizes: { full: "20000", quick: "2000", test: "100" },
  },
  {
    name: "gzip",
    about: "dynamic gzip -c of a generated text file",
    prog: GZIP,
    host: true,
    argv: (n) => ["-c", gzipInput(Number(n))],
    sizes: { full: "200000", quick: "20000", test: "2000" },
  },
];

/** Why a program cannot run here, or null. */
export function unavailable(p) {
  if (!fs.existsSync(p.prog)) return p.host ? `${p.prog} is not installed on this host` : `${p.prog} is missing (bench/build.sh builds it)`;
  return null;
}
