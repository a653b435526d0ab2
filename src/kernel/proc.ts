/**
 * /proc as the guest sees it: /proc/self (also /proc/<pid>, /proc/thread-self)
 * describes the guest, not the emulator: maps (the guest's mappings with their
 * files, [heap], [stack], in Linux's format), cmdline and environ (read from
 * the guest's stack, as Linux does), stat, statm, status, auxv, comm, fd/
 * (links to what each descriptor is open on), exe, cwd; /proc/cpuinfo from
 * CPUID and /proc/meminfo from the host's memory figures (as sysinfo).
 * Other /proc paths go to the host.
 */
import { niceValue } from "./procinfo.js";
import { cpuid } from "../cpu/cpuid.js";
import { PAGE_SIZE, type Region } from "../cpu/memory.js";
import type { HostDirent, HostStat } from "../host/host.js";
import type { LoadedImage } from "../loader/load.js";
import type { Kernel } from "./kernel.js";
import { files, get, setVirtualFiles, statOf } from "./files.js";
import { mapNames, type MapName } from "./mm.js";
import { signalState } from "./signals.js";
import { ENOENT } from "./errno.js";
import { procCpuNs, TICK_NS } from "./time.js";

const enc = new TextEncoder();

/** The guest's mapped ranges, ascending. */
function regions(k: Kernel): Region[] {
  return k.cpu.mem.regions().sort((a, b) => a.start - b.start);
}

interface MapLine {
  start: number;
  end: number;
  prot: number;
  name: MapName | null;
}

function hex(n: number, w = 8): string {
  return n.toString(16).padStart(w, "0");
}

/** Linux's dev_t split as /proc/self/maps prints it (major:minor in hex). */
function devText(dev: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfffff);
  return `${hex(major, 2)}:${hex(minor, 2)}`;
}

/** The mappings as /proc/self/maps lines: ranges cut where names change, then merged like vmas. */
function mapLines(k: Kernel): MapLine[] {
  const names = mapNames(k);
  const mm = k.state.mm as { brkStart: number; brk: number } | undefined;
  const heap: MapName | null = mm && mm.brk > mm.brkStart ? { start: mm.brkStart, end: Math.ceil(mm.brk / PAGE_SIZE) * PAGE_SIZE, offset: 0, path: "[heap]", dev: 0, ino: 0 } : null;
  const all = heap ? [...names, heap].sort((a, b) => a.start - b.start) : names;
  const out: MapLine[] = [];
  for (const r of regions(k)) {
    let at = r.start;
    while (at < r.end) {
      const n = all.find((x) => x.start <= at && x.end > at) ?? null;
      let end = r.end;
      if (n) end = Math.min(end, n.end);
      else for (const x of all) if (x.start > at && x.start < end) end = x.start;
      const piece: MapLine = { start: at, end, prot: r.prot, name: n ? { ...n, offset: n.offset + (at - n.start) } : null };
      const last = out[out.length - 1];
      const joins = last && last.end === at && last.prot === r.prot && (last.name === null ? piece.name === null : piece.name !== null && piece.name.path === last.name.path && piece.name.offset === last.name.offset + (last.end - last.start));
      if (joins) last.end = end;
      else out.push(piece);
      at = end;
    }
  }
  return out;
}

