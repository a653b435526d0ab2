/**
 * The multi-task kernel: pthread programs (threads, futexes), processes
 * (fork, wait, pipes, execve, vfork, posix_spawn) and busybox shell
 * pipelines, each compared with the native run.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, IS_X86_64_LINUX, ROOT, runEmu, runNative, shellStatus, tmpDir } from "./helpers/asm.js";

if (!IS_X86_64_LINUX) console.log("task tests skipped: they compare with a native run (x86-64 Linux host needed)");

const PROGRAMS: Array<{ prog: string; tiers: string[][] }> = [
  { prog: "threads", tiers: [[], ["--no-jit"]] },
  { prog: "procs", tiers: [[]] },
  { prog: "sleepint", tiers: [[]] },
  { prog: "orphans", tiers: [[]] },
  { prog: "jobctl", tiers: [[]] },
  { prog: "mmshared", tiers: [[], ["--no-jit"]] },
  { prog: "robust", tiers: [[]] },
  { prog: "childsig", tiers: [[]] },
];

for (const libc of ["musl", "glibc"]) {
  describe.skipIf(!IS_X86_64_LINUX)(`tasks: ${libc} programs`, () => {
    for (const c of PROGRAMS) {
      const exe = path.join(ROOT, "fixtures/bin", libc, c.prog);
      it.skipIf(!fs.existsSync(exe))(c.prog, () => {
        const n = runNative(exe);
        for (const tier of c.tiers) {
          const e = runEmu([...tier, exe]);
          expect(e.stderr, tier.join(" ")).toBe(n.stderr);
          expect(e.stdout, tier.join(" ")).toBe(n.stdout);
          expect(shellStatus(e), tier.join(" ")).toBe(shellStatus(n));
        }
      });
    }
  });
}

/** Start a program, send SIGTERM once it says "ready", collect its output (killed after 20 s at most). */
function termWhenReady(cmd: string, args: string[]): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    let out = "";
    let sent = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!sent && out.includes("ready\n")) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    // "close", not "exit": the exit event can come before the last output has been read
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
  });
}

describe.skipIf(!IS_X86_64_LINUX)("tasks: a sleep interrupted from outside", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "sleepint");
    it.skipIf(!fs.existsSync(exe))(`sleep(30) ends at a handled SIGTERM (${libc})`, async () => {
      // the native run is the reference for the expected lines, but natively a SIGTERM that lands between
      // "ready" and sleep() (a loaded machine) is handled before the sleep starts, so the literal is asserted
      const e = await termWhenReady(process.execPath, [CLI, exe, "wait"]);
      expect(e.out).toBe("ready\nsleep ended by signal 15, more than 20 s left: 1\n");
      expect(e.code).toBe(0);
    });
  }
});

const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
if (!BUSYBOX) console.log("busybox shell task tests skipped: busybox is not installed (Debian package busybox-static)");

