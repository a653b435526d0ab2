/**
 * Dynamically linked programs: the host's own binaries (Debian's coreutils,
 * grep, sed, awk, gzip, tar, perl, python3...) run by absolute path under
 * x64emu give the native output, and so do hello programs built here with
 * plain gcc and musl-gcc. The sysroot option (-L) finds an interpreter that
 * only exists under the sysroot, through a symlink with an absolute target.
 * Programs missing on the host are skipped with the reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX } from "./helpers/asm.js";

const dir = fs.mkdtempSync("/tmp/x64emu-dyn-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "in.txt"), "pear 3\napple 10\nfig 7\nbanana 2\n");
fs.writeFileSync(path.join(dir, "other.txt"), "pear 3\napple 11\nfig 7\n");
fs.mkdirSync(path.join(dir, "sub"));
fs.writeFileSync(path.join(dir, "sub/a"), "a\n");
const env = { PATH: "/usr/bin:/bin", LC_ALL: "C", TZ: "UTC", HOME: dir, RUST_BACKTRACE: "0" };

function run(argv: string[], emulated: boolean, input?: string, extraEnv?: Record<string, string>) {
  const [cmd, args] = emulated ? [process.execPath, [CLI, ...argv]] : [argv[0], argv.slice(1)];
  const r = spawnSync(cmd, args, { cwd: dir, env: { ...env, ...extraEnv }, input, encoding: "latin1", timeout: 240000 });
  return { stdout: r.stdout, stderr: r.stderr.replace(/^\S*x64emu\S*: /gm, ""), status: r.status, signal: r.signal };
}

const has = (p: string) => fs.existsSync(p);
const CASES: Array<{ argv: string[]; input?: string }> = [
  { argv: ["/bin/true"] },
  { argv: ["/bin/false"] },
  { argv: ["/bin/echo", "hello", "world"] },
  { argv: ["/bin/ls", "-la", "--time-style=+", "sub"] },
  { argv: ["/bin/ls", "-R", "."] },
  { argv: ["/usr/bin/sort", "-k2", "-n", "in.txt"] },
  { argv: ["/usr/bin/cut", "-d", " ", "-f1", "in.txt"] },
  { argv: ["/usr/bin/tr", "a-z", "A-Z"], input: "Hello, World\n" },
  { argv: ["/usr/bin/wc", "in.txt"] },
  { argv: ["/usr/bin/od", "-A", "x", "-t", "x1z", "in.txt"] },
  { argv: ["/usr/bin/base64", "in.txt"] },
  { argv: ["/usr/bin/md5sum", "in.txt"] },
  { argv: ["/usr/bin/sha256sum", "in.txt", "other.txt"] },
  { argv: ["/bin/date", "-u", "-d", "@1234567890", "+%F %T %A"] },
  { argv: ["/usr/bin/seq", "-s", ",", "1", "3", "20"] },
  { argv: ["/usr/bin/expr", "12", "*", "7"] },
  { argv: ["/usr/bin/stat", "-c", "%n %s %F %a", "in.txt", "sub"] },
  { argv: ["/bin/grep", "-E", "^(pear|fig) [0-9]+$", "in.txt"] },
  { argv: ["/bin/sed", "-e", "s/a/A/g", "-e", "2d", "in.txt"] },
  { argv: ["/usr/bin/awk", "{ s += $2 } END { print s, NR }", "in.txt"] },
  { argv: ["/usr/bin/find", ".", "-name", "*.txt"] },
  { argv: ["/usr/bin/diff", "in.txt", "other.txt"] },
  { argv: ["/usr/bin/cmp", "in.txt", "other.txt"] },
  { argv: ["/bin/gzip", "-c", "-n", "in.txt"] },
  { argv: ["/usr/bin/perl", "-e", 'my %h = map { $_ => length } qw(a bb ccc); print join(",", map { "$_=$h{$_}" } sort keys %h), "\\n"'] },
];

describe.skipIf(!IS_X86_64_LINUX)("host dynamically linked programs give the native output", () => {
  for (const c of CASES) {
    it.skipIf(!has(c.argv[0]))(c.argv.join(" "), () => {
      const n = run(c.argv, false, c.input);
      const e = run(c.argv, true, c.input);
      expect(e).toEqual(n);
    });
  }
  it.skipIf(!has("/bin/gzip") || !has("/bin/tar"))("tar creates and extracts, gzip -d reads back", () => {
    expect(run(["/bin/tar", "cf", "x.tar", "in.txt", "sub"], true)).toEqual({ stdout: "", stderr: "", status: 0, signal: null });
    expect(run(["/bin/tar", "tvf", "x.tar"], true)).toEqual(run(["/bin/tar", "tvf", "x.tar"], false));
    fs.mkdirSync(path.join(dir, "out"));
    expect(run(["/bin/tar", "xf", "x.tar", "-C", "out"], true).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "out/in.txt"), "latin1")).toBe(fs.readFileSync(path.join(dir, "in.txt"), "latin1"));
    expect(fs.readFileSync(path.join(dir, "out/sub/a"), "latin1")).toBe("a\n");
    const gz = run(["/bin/gzip", "-c", "-n", "in.txt"], false);
    fs.writeFileSync(path.join(dir, "in.gz"), gz.stdout, "latin1");
    expect(run(["/bin/gzip", "-d", "-c", "in.gz"], true).stdout).toBe(fs.readFileSync(path.join(dir, "in.txt"), "latin1"));
  });
  it.skipIf(!has("/bin/sh") || !has("/usr/bin/head"))("stdin redirected from a file seeks: head gives back what it read past its lines, cat goes on from there", () => {
    // head reads 8 KiB, then lseek(0, -unread, SEEK_CUR): on a file stdin that works (it failed with ESPIPE)
    const go = (emulated: boolean) => {
      const argv = ["/bin/sh", "-c", "head -n 1; echo --; cat; head -n 1 </dev/null"];
      const [cmd, args] = emulated ? [process.execPath, [CLI, ...argv]] : [argv[0], argv.slice(1)];
      const fd = fs.openSync(path.join(dir, "in.txt"), "r"); // its own offset for each run
      try {
        const r = spawnSync(cmd, args, { cwd: dir, env, stdio: [fd, "pipe", "pipe"], encoding: "latin1", timeout: 240000 });
        return { stdout: r.stdout, stderr: r.stderr, status: r.status };
      } finally {
        fs.closeSync(fd);
      }
    };
    const n = go(false);
    expect(n.stdout).toBe("pear 3\n--\napple 10\nfig 7\nbanana 2\n");
    expect(go(true)).toEqual(n);
  });
  it.skipIf(!has("/usr/bin/perl"))("stdout redirected to a file: a seek that does not move leaves the host's offset in charge (a native shell writes after the guest)", () => {
    const go = (emulated: boolean) => {
      const perl = `/usr/bin/perl -e 'print sysseek(STDOUT, 0, 1) + 0, qq(\\n)'`;
      const out = path.join(dir, emulated ? "seek-emu.txt" : "seek-nat.txt");
      const r = spawnSync("/bin/sh", ["-c", `{ echo before; ${emulated ? `'${process.execPath}' '${CLI}' ` : ""}${perl}; echo after; } > '${out}'`], { cwd: dir, env, encoding: "latin1", timeout: 240000 });
      return { file: fs.readFileSync(out, "latin1"), stderr: r.stderr, status: r.status };
    };
    const n = go(false);
    expect(n.file).toBe("before\n7\nafter\n");
    expect(go(true)).toEqual(n);
  });
  it.skipIf(!has("/usr/bin/python3"))("python3 -c (json, hashlib, re)", () => {
    const argv = ["/usr/bin/python3", "-S", "-c", 'import json, hashlib, re; print(json.dumps({"k": [1, 2]}), hashlib.sha256(b"x").hexdigest()[:16], re.sub(r"(a+)", r"<\\1>", "baaad"))'];
    const e = run(argv, true);
    expect(e).toEqual(run(argv, false));
  });
});

const HELLO = '#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { printf("hello %s from %d args\\n", c > 1 ? v[1] : "nobody", c); char *p = malloc(100000); p[99999] = 1; free(p); return 3; }\n';
function build(cc: string, out: string): string | null {
  if (spawnSync("sh", ["-c", `command -v ${cc}`]).status !== 0) return null;
  const src = path.join(dir, "hello.c");
  fs.writeFileSync(src, HELLO);
  const exe = path.join(dir, out);
  execFileSync(cc, ["-O1", "-o", exe, src]);
  return exe;
}

describe.skipIf(!IS_X86_64_LINUX)("hello programs linked dynamically", () => {
  for (const [cc, name] of [
    ["gcc", "hello-glibc"],
    ["musl-gcc", "hello-musl"],
  ]) {
    it(`${cc} (dynamic)`, () => {
      const exe = build(cc, name);
      if (!exe) return console.log(`skipped: ${cc} not installed`);
      const n = run([exe, "x"], false);
      expect(n.stdout).toBe("hello x from 2 args\n");
      expect(run([exe, "x"], true)).toEqual(n);
    });
  }
  it("a Rust std program (collections, fmt, stderr, a caught panic, exit status)", () => {
    if (spawnSync("sh", ["-c", "command -v rustc"]).status !== 0) return console.log("skipped: rustc not installed");
    const src = path.join(dir, "hello.rs");
    fs.writeFileSync(
      src,
      'use std::collections::HashMap;\nuse std::io::Write;\nfn main() {\n  let mut m = HashMap::new();\n  for w in "a b c a b a".split(\' \') { *m.entry(w).or_insert(0) += 1; }\n  let mut v: Vec<_> = m.into_iter().collect();\n  v.sort();\n  println!("{:?}", v);\n  writeln!(std::io::stderr(), "args {}", std::env::args().count()).unwrap();\n  let r = std::panic::catch_unwind(|| { let x: Vec<i32> = vec![]; x[3] });\n  println!("caught {}", r.is_err());\n  std::process::exit(4);\n}\n',
    );
    const exe = path.join(dir, "hello-rust");
    execFileSync("rustc", ["-O", "-o", exe, src]);
    const tid = (r: ReturnType<typeof run>) => ({ ...r, stderr: r.stderr.replace(/thread 'main' \(\d+\)/, "thread 'main' (TID)") });
    const n = tid(run([exe, "x"], false));
    expect(n.stdout).toBe('[("a", 3), ("b", 2), ("c", 1)]\ncaught true\n');
    expect(tid(run([exe, "x"], true))).toEqual(n);
  });
  // std's backtrace symbolizer (gimli/addr2line: dl_iterate_phdr, mmap of the
  // binary, DWARF parsing, sorting its tables) died by SIGSEGV until 64-bit
  // effective addresses wrapped modulo 2^64 (aa9f060: an index*8 past 2^64
  // gave a non-canonical address). Thirty captures warm the JIT tiers on it,
  // then an uncaught panic prints its backtrace and exits 101.
  it("a Rust panic with RUST_BACKTRACE=1 prints the native backtrace (dynamic and static-pie)", () => {
    if (spawnSync("sh", ["-c", "command -v rustc"]).status !== 0) return console.log("skipped: rustc not installed");
    const src = path.join(dir, "bt.rs");
    fs.writeFileSync(
      src,
      'fn inner(n: u32) -> usize {\n  if n == 0 { std::backtrace::Backtrace::force_capture().to_string().lines().filter(|l| l.contains("bt::")).count() } else { inner(n - 1) }\n}\nfn main() {\n  let mut t = 0;\n  for i in 0..30 { t += inner(i % 4); }\n  println!("frames {}", t);\n  let v: Vec<u8> = Vec::new();\n  println!("{}", v[std::env::args().count() + 9]);\n}\n',
    );
    const tid = (r: ReturnType<typeof run>) => ({ ...r, stderr: r.stderr.replace(/thread 'main' \(\d+\)/, "thread 'main' (TID)") });
    for (const [name, flags] of [
      ["bt-rust", []],
      ["bt-rust-static", ["-C", "target-feature=+crt-static"]],
    ] as const) {
      const exe = path.join(dir, name);
      execFileSync("rustc", ["-O", "-C", "debuginfo=1", ...flags, "-o", exe, src]);
      const n = tid(run([exe], false, undefined, { RUST_BACKTRACE: "1" }));
      expect(n.status).toBe(101);
      expect(n.stderr).toMatch(/stack backtrace:\n +0: .*\n[^]* bt::main\n +at \.\/bt\.rs:9:/);
      expect(tid(run([exe], true, undefined, { RUST_BACKTRACE: "1" })), name).toEqual(n);
    }
  });
  it("-L/--sysroot and X64EMU_LD_PREFIX: the interpreter found under the sysroot through an absolute symlink", () => {
    const exe = build("musl-gcc", "hello-musl-sr");
    const ldso = "/lib/ld-musl-x86_64.so.1";
    if (!exe || !has(ldso)) return console.log("skipped: musl-gcc or its loader missing");
    // the interpreter path is one only the sysroot has (same length as the original)
    const b = fs.readFileSync(exe);
    const at = b.indexOf(ldso);
    expect(at).toBeGreaterThan(0);
    b.write("/xsr/ld-musl-x86_64.so.1", at);
    fs.writeFileSync(exe, b);
    const sr = path.join(dir, "sysroot");
    fs.mkdirSync(path.join(sr, "xsr"), { recursive: true });
    fs.mkdirSync(path.join(sr, "opt/musl"), { recursive: true });
    fs.copyFileSync(fs.realpathSync(ldso), path.join(sr, "opt/musl/libc.so"));
    fs.symlinkSync("/opt/musl/libc.so", path.join(sr, "xsr/ld-musl-x86_64.so.1"));
    const without = spawnSync(process.execPath, [CLI, exe], { encoding: "utf8", env });
    expect(without.status).toBe(126);
    expect(without.stderr).toMatch(/cannot find its program interpreter \/xsr\/ld-musl-x86_64.so.1/);
    for (const [args, e] of [
      [["-L", sr, exe, "sr"], env],
      [["--sysroot", sr, exe, "sr"], env],
      [[exe, "sr"], { ...env, X64EMU_LD_PREFIX: sr }],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: e });
      expect(r.stdout).toBe("hello sr from 2 args\n");
      expect(r.status).toBe(3);
    }
  });
});