function mapsText(k: Kernel): string {
  const inodes = new Map<string, [number, number]>();
  const canonical = new Map<string, string>();
  const nameOf = (p: string) => {
    if (p.startsWith("[") || p.startsWith("/memfd:")) return p;
    let c = canonical.get(p);
    if (c === undefined) {
      c = realpath(k, p);
      canonical.set(p, c);
    }
    return c;
  };
  const idOf = (n: MapName): [number, number] => {
    if (n.path.startsWith("[")) return [0, 0];
    if (n.ino) return [n.dev, n.ino];
    let id = inodes.get(n.path);
    if (!id) {
      const st = k.host.fs?.stat(n.path, true);
      id = st && typeof st !== "number" ? [st.dev, st.ino] : [0, 0];
      inodes.set(n.path, id);
    }
    return id;
  };
  let s = "";
  for (const l of mapLines(k)) {
    const perms = (l.prot & 1 ? "r" : "-") + (l.prot & 2 ? "w" : "-") + (l.prot & 4 ? "x" : "-") + (l.name?.shared ? "s" : "p");
    const [dev, ino] = l.name ? idOf(l.name) : [0, 0];
    const off = l.name && !l.name.path.startsWith("[") ? l.name.offset : 0;
    let line = `${hex(l.start)}-${hex(l.end)} ${perms} ${hex(off)} ${devText(dev)} ${ino} `;
    if (l.name) line = line.padEnd(72) + " " + nameOf(l.name.path);
    s += line + "\n";
  }
  return s;
}

/** The canonical path (symlinks resolved through the guest's view of the file system), as the kernel names files. */
export function realpath(k: Kernel, p: string): string {
  const fsx = k.host.fs;
  if (!fsx || !p.startsWith("/")) return p;
  const todo = p.split("/").filter((c) => c && c !== ".");
  const done: string[] = [];
  for (let links = 0; todo.length; ) {
    const c = todo.shift()!;
    if (c === "..") {
      done.pop();
      continue;
    }
    const cur = "/" + [...done, c].join("/");
    const t = links < 40 ? fsx.readlink(cur) : -22;
    if (typeof t === "number") {
      done.push(c);
      continue;
    }
    links++;
    if (t.startsWith("/")) done.length = 0;
    todo.unshift(...t.split("/").filter((x) => x && x !== "."));
  }
  return "/" + done.join("/");
}

function image(k: Kernel): LoadedImage | undefined {
  return k.state.image as LoadedImage | undefined;
}

function guestBytes(k: Kernel, from: number, to: number): Uint8Array {
  try {
    return k.cpu.mem.readBytes(from, Math.max(0, to - from), false);
  } catch {
    return new Uint8Array(0);
  }
}

/** The process name (comm): PR_SET_NAME's, else the program's file name, at most 15 bytes. */
export function commName(k: Kernel): string {
  const set = k.state.comm as string | undefined;
  if (set !== undefined) return set;
  const exe = (k.state.exePath as string | undefined) ?? "";
  return exe.slice(exe.lastIndexOf("/") + 1).slice(0, 15);
}

function vmFigures(k: Kernel): { size: number; rss: number; stack: number; exe: number; data: number } {
  let size = 0;
  let rss = 0;
  let stack = 0;
  let exe = 0;
  let data = 0;
  const img = image(k);
  for (const l of mapLines(k)) {
    const len = l.end - l.start;
    size += len;
    if (l.prot) rss += len;
    if (l.name?.path === "[stack]") stack += len;
    else if (l.prot & 4 && img && l.start >= img.base && l.start < img.brk) exe += len;
    else if (l.prot & 2 && !l.name?.path.startsWith("/")) data += len;
  }
  return { size, rss, stack, exe, data };
}

const sigHex = (v: bigint) => v.toString(16).padStart(16, "0");

function sigMasks(k: Kernel): { blocked: bigint; ignored: bigint; caught: bigint } {
  const s = signalState(k);
  let ignored = 0n;
  let caught = 0n;
  s.actions.forEach((a, sig) => {
    if (sig === 0) return;
    if (a.handler === 1) ignored |= 1n << BigInt(sig - 1);
    else if (a.handler !== 0) caught |= 1n << BigInt(sig - 1);
  });
  return { blocked: s.blocked, ignored, caught };
}