describe.skipIf(!BUSYBOX || !IS_X86_64_LINUX)("tasks: busybox sh", () => {
  // a PATH of applet links, so that the shell's children are static busybox too
  const dir = tmpDir();
  const bin = path.join(dir, "bb-bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const a of ["sh", "wc", "tr", "sort", "xargs", "seq", "cat", "find", "head", "expr", "echo", "true", "sleep", "setsid"]) {
    const l = path.join(bin, a);
    if (!fs.existsSync(l)) fs.symlinkSync(BUSYBOX!, l);
  }
  const script = path.join(dir, "script.sh");
  fs.writeFileSync(script, `#!${bin}/sh\necho "script args: $@"\nexit 5\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "a.txt"), "x\n");
  fs.writeFileSync(path.join(dir, "b.txt"), "y\n");
  const env = { ...process.env, PATH: bin };
  const CASES = [
    "echo a | wc -c",
    'x=$(echo hi; echo there); echo "[$x]"',
    'for i in 1 2 3; do echo $i; done | tr "\\n" " "; echo',
    "(echo sub; exit 3); echo st=$?",
    "seq 1 5 | xargs echo; seq 1 20000 | wc -l",
    `find ${dir} -name "*.txt" -exec cat {} \\; | sort`,
    `${script} one two; echo status $?`,
    "i=0; while [ $i -lt 10 ]; do i=$(expr $i + 1); done; echo $i",
    "seq 1 100000 | head -n 3; echo done",
    "/nonexistent-program; echo $?",
    // a background job outlives the shell: its output still comes, the status is the shell's
    "(sleep 0.2; echo late) & echo hi; exit 2",
    // a daemon (its own session) is not waited for
    "setsid sleep 30 >/dev/null 2>&1 & echo hi",
    // job control: a stopped job continued, one killed by a SIGTERM that waited for SIGCONT, one killed while stopped
    "sleep 5 & p=$!; kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo status $?",
    "sleep 5 & p=$!; kill -STOP $p; kill $p; kill -CONT $p; wait $p; echo status $?",
    "sleep 5 & p=$!; kill -TSTP $p; kill -KILL $p; wait $p; echo status $?",
  ];
  for (const s of CASES) {
    it(s.slice(0, 60), () => {
      const n = runNative(path.join(bin, "sh"), ["-c", s], { env });
      const e = runEmu([path.join(bin, "sh"), "-c", s], { env });
      expect(e.stdout).toBe(n.stdout);
      expect(e.stderr).toBe(n.stderr);
      expect(shellStatus(e)).toBe(shellStatus(n));
    });
  }
});

/** Toolchains present here: C++, Go, Rust thread programs built in the test and compared with their native run. */
function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}
const LANGS: Array<{ name: string; tool: string; build: (src: string, out: string) => [string, string[], NodeJS.ProcessEnv?] }> = [
  { name: "threads.cpp", tool: "g++", build: (src, out) => ["g++", ["-static", "-O2", "-pthread", "-o", out, src]] },
  { name: "goroutines.go", tool: "go", build: (src, out) => ["go", ["build", "-o", out, src], { ...process.env, CGO_ENABLED: "0", GO111MODULE: "off", GOCACHE: path.join(tmpDir(), "gocache") }] },
  { name: "threads.rs", tool: "rustc", build: (src, out) => ["rustc", ["-O", "-C", "target-feature=+crt-static", "-o", out, src]] },
];
describe.skipIf(!IS_X86_64_LINUX)("tasks: thread libraries of other languages", () => {
  for (const l of LANGS) {
    const ok = has(l.tool);
    if (!ok) console.log(`${l.name} skipped: ${l.tool} is not installed`);
    it.skipIf(!ok)(l.name, () => {
      const out = path.join(tmpDir(), l.name.replace(/\W/g, "_"));
      const [cmd, args, env] = l.build(path.join(ROOT, "test/tasks", l.name), out);
      const b = spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env, timeout: 240000 });
      expect(b.status, b.stderr).toBe(0);
      const n = runNative(out);
      const e = runEmu([out]);
      expect(e.stdout).toBe(n.stdout);
      expect(e.stderr).toBe(n.stderr);
      expect(shellStatus(e)).toBe(shellStatus(n));
    });
  }
});

describe("tasks: the API", () => {
  const exe = path.join(ROOT, "fixtures/bin/musl/threads");
  it.skipIf(!fs.existsSync(exe))("tasks() lists the threads of a running program; run() runs them all", async () => {
    const { Emulator, MemoryHost } = await import("../src/index.js");
    const host = new MemoryHost();
    const emu = Emulator.fromElf(fs.readFileSync(exe), { host });
    expect(emu.tasks().length).toBe(1);
    let most = 1;
    let r = emu.run({ maxInstructions: 100_000 });
    while (r.kind === "stopped") {
      const ts = emu.tasks();
      most = Math.max(most, ts.length);
      for (const t of ts) expect(t.pid).toBe(ts[0].pid);
      expect(new Set(ts.map((t) => t.tid)).size).toBe(ts.length);
      r = emu.run({ maxInstructions: 100_000 });
    }
    expect(r).toEqual({ kind: "exit", code: 0 });
    expect(most).toBeGreaterThan(1);
    expect(host.stdoutText()).toContain("200 threads joined, total=900");
  });
});

describe.skipIf(!IS_X86_64_LINUX)("tasks: the host's dynamically linked shells", () => {
  const script = "for i in 1 2; do echo $i; done | cat; (exit 4); echo $?; a=$(echo sub); echo $a; ls / | wc -l";
  for (const sh of ["/bin/sh", "/bin/bash"]) {
    it.skipIf(!fs.existsSync(sh))(`${sh} -c: pipelines, subshells, $(...) with the host's dynamic programs`, () => {
      const n = runNative(sh, ["-c", script]);
      const e = runEmu([sh, "-c", script]);
      expect(e.stdout).toBe(n.stdout);
      expect(e.stderr).toBe(n.stderr);
      expect(shellStatus(e)).toBe(shellStatus(n));
    });
  }
});

