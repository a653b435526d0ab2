/**
 * --strace against the real strace, line by line: static musl and glibc
 * programs and the lesson's fault programs run under `strace -f -o FILE`
 * and under `x64emu --strace-file FILE`, with the same arguments, stdin
 * and environment. Compared modulo addresses (hex numbers from 0x10000 up),
 * the process id, getrandom's bytes and the padding before ` = ` (which
 * depends on the addresses' lengths). Known differences of behaviour (not
 * of formatting) are listed in DEVIATIONS.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT, runEmu, tmpDir } from "./helpers/asm.js";
import { StraceOut } from "../src/kernel/strace/out.js";

const HAS_STRACE = IS_X86_64_LINUX && spawnSync("sh", ["-c", "command -v strace"]).status === 0 && spawnSync("strace", ["-o", "/dev/null", "/bin/true"]).status === 0;

/** Behaviour the emulator does not share with Linux yet: [call prefix, what to compare]. */
const DEVIATIONS: Array<[RegExp, string]> = [
  [/^rseq\(.*\) = .*/, "rseq(...)"], // glibc registers rseq; x64emu answers ENOSYS
];

/**
 * Calls x64emu does not implement yet answer ENOSYS: such a line is compared by
 * the call's name only (its out-arguments print as addresses after a failure).
 */
