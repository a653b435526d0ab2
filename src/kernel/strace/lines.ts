/**
 * The lines strace writes besides system calls: the initial execve, signals
 * as they are delivered (`--- SIGSEGV {si_signo=...} ---`) and the end of the
 * process (`+++ exited with 0 +++`, `+++ killed by SIGSEGV +++`). Each takes
 * the line prefix (`[pid N] ` for multi-task output) as its first parameter.
 */
import { sigName } from "../kernel.js";
import { quote, ptr, hex, signalArg, varsComment } from "./values.js";
import { straceKilled, syscallLine, type TracedCall } from "./format.js";
import { straceOut } from "./out.js";
import type { Proc, Task } from "../task.js";

const SI_CODES: Record<number, string> = { 0: "SI_USER", 0x80: "SI_KERNEL", [-1]: "SI_QUEUE", [-2]: "SI_TIMER", [-3]: "SI_MESGQ", [-4]: "SI_ASYNCIO", [-5]: "SI_SIGIO", [-6]: "SI_TKILL" };
/** si_code names of SIGCHLD (index = code). */
const CLD_CODES = ["", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"];
/** si_code names of the fault signals, by signal (index = code). */
const FAULT_CODES: Record<number, string[]> = {
  4: ["", "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"],
  8: ["", "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"],
  11: ["", "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
  7: ["", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"],
  5: ["", "TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
};

/** A signal being delivered: `--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=42, si_uid=0} ---`. */
export function signalLine(prefix: string, sig: number, code: number, pid: number, uid: number, addr: number, status = 0): string {
  return `${prefix}--- ${signalArg(sig)} ${siginfoText(sig, code, pid, uid, addr, status)} ---`;
}

/**
 * A siginfo_t as strace prints it: `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, ...}`. SIGCHLD's
 * si_utime/si_stime are given as strace shows them (clock ticks, with the seconds as a comment when not 0).
 */
export function siginfoText(sig: number, code: number, pid: number, uid: number, addr: number, status = 0, utime = 0n, stime = 0n, value: bigint | null = null): string {
  const fields = [`si_signo=${signalArg(sig)}`];
  const faultSig = FAULT_CODES[sig] !== undefined;
  const ticks = (t: bigint) => (t === 0n ? "0" : `${t} /* ${(Number(t) / 100).toFixed(2)} s */`);
  if (sig === 17 && code > 0 && code < 0x80) {
    // SIGCHLD from the kernel: si_status is the exit code for CLD_EXITED, else a signal
    fields.push(`si_code=${CLD_CODES[code] ?? code}`, `si_pid=${pid}`, `si_uid=${uid}`, `si_status=${code === 1 ? status : sigName(status)}`, `si_utime=${ticks(utime)}`, `si_stime=${ticks(stime)}`);
  } else if (code > 0 && code !== 0x80 && faultSig) {
    fields.push(`si_code=${FAULT_CODES[sig][code] ?? code}`, `si_addr=${ptr(addr)}`);
  } else {
    fields.push(`si_code=${SI_CODES[code] ?? code}`);
    // SI_TIMER's first two words are the timer id and overrun count (pid/uid's places)
    if (code === -2) fields.push(`si_timerid=${hex(pid >>> 0)}`, `si_overrun=${uid | 0}`);
    else if (code <= 0) fields.push(`si_pid=${pid}`, `si_uid=${uid}`);
    else if (faultSig) fields.push(`si_addr=${ptr(addr)}`);
    // sigqueue's and a timer's si_value, when known (a siginfo read from memory)
    if (value !== null && (code === -1 || code === -2)) fields.push(`si_int=${Number(BigInt.asIntN(32, value))}`, `si_ptr=${ptr(value)}`);
  }
  return `{${fields.join(", ")}}`;
}

/** How the process ended. strace says "(core dumped)" only when a core was written: x64emu writes none. */
export function exitLine(prefix: string, status: { kind: "exit"; code: number } | { kind: "signal"; signal: number }): string {
  return status.kind === "exit" ? `${prefix}+++ exited with ${status.code} +++` : `${prefix}+++ killed by ${sigName(status.signal)} +++`;
}

/** The execve that started the program (strace's first line): path, argv (strings cut at `limit`), envp address and count. */
export function execveLine(prefix: string, path: string, argv: string[], envpAddr: number, envCount: number, limit: number): string {
  const enc = new TextEncoder();
  const q = (s: string, max: number) => {
    const b = enc.encode(s);
    return quote(b, max);
  };
  const shown = argv.slice(0, limit).map((a) => q(a, limit));
  if (argv.length > limit) shown.push("...");
  return syscallLine(prefix, `execve(${q(path, Infinity)}, [${shown.join(", ")}], ${hex(envpAddr)} ${varsComment(envCount)})`, "0");
}

/** Threads whose `+++ exited` line was written when they called exit. */
const EXITED = new WeakSet<Task>();

/** A thread (not the process's last) ended with exit(code): `[pid N] +++ exited with 0 +++`. */
export function threadExitLine(t: Task, prefix: string, code: number): void {
  const k = t.kernel;
  if (!k.strace) return;
  EXITED.add(t);
  k.strace(exitLine(prefix, { kind: "exit", code }));
}

/**
 * A process ended with threads still in it (exit_group, a fatal signal):
 * as strace -f, each one's blocked call ends as `<... read resumed>
 * <unfinished ...>) = ?` and each thread but the leader gets its `+++`
 * line (the leader's, the process's, follows).
 */
export function threadsEndLines(p: Proc): void {
  const k = p.kernel;
  if (!k.strace || !p.status) return;
  const status = p.status;
  const out = straceOut(k.strace);
  const many = p.tasks.length > 1;
  for (const t of p.tasks) {
    const prefix = many ? `[pid ${t.tid}] ` : "";
    const traced = t.parkedTrace as TracedCall | null;
    if (traced?.open) {
      const open = traced.open;
      traced.open = null;
      t.parkedTrace = null;
      out.finish(open, (shown) => straceKilled(traced, prefix, shown));
    }
    if (t.tid !== p.pid && !EXITED.has(t)) k.strace(exitLine(prefix, status));
  }
}