/**
 * Run a program with stdin on a FIFO the test holds open: once it prints
 * "ready", `act` writes to the FIFO and/or signals the child. Output is
 * collected until the child's 'close' (killed after 30 s at most).
 */
function stdinWhenReady(cmd: string, args: string[], act: (child: ReturnType<typeof spawn>, feed: (s: string) => void) => void): Promise<{ out: string; code: number | null }> {
  const fifo = path.join(tmpDir(), `stdin-${process.pid}-${Math.random().toString(36).slice(2)}`);
  spawnSync("mkfifo", [fifo]);
  const fd = fs.openSync(fifo, "r+"); // read-write: opening does not wait for a reader, and the pipe never sees its writer go
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [fd, "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    let out = "";
    let acted = false;
    let open = true; // a late feed after the end must not write to a reused descriptor number
    child.stdout!.on("data", (d) => {
      out += d;
      if (!acted && out.includes("ready\n")) {
        acted = true;
        act(child, (s) => open && fs.writeSync(fd, s));
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      open = false;
      fs.closeSync(fd);
      fs.rmSync(fifo, { force: true });
      resolve({ out, code });
    });
  });
}

/**
 * Run a program with stdin on a FIFO whose only writer is the test: once the
 * program prints "ready", each feed is written after its delay (ms after the
 * previous one), null closing the writer (the end of the input).
 */
function stdinLate(cmd: string, args: string[], feeds: Array<[number, string | null]>, socket = false): Promise<{ out: string; code: number | null }> {
  if (socket) {
    // Node's own stdin pipe (a socketpair)
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    return feedWhenReady(child, feeds, (s) => child.stdin!.write(s), () => child.stdin!.end(), () => {});
  }
  const fifo = path.join(tmpDir(), `late-${process.pid}-${Math.random().toString(36).slice(2)}`);
  spawnSync("mkfifo", [fifo]);
  // a non-blocking reader lets the writer open at once; then the child's blocking reader opens at once too
  const probe = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let w: number | null = fs.openSync(fifo, fs.constants.O_WRONLY);
  const r = fs.openSync(fifo, fs.constants.O_RDONLY);
  fs.closeSync(probe);
  const closeW = () => {
    if (w !== null) fs.closeSync(w);
    w = null;
  };
  const child = spawn(cmd, args, { stdio: [r, "pipe", "pipe"] });
  fs.closeSync(r);
  return feedWhenReady(child, feeds, (s) => w !== null && fs.writeSync(w, s), closeW, () => {
    closeW();
    fs.rmSync(fifo, { force: true });
  });
}