function statText(k: Kernel): string {
  const pid = k.host.getpid();
  const img = image(k);
  const vm = vmFigures(k);
  const m = sigMasks(k);
  const mm = k.state.mm as { brkStart: number; brk: number } | undefined;
  const f: Array<number | string | bigint> = [
    pid,
    `(${commName(k)})`,
    "R",
    k.host.getppid(),
    pid,
    pid,
    0, // tty_nr
    -1, // tpgid
    0x400000, // flags
    0, 0, 0, 0, // minflt cminflt majflt cmajflt
    Math.floor(procCpuNs(k.proc) / TICK_NS), 0, Math.floor(k.proc.childCpuNs / TICK_NS), 0, // utime stime cutime cstime (ticks; time.ts)
    20 + niceValue(k), niceValue(k), 1, 0, // priority nice num_threads itrealvalue
    0, // starttime
    vm.size,
    vm.rss / PAGE_SIZE,
    "18446744073709551615",
    img?.base ?? 0,
    img?.brk ?? 0,
    img?.stackTop ?? 0,
    0, 0, // kstkesp kstkeip
    0n, m.blocked & 0x7fffffffn, m.ignored & 0x7fffffffn, m.caught & 0x7fffffffn, // obsolete signal fields (decimal)
    0, 0, 0, // wchan nswap cnswap
    17, 0, 0, 0, // exit_signal processor rt_priority policy
    0, 0, 0, // delayacct_blkio_ticks guest_time cguest_time
    0, 0, // start_data end_data
    mm?.brkStart ?? 0,
    img?.argStart ?? 0,
    img?.envStart ?? 0,
    img?.envStart ?? 0,
    img?.envEnd ?? 0,
    0, // exit_code
  ];
  return f.join(" ") + "\n";
}

function statusText(k: Kernel): string {
  const pid = k.host.getpid();
  const uid = k.host.getuid();
  const gid = k.host.getgid();
  const vm = vmFigures(k);
  const m = sigMasks(k);
  const kb = (n: number) => `${String(Math.floor(n / 1024)).padStart(8)} kB`;
  const umask = ((k.state.umask as number | undefined) ?? 0o022).toString(8).padStart(4, "0");
  const lines = [
    ["Name", commName(k)],
    ["Umask", umask],
    ["State", "R (running)"],
    ["Tgid", pid],
    ["Ngid", 0],
    ["Pid", pid],
    ["PPid", k.host.getppid()],
    ["TracerPid", 0],
    ["Uid", `${uid}\t${uid}\t${uid}\t${uid}`],
    ["Gid", `${gid}\t${gid}\t${gid}\t${gid}`],
    ["FDSize", 64],
    ["Groups", ""],
    ["VmPeak", kb(vm.size)],
    ["VmSize", kb(vm.size)],
    ["VmLck", kb(0)],
    ["VmPin", kb(0)],
    ["VmHWM", kb(vm.rss)],
    ["VmRSS", kb(vm.rss)],
    ["RssAnon", kb(vm.data + vm.stack)],
    ["RssFile", kb(vm.rss - vm.data - vm.stack)],
    ["RssShmem", kb(0)],
    ["VmData", kb(vm.data)],
    ["VmStk", kb(vm.stack)],
    ["VmExe", kb(vm.exe)],
    ["VmLib", kb(Math.max(0, vm.rss - vm.data - vm.stack - vm.exe))],
    ["VmPTE", kb(0)],
    ["VmSwap", kb(0)],
    ["Threads", 1],
    ["SigQ", "0/63545"],
    ["SigPnd", sigHex(0n)],
    ["ShdPnd", sigHex(0n)],
    ["SigBlk", sigHex(m.blocked)],
    ["SigIgn", sigHex(m.ignored)],
    ["SigCgt", sigHex(m.caught)],
    ["CapInh", sigHex(0n)],
    ["CapPrm", sigHex(uid === 0 ? 0x1ffffffffffn : 0n)],
    ["CapEff", sigHex(uid === 0 ? 0x1ffffffffffn : 0n)],
    ["CapBnd", sigHex(0x1ffffffffffn)],
    ["CapAmb", sigHex(0n)],
    ["NoNewPrivs", 0],
    ["Seccomp", 0],
    ["Cpus_allowed", "1"],
    ["Cpus_allowed_list", "0"],
    ["voluntary_ctxt_switches", 0],
    ["nonvoluntary_ctxt_switches", 0],
  ];
  return lines.map(([n, v]) => `${n}:\t${v}\n`).join("");
}

