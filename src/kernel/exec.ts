/**
 * execve and execveat: replace the calling process's program with a static
 * x86-64 ELF or a `#!` script (its interpreter is loaded in its place, with
 * the script's path as an argument). The process gets a new address space
 * and CPU; close-on-exec descriptors close, handled signals return to their
 * default action, other threads end, a vfork parent wakes. Anything that is
 * not an x86-64 executable fails with ENOEXEC, as on Linux.
 */
import { CPU } from "../cpu/cpu.js";
import { Memory } from "../cpu/memory.js";
import { ElfError, parseElf, printable } from "../loader/elf.js";
import { loadElf, type Interpreter, type LoadedImage } from "../loader/load.js";
import type { Host } from "../host/host.js";
import { defineSyscall, exitHooks, type Kernel } from "./kernel.js";
import { closeOnExec, resolvePath } from "./files.js";
import { resetOnExec, signalState } from "./signals.js";
import { cpuLike } from "./clone.js";
import { futexExitRelease } from "./futex-pi.js";
import { E2BIG, EACCES, EFAULT, EINVAL, EISDIR, ELOOP, ENOENT, ENOEXEC } from "./errno.js";

const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;

export interface ProgramArgs {
  argv: string[];
  envp: string[];
  /** AT_EXECFN (the path as given) */
  execfn: string;
  /** The program's absolute path (/proc/self/maps) */
  exePath?: string;
  /** Size of the initial stack mapping */
  stackSize?: number;
}

/**
 * Load a program (and its PT_INTERP interpreter, read through the host's
 * file system) into the fresh memory of `cpu`: the image, with rip and rsp
 * set. Throws ElfError.
 */
export function loadProgram(k: Kernel, cpu: CPU, bytes: Uint8Array, args: ProgramArgs): LoadedImage {
  const elf = parseElf(bytes);
  const random = new Uint8Array(16);
  k.host.randomBytes(random);
  const interp = elf.interp !== null ? readInterpreter(k.host, elf.interp) : null;
  const image = loadElf(
    cpu.mem,
    elf,
    bytes,
    { argv: args.argv, envp: args.envp, execfn: args.execfn, exePath: args.exePath, random, uid: k.host.getuid(), gid: k.host.getgid(), hwcap: cpu.features.leaf1Edx, stackSize: args.stackSize },
    interp,
  );
  cpu.rip = image.entry;
  cpu.setRegNum(4, image.sp);
  return image;
}

/** Read and parse the program interpreter (PT_INTERP) through the host's file system (sysroot first, then /). */
function readInterpreter(host: Host, path: string): Interpreter {
  const name = printable(path); // the name comes from the file: quoted, escaped
  const fs = host.fs;
  const missing = () => new ElfError(`cannot find its program interpreter ${name} (for libraries from another root: -L/--sysroot DIR or X64EMU_LD_PREFIX)`);
  if (!fs) throw missing();
  const h = fs.open(path, 0, 0);
  if (h < 0) throw missing();
  try {
    const st = fs.fstat(h);
    if (typeof st === "number" || (st.mode & 0o170000) !== 0o100000) throw new ElfError(`its program interpreter ${name} is not a regular file`);
    const bytes = new Uint8Array(st.size);
    for (let o = 0; o < st.size; ) {
      const n = fs.pread(h, bytes.subarray(o), o);
      if (n <= 0) throw new ElfError(`cannot read its program interpreter ${name}`);
      o += n;
    }
    let elf;
    try {
      elf = parseElf(bytes);
    } catch (e) {
      throw new ElfError(`its program interpreter ${name}: ${(e as Error).message}`);
    }
    if (elf.interp !== null) throw new ElfError(`its program interpreter ${name} itself needs an interpreter`);
    return { elf, bytes, path };
  } finally {
    fs.close(h);
  }
}