/** Once `child` prints "ready", each feed is written (or the input ended) after its delay; resolves at its close. */
function feedWhenReady(
  child: ReturnType<typeof spawn>,
  feeds: Array<[number, string | null]>,
  write: (s: string) => unknown,
  end: () => void,
  cleanup: () => void,
): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    let out = "";
    let started = false;
    child.stdout!.on("data", (d) => {
      out += d;
      if (started || !out.includes("ready\n")) return;
      started = true;
      let at = 0;
      for (const [ms, s] of feeds) {
        at += ms;
        setTimeout(() => (s === null ? end() : write(s)), at);
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      cleanup();
      resolve({ out, code });
    });
  });
}

describe.skipIf(!IS_X86_64_LINUX)("tasks: poll/select/epoll see when a host stdin pipe has input", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "stdinpoll");
    for (const socket of [false, true]) {
      const what = socket ? "a socketpair (Node's spawn pipe)" : "a pipe";
      it.skipIf(!fs.existsSync(exe))(`${what}: input 500 ms after the start, more, then its end (${libc})`, async () => {
        const feeds: Array<[number, string | null]> = [[500, "hello-world"], [300, "tail"], [300, null]];
        const n = await stdinLate(exe, [], feeds, socket);
        const e = await stdinLate(process.execPath, [CLI, exe], feeds, socket);
        expect(n.out).toContain("poll 0 ms: 0\npoll 50 ms: 0\npoll 5 s: 1 revents 0x1\n");
        if (!socket) {
          // the end of a pipe's input is a hangup
          expect(n.out).toContain("poll at end: 1 revents 0x10\n");
          expect(e.out).toBe(n.out);
        } else {
          // a socket peer's shutdown is input (POLLIN); Node's end() shuts down writing and then closes its end,
          // and natively a poll after the close also has POLLHUP: which one the poll sees is a race
          const atEnd = /poll at end: 1 revents 0x11?\n/;
          expect(n.out).toMatch(atEnd);
          expect(e.out).toMatch(atEnd);
          expect(e.out.replace(atEnd, "")).toBe(n.out.replace(atEnd, ""));
        }
        expect(e.code).toBe(n.code);
      });
    }
  }
  // sh's read takes one line byte by byte after a parked wait: the next line stays in the pipe for the next program
  const bb = "/usr/bin/busybox";
  it.skipIf(!fs.existsSync(bb))("a parked read leaves the rest of the input in the host pipe", async () => {
    const feeds: Array<[number, string | null]> = [[300, "one\ntwo\n"], [100, null]];
    const inner = "echo ready; read x; echo got $x";
    const n = await stdinLate("/bin/sh", ["-c", `${bb} sh -c '${inner}'; cat`], feeds);
    const e = await stdinLate("/bin/sh", ["-c", `'${process.execPath}' '${CLI}' ${bb} sh -c '${inner}'; cat`], feeds);
    expect(n.out).toBe("ready\ngot one\ntwo\n");
    expect(e.out).toBe(n.out);
  });
});

describe.skipIf(!IS_X86_64_LINUX)("tasks: a read of stdin parks only its task", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "stdinwait");
    const cases: Array<[string, (c: ReturnType<typeof spawn>, feed: (s: string) => void) => void, string]> = [
      // the input comes only after the other thread printed: a read holding the host would never let it print
      ["thread", (_c, feed) => feed("hello\n"), "reader got 6: hello\njoined\n"],
      // the signal comes a moment after "ready", when the read has begun (a late input ends a read that missed it)
      ["intr", (c, feed) => {
        setTimeout(() => c.kill("SIGTERM"), 500);
        setTimeout(() => feed("late\n"), 10000);
      }, "Interrupted system call"],
      ["restart", (c, feed) => {
        setTimeout(() => c.kill("SIGTERM"), 500);
        setTimeout(() => feed("again\n"), 900);
      }, "read 6 (ok): again"],
    ];
    // stdin a socketpair (Node's spawn pipe): the read parks too (it used to wait in the host, holding every task)
    it.skipIf(!fs.existsSync(exe))(`thread, stdin a socketpair (${libc})`, async () => {
      const n = await stdinLate(exe, ["thread"], [[0, "hello\n"], [100, null]], true);
      const e = await stdinLate(process.execPath, [CLI, exe, "thread"], [[0, "hello\n"], [100, null]], true);
      expect(n.out).toContain("reader got 6: hello\njoined\n");
      expect(e.out).toBe(n.out);
      expect(e.code).toBe(n.code);
    });
    for (const [mode, act, want] of cases) {
      it.skipIf(!fs.existsSync(exe))(`${mode} (${libc})`, async () => {
        const n = await stdinWhenReady(exe, [mode], act);
        const e = await stdinWhenReady(process.execPath, [CLI, exe, mode], act);
        expect(n.out).toContain(want);
        expect(e.out).toBe(n.out);
        expect(e.code).toBe(n.code);
      });
    }
  }
});