function unimplemented(emu: string[], native: string[]): [string[], string[]] {
  const e = [...emu];
  const n = [...native];
  e.forEach((l, j) => {
    if (/ = -1 ENOSYS /.test(l) && n[j] !== undefined && !/ = -1 ENOSYS /.test(n[j])) {
      e[j] = l.replace(/\(.*/, "(...) unimplemented");
      n[j] = n[j].replace(/\(.*/, "(...) unimplemented");
    }
  });
  return [e, n];
}

function normalize(lines: string[], pid: string): string[] {
  return lines.map((l) => {
    // the pid, where the kernel shows it (not in the program's own output)
    let s = (/^(getpid|gettid|getppid|set_tid_address|kill|tkill|tgkill)\(|^--- /.test(l) ? l.replace(new RegExp(`\\b${pid}\\b`, "g"), "PID") : l)
      .replace(`"${pid}"`, '"PID"') // the getpid fixture prints it
      .replace(/0x[0-9a-f]{5,}/g, "0xADDR")
      .replace(/\b\d{12,}\b/g, "ADDR") // addresses in decimal (a register restored by rt_sigreturn)
      .replace(/getrandom\("[^"]*"/, 'getrandom("RANDOM"')
      .replace(/\)\s+= /, ") = ");
    for (const [re, rep] of DEVIATIONS) if (re.test(s)) s = rep;
    return s;
  });
}

/** strace -f -o: each line starts with the pid; returns the lines without it and the pid. */
function straceNative(prog: string, args: string[], input: string, env: NodeJS.ProcessEnv): { lines: string[]; pid: string; raw: string[] } {
  const out = path.join(tmpDir(), `native-${path.basename(prog)}.txt`);
  spawnSync("strace", ["-f", "-o", out, prog, ...args], { input, env, timeout: 60000 });
  const raw = fs.readFileSync(out, "utf8").trimEnd().split("\n");
  const pid = /^(\d+) /.exec(raw[0])?.[1] ?? "";
  return { lines: raw.map((l) => l.replace(/^\d+ +/, "")), pid, raw };
}

function straceEmu(prog: string, args: string[], input: string, env: NodeJS.ProcessEnv): { lines: string[]; pid: string } {
  const out = path.join(tmpDir(), `emu-${path.basename(prog)}.txt`);
  const r = spawnSync(process.execPath, [CLI, "--strace-file", out, prog, ...args], { input, env, timeout: 60000 });
  return { lines: fs.readFileSync(out, "utf8").trimEnd().split("\n"), pid: String(r.pid) };
}

const env = { PATH: "/usr/bin:/bin", HOME: "/", LANG: "C" };
/**
 * Programs of several processes whose calls, task by task, do not depend on
 * timing. (Not: socktcp, procs and mmshared, whose reads of a pipe or
 * socket natively return what arrived so far, a race.)
 */
const MULTI = ["forkwait", "sockunix", "sockudp", "socktcp"];
/** Lines of a program that natively depend on timing, left out of its comparison: socktcp's reads return what arrived so far. */
const RACY: Record<string, RegExp> = { socktcp: /^read\(4, / };
const withoutRacy = (p: string, t: Record<string, string[]>) => {
  const re = RACY[p];
  if (re) for (const k of Object.keys(t)) t[k] = t[k].filter((l) => !re.test(l));
  return t;
};

/** The single-task cases: program, arguments, stdin. */
const CASES: Array<[string, string[], string]> = [];
for (const libc of ["musl", "glibc"]) {
  // (glibc's malloc is left out: its brk trimming depends on where the heap starts, randomized natively)
  for (const p of ["printf", "cat", "signals", "abort", "sigfix", "files", "args", "stracecalls", ...(libc === "musl" ? ["malloc"] : [])]) CASES.push([`fixtures/bin/${libc}/${p}`, p === "args" ? ["one", "two words", ""] : [], "line one\nline two\n"]);
}
for (const p of ["hello", "false", "nullread", "divzero", "int3", "hlt", "ud2", "writero", "selfkill", "getpid"]) CASES.push([`fixtures/bin/${p}`, [], ""]);

/**
 * Recorded strace -f output (test/golden/strace/), so that the comparison
 * holds where strace is not installed: written by the live comparisons when
 * X64EMU_RECORD_STRACE=1, compared with x64emu's output by the tests below.
 * What depends on the checkout is taken out: the execve line (its path is
 * cut at 32 bytes) and the checkout's path. (`files` works in a temporary
 * directory, whose name is in its lines: not recorded.)
 */
const GOLDEN = path.join(ROOT, "test/golden/strace");
const goldenFile = (rel: string) => path.join(GOLDEN, rel.replace(/^fixtures\/bin\//, "").replace(/\//g, "-") + ".json");
const RECORD = process.env.X64EMU_RECORD_STRACE === "1";
/** A listing of a directory other tests write in (sockunix lists /tmp): the number of entries is the host's. */
const hostDir = (l: string) => l.replace(/^(getdents64\(.*)\/\* \d+ entries \*\/(.*) = \d+$/, "$1/* N entries */$2 = N");
function portable(lines: string[]): string[] {
  // a string in the checkout (or its first 32 bytes), and the length a call returns for it (readlink, getcwd)
  const inRoot = (q: string) => q.length >= 8 && (q.startsWith(ROOT) || ROOT.startsWith(q));
  return lines.map((l) => {
    if (/^execve\(/.test(l)) return "execve(PROGRAM) = 0";
    if (/^getdents64\(/.test(l)) return hostDir(l);
    // (the getpid fixture writes its pid: its length is the host's)
    if (l.includes('"PID"')) return l.replace(/"PID", \d+\) = \d+$/, '"PID", N) = N');
    const p = l.replace(/"([^"]*)"(\.\.\.)?/g, (m, q: string) => (inRoot(q) ? '"$ROOT..."' : m));
    return p === l ? l : p.replace(/= \d+$/, "= N");
  });
}
function record(rel: string, value: unknown): void {
  if (!RECORD || rel.endsWith("/files")) return;
  fs.mkdirSync(GOLDEN, { recursive: true });
  fs.writeFileSync(goldenFile(rel), JSON.stringify(value, null, 1) + "\n");
}

describe.skipIf(!HAS_STRACE)("--strace matches strace -f", () => {
  for (const [rel, args, input] of CASES) {
    const prog = path.join(ROOT, rel);
    it.skipIf(!fs.existsSync(prog))(rel, () => {
      const dir = path.join(tmpDir(), "work");
      const argv = rel.endsWith("/files") ? [dir] : args;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const n = straceNative(prog, argv, input, env);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const e = straceEmu(prog, argv, input, env);
      record(rel, portable(normalize(n.lines, n.pid)));
      const [emu, nat] = unimplemented(normalize(e.lines, e.pid), normalize(n.lines, n.pid));
      expect(emu).toEqual(nat);
    });
  }
});

describe("--strace matches recorded strace -f output", () => {
  for (const [rel, args, input] of CASES) {
    const prog = path.join(ROOT, rel);
    const file = goldenFile(rel);
    it.skipIf(!fs.existsSync(prog) || !fs.existsSync(file))(rel, () => {
      const e = straceEmu(prog, args, input, env);
      const want = JSON.parse(fs.readFileSync(file, "utf8")) as string[];
      const [emu, nat] = unimplemented(portable(normalize(e.lines, e.pid)), want);
      expect(emu).toEqual(nat);
    });
  }
  for (const libc of ["musl", "glibc"]) {
    for (const p of MULTI) {
      const rel = `fixtures/bin/${libc}/${p}`;
      const prog = path.join(ROOT, rel);
      const file = goldenFile(rel);
      it.skipIf(!fs.existsSync(prog) || !fs.existsSync(file))(`${rel} (task by task)`, () => {
        const e = straceEmu(prog, [], "", env);
        const got = withoutRacy(p, perTask(e.lines, e.pid));
        for (const k of Object.keys(got)) got[k] = portable(got[k]);
        expect(got).toEqual(JSON.parse(fs.readFileSync(file, "utf8")));
      });
    }
  }
});

/**
 * strace -f's lines of each task, in order: prefixes (`[pid N] ` of --strace,
 * `N ` of strace -o) off, `<unfinished ...>` and `<... NAME resumed>` halves
 * joined into one line, tids renamed by who made them (P, P.1 its first
 * child or thread, P.1.1...). SIGCHLD lines are set apart as a sorted list
 * per task: when one comes relative to the parent's calls is a race natively.
 */
function perTask(raw: string[], first: string): Record<string, string[]> {
  const open = new Map<string, string>();
  const seq = new Map<string, string[]>();
  for (const l of raw) {
    const m = /^(?:\[pid +(\d+)\] |(\d+) +)/.exec(l);
    const pid = m ? (m[1] ?? m[2]) : first;
    let text = l.slice(m ? m[0].length : 0);
    const resumed = /^<\.\.\. [a-z0-9_]+ resumed>/.exec(text);
    if (resumed) text = (open.get(pid) ?? "?") + text.slice(resumed[0].length);
    else if (text.endsWith(" <unfinished ...>")) {
      open.set(pid, text.slice(0, -" <unfinished ...>".length));
      continue;
    }
    if (!seq.has(pid)) seq.set(pid, []);
    seq.get(pid)!.push(text);
  }
  const names = new Map<string, string>([[first, "P"]]);
  const todo = [first];
  while (todo.length > 0) {
    const pid = todo.shift()!;
    let n = 0;
    for (const l of seq.get(pid) ?? []) {
      const c = /^(?:clone3?|v?fork)\(.*\) += (\d+)$/.exec(l);
      if (c && !names.has(c[1])) {
        names.set(c[1], `${names.get(pid)}.${++n}`);
        todo.push(c[1]);
      }
    }
  }
  // (ports are the host's choice)
  const rename = (l: string) => l.replace(/\b\d{2,}\b/g, (x) => names.get(x) ?? x).replace(/htons\(\d+\)/g, "htons(PORT)");
  const out: Record<string, string[]> = {};
  for (const [pid, lines] of seq) {
    const name = names.get(pid) ?? `unknown ${pid}`;
    // (a read that a traced task's ignored signal interrupted and strace saw restarted: an effect of the tracing, natively a race)
    const all = normalize(lines.map(rename), "PID")
      .map(hostDir)
      .filter((l) => !/ = \? ERESTARTSYS /.test(l))
      .map((l) => l.replace(/sun_path=@"[0-9a-f]{5}"/, 'sun_path=@"AUTOBIND"'));
    out[name] = all.filter((l) => !l.startsWith("--- SIGCHLD "));
    const chld = all.filter((l) => l.startsWith("--- SIGCHLD ")).sort();
    if (chld.length > 0) out[`${name} SIGCHLD`] = chld;
  }
  return out;
}

describe.skipIf(!HAS_STRACE)("--strace of several tasks matches strace -f, task by task", () => {
  for (const libc of ["musl", "glibc"]) {
    for (const p of MULTI) {
      const rel = `fixtures/bin/${libc}/${p}`;
      const prog = path.join(ROOT, rel);
      it.skipIf(!fs.existsSync(prog))(rel, () => {
        const n = straceNative(prog, [], "", env);
        const e = straceEmu(prog, [], "", env);
        const want = withoutRacy(p, perTask(n.raw, n.pid));
        const portableWant: Record<string, string[]> = {};
        for (const k of Object.keys(want)) portableWant[k] = portable(want[k]);
        record(rel, portableWant);
        expect(Object.keys(want).length).toBeGreaterThan(1);
        expect(withoutRacy(p, perTask(e.lines, e.pid))).toEqual(want);
      });
    }
  }
});

describe.skipIf(!HAS_STRACE)("--strace of threads prints futex as strace -f", () => {
  // which futex calls a run makes is a race (contention); each form x64emu prints must be one strace prints for the program
  const shapes = (lines: Record<string, string[]>) =>
    new Set(
      Object.values(lines)
        .flat()
        .filter((l) => l.startsWith("futex("))
        .map((l) => l.replace(/\) += .*/, ")").replace(/0xADDR|\b\d+\b/g, "N")),
    );
  for (const libc of ["musl", "glibc"]) {
    for (const p of ["threads", "robust"]) {
      const prog = path.join(ROOT, "fixtures/bin", libc, p);
      it.skipIf(!fs.existsSync(prog))(`${libc}/${p}`, () => {
        const n = straceNative(prog, [], "", env);
        const e = straceEmu(prog, [], "", env);
        const want = shapes(perTask(n.raw, n.pid));
        const got = shapes(perTask(e.lines, e.pid));
        expect(got.size).toBeGreaterThan(0);
        expect([...got].filter((l) => !want.has(l))).toEqual([]);
      });
    }
  }
});

describe.skipIf(!HAS_STRACE)("--strace job control lines match strace -f", () => {
  // the signal lines only (the order of lines of different tasks is the scheduler's): stops, SIGCHLD's fields, SIGCONT shown though ignored
  // (each task's lines as a set, and the tasks as a set: natively the order is a race)
  // (lines as `[pid N] ...` from --strace, `N ...` from strace -o; unprefixed ones are the first process's)
  const sigLines = (lines: string[], first: string) => {
    const byPid = new Map<string, string[]>();
    for (const l of lines) {
      if (!/--- (SIG|stopped by )/.test(l)) continue;
      const m = /^(?:\[pid +(\d+)\]|(\d+)) +/.exec(l);
      const pid = m ? (m[1] ?? m[2]) : first;
      if (!byPid.has(pid)) byPid.set(pid, []);
      byPid.get(pid)!.push(l.slice(m ? m[0].length : 0).replace(/\b\d{3,}\b/g, "N"));
    }
    // (within a task too: signals from different children reach a parent in a racy order natively)
    return [...byPid.values()].map((seq) => seq.sort().join("\n")).sort();
  };
  for (const libc of ["musl", "glibc"]) {
    const prog = path.join(ROOT, "fixtures/bin", libc, "jobctl");
    it.skipIf(!fs.existsSync(prog))(`${libc}/jobctl`, () => {
      const n = straceNative(prog, [], "", env);
      const e = straceEmu(prog, [], "", env);
      const want = sigLines(n.raw, n.pid);
      expect(want.join("\n")).toContain("--- stopped by SIGTSTP ---");
      expect(want.some((l) => l.includes("si_code=CLD_CONTINUED") && l.includes("si_status=SIGCONT, si_utime=0, si_stime=0}"))).toBe(true);
      expect(sigLines(e.lines, e.pid)).toEqual(want);
    });
  }
});

describe("--strace formatting", () => {
  it("aligns results at strace's column 40 and ends with the exit line", () => {
    const r = runEmu(["--strace", path.join(ROOT, "fixtures/bin/false")]);
    const lines = r.stderr.trimEnd().split("\n");
    // on a failure, show everything the run wrote and how it ended (it once failed in CI with an unknown first line)
    const why = `status ${r.status}, signal ${r.signal}, stderr:\n${r.stderr}`;
    // strace shortens strings past 32 bytes to "..."...: a long checkout path (CI's) shortens argv[0]
    expect(lines[0], why).toMatch(/^execve\(".*false", \[".*"(\.\.\.)?\], 0x[0-9a-f]+ \/\* \d+ vars? \*\/\) = 0$/);
    expect(lines.slice(1), why).toEqual([`exit(1)${" ".repeat(39 - 7)} = ?`, "+++ exited with 1 +++"]);
  });

  it("counts execve's environment as strace does: /* 1 var */ for one entry, /* 0 vars */ for none", () => {
    const prog = path.join(ROOT, "fixtures/bin/false");
    for (const [env, text] of [[{ A: "1" }, "1 var"], [{}, "0 vars"], [{ A: "1", B: "2" }, "2 vars"]] as const) {
      const r = runEmu(["--strace", prog], { env });
      expect(r.stderr.split("\n")[0], r.stderr).toMatch(new RegExp(`^execve\\(.*, 0x[0-9a-f]+ /\\* ${text} \\*/\\) = 0$`));
    }
  });

  it("--string-limit N shortens strings as strace -s N does", () => {
    const r = runEmu(["--strace", "--string-limit", "5", path.join(ROOT, "fixtures/bin/hello")]);
    expect(r.stderr).toMatch(/^write\(1, "Hello"\.\.\., 14\) += 14$/m);
  });

  it("a death by signal has its --- line and no (core dumped): x64emu writes no core", () => {
    const r = runEmu(["--strace", path.join(ROOT, "fixtures/bin/nullread")]);
    expect(r.stderr).toMatch(/^--- SIGSEGV \{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL\} ---$/m);
    expect(r.stderr).toMatch(/^\+\+\+ killed by SIGSEGV \+\+\+$/m);
  });

  it.skipIf(!HAS_STRACE)("waitid's siginfo is decoded as strace -f decodes it (childsig: exit and signal deaths)", () => {
    for (const libc of ["musl", "glibc"]) {
      const prog = path.join(ROOT, "fixtures/bin", libc, "childsig");
      if (!fs.existsSync(prog)) continue;
      // the siginfo of each waitid, whole line or resumed half; the kernel leaves si_utime/si_stime unwritten (stack garbage natively)
      const infos = (lines: string[]) =>
        lines
          .filter((l) => /waitid(\(| resumed>)/.test(l) && l.includes("{si_signo"))
          .map((l) => /\{si_signo=[^}]*\}/.exec(l)![0].replace(/\bsi_pid=\d+/, "si_pid=N").replace(/si_([us])time=[^,}]*/g, "si_$1time=T"));
      const n = infos(straceNative(prog, [], "", env).lines);
      expect(n.length, libc).toBe(7);
      expect(infos(straceEmu(prog, [], "", env).lines), libc).toEqual(n);
    }
  });

  it.skipIf(!HAS_STRACE)("rt_sigtimedwait's set, siginfo (SI_QUEUE and SI_TIMER values) and signal result as strace -f prints them", () => {
    for (const libc of ["musl", "glibc"]) {
      const prog = path.join(ROOT, "fixtures/bin", libc, "sigwaittimers");
      if (!fs.existsSync(prog)) continue;
      // the shape (numbers and addresses left out) of what follows the set in each rt_sigtimedwait, from its
      // whole line or its resumed half: x64emu prints no shape strace does not
      const shapes = (lines: string[]) =>
        new Set(
          lines
            .map((l) => l.replace(/^\[pid +\d+\] /, ""))
            .filter((l) => (l.startsWith("rt_sigtimedwait(") && !l.endsWith("<unfinished ...>")) || l.startsWith("<... rt_sigtimedwait resumed>"))
            .map((l) => l.replace(/^rt_sigtimedwait\((\[[^\]]*\]|0x[0-9a-f]+), |^<\.\.\. rt_sigtimedwait resumed>/, ""))
            .map((l) => l.replace(/0x[0-9a-f]+/g, "X").replace(/\d+/g, "N").replace(/\)\s+= /, ") = ")),
        );
      const n = shapes(straceNative(prog, [], "", env).lines);
      const e = shapes(straceEmu(prog, [], "", env).lines);
      // (which signal musl's SIGEV_THREAD helper takes at timer_delete is a race natively: only the values' shapes)
      const valued = [...e].filter((l) => /si_code=SI_(TIMER|QUEUE)/.test(l));
      expect(valued.length, libc).toBeGreaterThan(1);
      expect(valued.filter((l) => !n.has(l)), libc).toEqual([]);
    }
  });

  it("a call that sends SIGKILL to its own process ends `= ?`, as strace -f shows it (it never returns)", () => {
    for (const libc of ["musl", "glibc"]) {
      const prog = path.join(ROOT, "fixtures/bin", libc, "childsig");
      if (!fs.existsSync(prog)) {
        console.log(`skipped: fixtures/bin/${libc}/childsig not built`);
        continue;
      }
      const r = runEmu(["--strace", prog]);
      expect(r.stderr, libc).toMatch(/^\[pid +\d+\] t?g?kill\((\d+, )+SIGKILL\) += \?$/m);
      expect(r.stderr, libc).not.toMatch(/kill\((\d+, )+SIGKILL\) += 0$/m);
    }
  });

  it("a call blocked while another task's line comes ends <unfinished ...> and ends later as <... NAME resumed>, as strace -f", () => {
    const prog = path.join(ROOT, "fixtures/bin/musl/sockunix");
    if (!fs.existsSync(prog)) return console.log("skipped: fixtures/bin/musl/sockunix not built");
    const r = runEmu(["--strace", prog]);
    const lines = r.stderr.trimEnd().split("\n");
    // the parent waits for its child's answer: its read's head (the fd and strace's ", ") is printed, then the child's lines
    const open = lines.findIndex((l) => /^\[pid +\d+\] read\(3,  <unfinished \.\.\.>$/.test(l));
    expect(open, r.stderr).toBeGreaterThan(0);
    const resumed = lines.findIndex((l) => /^(\[pid +\d+\] )?<\.\.\. read resumed>"HELLO CHILD", 64\) += 11$/.test(l));
    expect(resumed, r.stderr).toBeGreaterThan(open + 1);
    expect(lines.slice(open + 1, resumed).some((l) => l.includes("write(4, \"HELLO CHILD\", 11)"))).toBe(true);
    // a call that completes before another line is written stays whole
    expect(lines.some((l) => /^\[pid +\d+\] write\(3, "hello child", 11\) += 11$/.test(l))).toBe(true);
  });

  it("with several tasks, lines get strace -f's [pid N] prefix from the moment the second one exists", () => {
    const prog = path.join(ROOT, "fixtures/bin/musl/forkwait");
    if (!fs.existsSync(prog)) return console.log("skipped: fixtures/bin/musl/forkwait not built");
    const r = runEmu(["--strace", prog]);
    expect(r.stdout).toBe("child\nparent 3\n");
    const lines = r.stderr.trimEnd().split("\n");
    const fork = lines.findIndex((l) => /^(fork|clone)\(/.test(l));
    expect(fork).toBeGreaterThan(0);
    const child = /= (\d+)$/.exec(lines[fork])![1];
    const line = (head: string, res: string) => `${head.padEnd(39)} = ${res}`;
    expect(lines).toContain(line(`[pid ${child}] write(1, "child\\n", 6)`, "6"));
    expect(lines).toContain(`[pid ${child}] +++ exited with 3 +++`);
    // the parent's wait4 blocks while the child's lines come: strace -f's unfinished and resumed halves
    expect(lines.some((l) => new RegExp(`^\\[pid +\\d+\\] wait4\\(${child},  <unfinished \\.\\.\\.>$`).test(l)), r.stderr).toBe(true);
    expect(lines).toContain(line(`<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL)`, child));
    // the SIGCHLD the child's exit sent (ignored, shown because traced) comes when wait4 has returned, as natively
    const sigchld = lines.findIndex((l) => l.startsWith("--- SIGCHLD {"));
    expect(sigchld).toBe(lines.findIndex((l) => l.startsWith("<... wait4 resumed>")) + 1);
    expect(lines[lines.length - 1]).toBe("+++ exited with 0 +++");
  });
});

describe("--strace's open lines of blocked calls (strace -f's model: a head printed at entry, ended by the next line)", () => {
  const run = (steps: (o: StraceOut, w: string[]) => void) => {
    const w: string[] = [];
    steps(new StraceOut((l) => w.push(l)), w);
    return w;
  };
  const text = (whole: string, resumed: string) => (r: boolean) => (r ? resumed : whole);
  it("a blocked call that completes before any other line prints whole", () => {
    expect(run((o) => o.finish(o.park(1, "read(3, "), text("read(3, \"a\", 1) = 1", "<... read resumed>\"a\", 1) = 1")))).toEqual(['read(3, "a", 1) = 1']);
  });
  it("another task's line ends it; its end is the resumed half", () => {
    const w = run((o) => {
      const a = o.park(1, "[pid 1] read(3, ");
      o.line("[pid 2] getpid() = 2");
      o.finish(a, text("whole", "[pid 1] <... read resumed>\"a\", 1) = 1"));
    });
    expect(w).toEqual(["[pid 1] read(3,  <unfinished ...>", "[pid 2] getpid() = 2", '[pid 1] <... read resumed>"a", 1) = 1']);
  });
  it("two blocked calls: the first one's entry was ended by the second's; the later one still open ends whole", () => {
    const w = run((o) => {
      const a = o.park(1, "[pid 1] wait4(-1, ");
      const b = o.park(2, "[pid 2] read(0, ");
      o.finish(b, text("[pid 2] read(0, \"\", 1) = 0", "resumed"));
      o.finish(a, text("whole", "[pid 1] <... wait4 resumed>NULL, 0, NULL) = 2"));
    });
    expect(w).toEqual(["[pid 1] wait4(-1,  <unfinished ...>", '[pid 2] read(0, "", 1) = 0', "[pid 1] <... wait4 resumed>NULL, 0, NULL) = 2"]);
  });
  it("the first of two blocked calls ending: both heads are ended first", () => {
    const w = run((o) => {
      const a = o.park(1, "[pid 1] read(3, ");
      o.park(2, "[pid 2] futex(0x1000, FUTEX_WAIT, 0, NULL");
      o.finish(a, text("whole", "[pid 1] <... read resumed>) = 0"));
    });
    expect(w).toEqual(["[pid 1] read(3,  <unfinished ...>", "[pid 2] futex(0x1000, FUTEX_WAIT, 0, NULL <unfinished ...>", "[pid 1] <... read resumed>) = 0"]);
  });
  it("a call restarted quietly keeps its open line: shown unfinished, its end is resumed", () => {
    const w = run((o) => {
      const a = o.park(1, "read(3, ");
      o.line("[pid 2] write(4, \"x\", 1) = 1");
      o.restart(a);
      expect(o.resumesRestarted(1)).toBe(true);
    });
    expect(w).toEqual(["read(3,  <unfinished ...>", '[pid 2] write(4, "x", 1) = 1']);
  });
});