function statmText(k: Kernel): string {
  const vm = vmFigures(k);
  const p = (n: number) => Math.floor(n / PAGE_SIZE);
  return `${p(vm.size)} ${p(vm.rss)} ${p(vm.rss - vm.data - vm.stack)} ${p(vm.exe)} 0 ${p(vm.data + vm.stack)} 0\n`;
}

function auxvBytes(k: Kernel): Uint8Array {
  const aux = image(k)?.auxv ?? [[0, 0]];
  const b = new Uint8Array(aux.length * 16);
  const dv = new DataView(b.buffer);
  aux.forEach(([t, v], j) => {
    dv.setBigUint64(16 * j, BigInt(t), true);
    dv.setBigUint64(16 * j + 8, BigInt(v), true);
  });
  return b;
}

// ---- /proc/cpuinfo from CPUID ----------------------------------------------------------------

/** Linux's names for CPUID bits: [leaf, register (0 eax .. 3 edx), bit, name]. */
const FLAGS: Array<[number, number, number, string]> = [
  ...(["fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"].map((n, b) => [1, 3, b, n]) as Array<[number, number, number, string]>),
  ...(["pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", "", "pcid", "dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", "", "avx", "f16c", "rdrand", "hypervisor"].map((n, b) => [1, 2, b, n]) as Array<[number, number, number, string]>),
  ...(["syscall", "nx", "mmxext", "fxsr_opt", "pdpe1gb", "rdtscp", "lm"].map((n, j) => [0x80000001, 3, [11, 20, 22, 25, 26, 27, 29][j], n]) as Array<[number, number, number, string]>),
  ...(["lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse", "3dnowprefetch"].map((n, b) => [0x80000001, 2, b, n]) as Array<[number, number, number, string]>),
  ...(["fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep", "bmi2", "erms", "invpcid", "rtm", "", "", "mpx", "", "avx512f", "avx512dq", "rdseed", "adx", "smap", "avx512ifma", "", "clflushopt", "clwb", "", "avx512pf", "avx512er", "avx512cd", "sha_ni", "avx512bw", "avx512vl"].map((n, b) => [7, 1, b, n]) as Array<[number, number, number, string]>),
  ...(["", "avx512vbmi", "umip", "pku", "ospke", "waitpkg", "avx512_vbmi2", "", "gfni", "vaes", "vpclmulqdq", "avx512_vnni", "avx512_bitalg", "", "avx512_vpopcntdq", "", "", "", "", "", "", "", "rdpid"].map((n, b) => [7, 2, b, n]) as Array<[number, number, number, string]>),
];