/** How many of process pid's open descriptors are `file` (read from /proc/<pid>/fd). */
function openCount(pid: number, file: string): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

/** Start a program, read `file` once it says "ready" (then kill it): its output, what the file held meanwhile and how often the process had it open. */
function fileWhenReady(cmd: string, args: string[], file: string): Promise<{ out: string; held: string; open: number }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    let out = "";
    let held = "";
    let open = -1;
    child.stdout.on("data", (d) => {
      out += d;
      if (!held && out.includes("ready\n")) {
        held = fs.readFileSync(file, "utf8");
        open = openCount(child.pid!, file);
        child.kill("SIGKILL");
      }
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve({ out, held, open });
    });
  });
}

describe.skipIf(!IS_X86_64_LINUX)("tasks: MAP_SHARED file pages at execve", () => {
  for (const libc of ["musl", "glibc"]) {
    const exe = path.join(ROOT, "fixtures/bin", libc, "mapexec");
    it.skipIf(!fs.existsSync(exe))(`reach the file when execve replaces the program (${libc})`, async () => {
      const dir = tmpDir();
      const nf = path.join(dir, `native-${libc}.dat`);
      const ef = path.join(dir, `emu-${libc}.dat`);
      const n = runNative(exe, [nf]);
      const e = runEmu([exe, ef]);
      expect(e.stdout).toBe(n.stdout);
      expect(fs.readFileSync(ef, "utf8")).toBe(fs.readFileSync(nf, "utf8"));
      // written back at the execve itself, not only when the emulation ends: a host process sees it meanwhile
      const nw = await fileWhenReady(exe, [nf, "wait"], nf);
      const ew = await fileWhenReady(process.execPath, [CLI, exe, ef, "wait"], ef);
      expect(ew.held).toBe(nw.held);
      expect(ew.out).toBe(nw.out);
      expect(nw.held).toBe("new old new\n");
      // the mapping went with the old image: the page cache no longer holds the file open on the host
      expect(nw.open).toBe(0);
      expect(ew.open).toBe(0);
    });
    const forkExe = path.join(ROOT, "fixtures/bin", libc, "mapfork");
    it.skipIf(!fs.existsSync(forkExe))(`let the file go when the last mapping (a forked child's, mremap's) goes (${libc})`, async () => {
      const dir = tmpDir();
      const nf = path.join(dir, `native-fork-${libc}.dat`);
      const ef = path.join(dir, `emu-fork-${libc}.dat`);
      const nw = await fileWhenReady(forkExe, [nf, "wait"], nf);
      const ew = await fileWhenReady(process.execPath, [CLI, forkExe, ef, "wait"], ef);
      expect(nw.out).toBe("the file holds: childaparaZa\nready\n");
      expect(ew.out).toBe(nw.out);
      expect(ew.held).toBe(nw.held);
      expect(nw.open).toBe(0);
      expect(ew.open).toBe(0);
    });
  }
});