/** Read a whole host file by guest path: bytes or -errno. */
function readFile(k: Kernel, path: string): Uint8Array | number {
  const fs = k.host.fs;
  if (!fs) return -ENOENT;
  const st = fs.stat(path, true);
  if (typeof st === "number") return st;
  if ((st.mode & 0o170000) === 0o040000) return -EACCES; // a directory
  if ((st.mode & 0o170000) !== 0o100000) return -EACCES;
  const ok = fs.access(path, 1); // X_OK
  if (ok < 0) return ok;
  const h = fs.open(path, 0, 0);
  if (h < 0) return h === -EISDIR ? -EACCES : h;
  try {
    const out = new Uint8Array(st.size);
    let done = 0;
    while (done < out.length) {
      const n = fs.pread(h, out.subarray(done), done);
      if (n < 0) return n;
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    fs.close(h);
  }
}

function readStrings(k: Kernel, addr: number): string[] | number {
  const out: string[] = [];
  if (addr === 0) return out;
  const dec = new TextDecoder();
  try {
    for (let j = 0; ; j++) {
      if (j > 65536) return -E2BIG;
      const lo = k.cpu.mem.read32(addr + 8 * j) >>> 0;
      const hi = k.cpu.mem.read32(addr + 8 * j + 4) >>> 0;
      const p = hi * 4294967296 + lo;
      if (p === 0) break;
      out.push(dec.decode(k.cpu.mem.readCString(p, 131072)));
    }
  } catch {
    return -EFAULT;
  }
  return out;
}

/** The `#!` line of a script: [interpreter, optional argument], or null. */
export function shebang(bytes: Uint8Array): [string, string | null] | null {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return null;
  let end = bytes.indexOf(10);
  if (end < 0) end = Math.min(bytes.length, 256);
  const line = new TextDecoder().decode(bytes.subarray(2, end)).trim();
  if (!line) return null;
  const m = /^(\S+)\s*(.*)$/.exec(line)!;
  return [m[1], m[2] ? m[2] : null];
}

function doExec(k: Kernel, path: string, argv: string[], envp: string[]): number {
  // the program itself (busybox runs its applets so): the emulated file, not the emulator's
  const exe = k.state.exePath as string | undefined;
  if (exe && (path === "/proc/self/exe" || path === `/proc/${k.proc.pid}/exe`)) path = exe;
  let file = path;
  let args = argv;
  let bytes: Uint8Array | null = null;
  for (let depth = 0; ; depth++) {
    if (depth > 4) return -ELOOP;
    const r = readFile(k, file);
    if (typeof r === "number") return r;
    const sb = shebang(r);
    if (!sb) {
      bytes = r;
      break;
    }
    const [interp, arg] = sb;
    args = [interp, ...(arg !== null ? [arg] : []), file, ...args.slice(1)];
    const abs = resolvePath(k, -100, interp);
    if (typeof abs === "number") return abs;
    file = abs;
  }
  // point of no return once the ELF parses
  const old = k.cpu;
  const cpu = cpuLike(old, new Memory(undefined, { maxBytes: k.state.maxMemory as number | undefined }));
  let image: LoadedImage;
  try {
    image = loadProgram(k, cpu, bytes, { argv: args, envp, execfn: path, exePath: file, stackSize: k.state.stackSize as number | undefined });
  } catch (e) {
    if (e instanceof ElfError) return -ENOEXEC;
    throw e;
  }
  const sched = k.sched;
  const t = k.task;
  // other threads end (the caller goes on as the process)
  for (const o of [...k.proc.tasks]) if (o !== t) sched.endTask(o);
  futexExitRelease(t); // its robust list and PI futexes are released in the old memory, as at an exit
  old.stopRequested = true; // the old program ends with this syscall
  sched.forgetCpu(old);
  // the old address space ends as at an exit: MAP_SHARED file pages are written back to their files,
  // and its shared pages go back to their objects (they stay with the other processes mapping them)
  for (const h of exitHooks) h(k);
  k.setCpu(cpu);
  sched.adopt(cpu, t);
  for (const key of ["mm", "brk", "image", "exePath", "mapNames", "comm"]) delete k.state[key];
  k.state.brk = image.brk;
  k.state.image = image;
  k.state.exePath = file;
  t.clearChildTid = 0;
  closeOnExec(k);
  resetOnExec(signalState(k));
  k.proc.vforkParent = null;
  k.onExec?.(k);
  sched.onExec?.(t);
  return 0;
}

defineSyscall({
  nr: 59,
  name: "execve",
  args: ["str", "ptr", "ptr"],
  fn: (k, a) => {
    let p: string;
    try {
      p = new TextDecoder().decode(k.cpu.mem.readCString(a.u(0), 4096));
    } catch {
      return -EFAULT;
    }
    if (p === "") return -ENOENT;
    const abs = resolvePath(k, -100, p);
    if (typeof abs === "number") return abs;
    const argv = readStrings(k, a.u(1));
    if (typeof argv === "number") return argv;
    const envp = readStrings(k, a.u(2));
    if (typeof envp === "number") return envp;
    return doExec(k, abs, argv, envp);
  },
});

defineSyscall({
  nr: 322,
  name: "execveat",
  args: ["fd", "str", "ptr", "ptr", "x"],
  fn: (k, a) => {
    const flags = a.i32(4);
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -EINVAL;
    let p: string;
    try {
      p = new TextDecoder().decode(k.cpu.mem.readCString(a.u(1), 4096));
    } catch {
      return -EFAULT;
    }
    if (p === "" && flags & AT_EMPTY_PATH) return -ENOENT; // fexecve: not supported
    const abs = resolvePath(k, a.i32(0), p);
    if (typeof abs === "number") return abs;
    return doExecAt(k, abs, a.u(2), a.u(3));
  },
});

function doExecAt(k: Kernel, abs: string, argvAddr: number, envpAddr: number): number {
  const argv = readStrings(k, argvAddr);
  if (typeof argv === "number") return argv;
  const envp = readStrings(k, envpAddr);
  if (typeof envp === "number") return envp;
  return doExec(k, abs, argv, envp);
}