function cpuinfoText(): string {
  const max = cpuid(0, 0)[0];
  const vendorRegs = cpuid(0, 0);
  const vendor = [vendorRegs[1], vendorRegs[3], vendorRegs[2]].map((r) => String.fromCharCode(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, (r >>> 24) & 0xff)).join("");
  const sig = cpuid(1, 0)[0];
  const baseFam = (sig >>> 8) & 0xf;
  const family = baseFam + (baseFam === 0xf ? (sig >>> 20) & 0xff : 0);
  const model = ((sig >>> 4) & 0xf) | (baseFam === 6 || baseFam === 0xf ? ((sig >>> 16) & 0xf) << 4 : 0);
  const extMax = cpuid(0x80000000, 0)[0] >>> 0;
  let brand = "";
  if (extMax >= 0x80000004) {
    for (let l = 0x80000002; l <= 0x80000004; l++) for (const r of cpuid(l, 0)) for (let b = 0; b < 4; b++) brand += String.fromCharCode((r >>> (8 * b)) & 0xff);
  }
  brand = brand.replace(/\0+$/, "").trim();
  const flags: string[] = [];
  for (const [leaf, reg, bit, name] of FLAGS) {
    if (!name) continue;
    if (leaf <= 0xff ? leaf > max : leaf > extMax) continue;
    if ((cpuid(leaf, 0)[reg] >>> bit) & 1) flags.push(name);
  }
  const rows: Array<[string, string | number]> = [
    ["processor", 0],
    ["vendor_id", vendor],
    ["cpu family", family],
    ["model", model],
    ["model name", brand],
    ["stepping", sig & 0xf],
    ["cpu MHz", "1000.000"],
    ["cache size", "512 KB"],
    ["physical id", 0],
    ["siblings", 1],
    ["core id", 0],
    ["cpu cores", 1],
    ["apicid", 0],
    ["initial apicid", 0],
    ["fpu", "yes"],
    ["fpu_exception", "yes"],
    ["cpuid level", max],
    ["wp", "yes"],
    ["flags", flags.join(" ")],
    ["bugs", ""],
    ["bogomips", "2000.00"],
    ["TLB size", "1024 4K pages"],
    ["clflush size", 64],
    ["cache_alignment", 64],
    ["address sizes", "48 bits physical, 48 bits virtual"],
    ["power management", ""],
  ];
  // Linux's layout: the name, tabs to column 16, ": value"
  return rows.map(([n, v]) => (n === "power management" ? `${n}:${v}\n` : `${n}${n.length < 8 ? "\t\t" : "\t"}: ${v}\n`)).join("") + "\n";
}

function meminfoText(k: Kernel): string {
  const m = k.host.memoryInfo?.() ?? { total: 1 << 30, free: 1 << 29 };
  const kb = (n: number) => `${String(Math.floor(n / 1024)).padStart(8)} kB`;
  const buffers = m.buffers ?? 0;
  const rows: Array<[string, number]> = [
    ["MemTotal", m.total],
    ["MemFree", m.free],
    ["MemAvailable", m.free + buffers],
    ["Buffers", buffers],
    ["Cached", 0],
    ["SwapCached", 0],
    ["Active", 0],
    ["Inactive", 0],
    ["Shmem", m.shared ?? 0],
    ["SwapTotal", 0],
    ["SwapFree", 0],
    ["Dirty", 0],
    ["Writeback", 0],
    ["CommitLimit", m.total],
    ["Committed_AS", m.total - m.free],
    ["VmallocTotal", 34359738367 * 1024],
    ["HugePages_Total", 0],
    ["Hugepagesize", 2048 * 1024],
  ];
  return rows.map(([n, v]) => (n === "HugePages_Total" ? `${n}:${String(v).padStart(8)}\n` : `${(n + ":").padEnd(15)}${kb(v)}\n`)).join("");
}

// ---- the virtual tree -------------------------------------------------------------------------

/** "/proc/self/x" for /proc/self, /proc/<our pid>, /proc/thread-self; the rest unchanged. */
function selfPath(k: Kernel, p: string): string | null {
  const m = /^\/proc\/(self|thread-self|\d+)(\/.*)?$/.exec(p);
  if (!m) return null;
  if (m[1] !== "self" && m[1] !== "thread-self" && Number(m[1]) !== k.host.getpid()) return null;
  return "/proc/self" + (m[2] ?? "");
}

const FILES: Record<string, (k: Kernel) => Uint8Array | string> = {
  maps: mapsText,
  cmdline: (k) => guestBytes(k, image(k)?.argStart ?? 0, image(k)?.envStart ?? 0),
  environ: (k) => guestBytes(k, image(k)?.envStart ?? 0, image(k)?.envEnd ?? 0),
  stat: statText,
  statm: statmText,
  status: statusText,
  auxv: auxvBytes,
  comm: (k) => commName(k) + "\n",
};
const LINKS = ["exe", "cwd", "root"];

function fdLink(k: Kernel, fd: number): string | null {
  const f = get(k, fd);
  if (!f) return null;
  if (f.kind === "std") return k.host.fdPath?.(f.h) ?? f.path;
  return (f.kind === "file" || f.kind === "dir") && f.h >= 0 ? realpath(k, f.path) : f.path;
}

function readlink(k: Kernel, p: string): string | null {
  if (p === "/proc/self" || p === "/proc/thread-self") return String(k.host.getpid());
  const s = selfPath(k, p);
  if (!s) return null;
  if (s === "/proc/self/exe") {
    const exe = k.state.exePath as string | undefined;
    return exe ? realpath(k, exe) : null;
  }
  if (s === "/proc/self/cwd") return files(k).cwd;
  if (s === "/proc/self/root") return "/";
  const m = /^\/proc\/self\/fd\/(\d+)$/.exec(s);
  return m ? fdLink(k, Number(m[1])) : null;
}

function open(k: Kernel, p: string): { data: Uint8Array } | { dirents: HostDirent[] } | null {
  if (p === "/proc/cpuinfo") return { data: enc.encode(cpuinfoText()) };
  if (p === "/proc/meminfo") return { data: enc.encode(meminfoText(k)) };
  const s = selfPath(k, p);
  if (!s) return null;
  const dot = (): HostDirent[] => [
    { name: ".", type: 4, ino: 1 },
    { name: "..", type: 4, ino: 1 },
  ];
  if (s === "/proc/self") return { dirents: [...dot(), { name: "fd", type: 4, ino: 2 }, ...Object.keys(FILES).map((name, j) => ({ name, type: 8, ino: 10 + j })), ...LINKS.map((name, j) => ({ name, type: 10, ino: 30 + j }))] };
  if (s === "/proc/self/fd") return { dirents: [...dot(), ...files(k).fds.flatMap((e, fd) => (e ? [{ name: String(fd), type: 10, ino: 100 + fd }] : []))] };
  const gen = FILES[s.slice("/proc/self/".length)];
  if (!gen) return null;
  const v = gen(k);
  return { data: typeof v === "string" ? enc.encode(v) : v };
}

function procStat(k: Kernel, mode: number, ino: number): HostStat {
  const now = k.host.realtimeNs();
  return { dev: 0x16, ino, mode, nlink: 1, uid: k.host.getuid(), gid: k.host.getgid(), rdev: 0, size: 0, blksize: 1024, blocks: 0, atimeNs: now, mtimeNs: now, ctimeNs: now };
}

function stat(k: Kernel, p: string, follow: boolean): HostStat | number | null {
  if (p === "/proc/cpuinfo" || p === "/proc/meminfo") return procStat(k, 0o100444, 4026531840 + p.length);
  if ((p === "/proc/self" || p === "/proc/thread-self") && !follow) return procStat(k, 0o120777, 3);
  const s = selfPath(k, p);
  if (!s) return null;
  if (s === "/proc/self" || s === "/proc/self/fd") return procStat(k, 0o40555, s.length);
  const name = s.slice("/proc/self/".length);
  if (name in FILES) return procStat(k, name === "comm" ? 0o100644 : name === "environ" || name === "auxv" ? 0o100400 : 0o100444, 10 + name.length);
  const fd = /^fd\/(\d+)$/.exec(name);
  if (fd || LINKS.includes(name)) {
    if (!follow) return fd && !get(k, Number(fd[1])) ? -ENOENT : procStat(k, 0o120777, 50);
    if (fd) {
      const f = get(k, Number(fd[1]));
      return f ? statOf(k, f) : -ENOENT;
    }
    const target = readlink(k, p);
    const st = target ? k.host.fs?.stat(target, true) : undefined;
    return st ?? -ENOENT;
  }
  return null;
}

setVirtualFiles({ open, stat, readlink });
