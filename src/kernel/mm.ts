/** Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mlock. */
import { MAX_MAP_COUNT, PAGE_SIZE, PROT_READ, PROT_WRITE, SharedObject, USER_TOP } from "../cpu/memory.js";
import { defineSyscall, exitHooks, type Kernel } from "./kernel.js";
import { RLIMIT_AS, RLIMIT_MEMLOCK, rlimits } from "./misc.js";
import { fmtMapFlags, fmtProt } from "./strace/flags.js";
import { get as getFile, type OFile } from "./files.js";
import { beforeFileRead, fileObject, writeBack } from "./pagecache.js";
import { EACCES, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOVERFLOW, EPERM } from "./errno.js";


const PROT_MASK = 7;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_GROWSDOWN = 0x100;
const MAP_NORESERVE = 0x4000;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;

/** Top of the mmap area (below the stack and its guard gap), as Linux's mmap_base without ASLR. */
export const MMAP_BASE = 0x7ffff7fff000;
const MMAP_BOTTOM = 0x10000;
interface MmState {
  brkStart: number;
  brk: number;
}

function mm(k: Kernel): MmState {
  let s = k.state.mm as MmState | undefined;
  if (!s) {
    const start = (k.state.brk as number) ?? 0x1000000;
    s = { brkStart: start, brk: start };
    k.state.mm = s;
  }
  return s;
}

const pageUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Is any page of [addr, addr+len) mapped? */
function anyMapped(k: Kernel, addr: number, len: number): boolean {
  return k.cpu.mem.anyMapped(addr, len);
}

/**
 * Room for a new mapping of len bytes (replacing what [addr, addr+len) holds when `replace`):
 * 0, or -ENOMEM past RLIMIT_AS, the commit limit (private writable memory the emulator
 * can hold; Linux's strict overcommit) or vm.max_map_count.
 */
function room(k: Kernel, addr: number, len: number, prot: number, noreserve: boolean, replace: boolean): number {
  const mem = k.cpu.mem;
  const old = replace ? mem.usageIn(addr, len) : { mapped: 0, committed: 0 };
  if (mem.mappedBytes - old.mapped + len > rlimits(k)[RLIMIT_AS][0]) return -ENOMEM;
  if (prot & PROT_WRITE && !noreserve && mem.committedBytes - old.committed + len > mem.commitLimit) return -ENOMEM;
  if (mem.mapCount > MAX_MAP_COUNT) return -ENOMEM;
  return 0;
}

defineSyscall({
  nr: 12,
  name: "brk",
  args: ["ptr"],
  ret: "x",
  fn: (k, a) => {
    const s = mm(k);
    const want = a.u(0);
    // (no size cap of its own, as on Linux: the heap grows until it meets a mapping, RLIMIT_AS or the commit limit)
    if (want === 0 || want < s.brkStart || pageUp(want) > USER_TOP) return s.brk;
    const oldTop = pageUp(s.brk);
    const newTop = pageUp(want);
    if (newTop > oldTop) {
      if (anyMapped(k, oldTop, newTop - oldTop)) return s.brk; // would collide: Linux refuses
      if (room(k, oldTop, newTop - oldTop, PROT_READ | PROT_WRITE, false, false) < 0) return s.brk;
      k.cpu.mem.map(oldTop, newTop - oldTop, 3);
    } else if (newTop < oldTop) {
      k.cpu.mem.unmap(newTop, oldTop - newTop);
    }
    s.brk = want;
    return s.brk;
  },
});

/** Where a mapping's contents come from (for /proc/self/maps). */
export interface MapName {
  start: number;
  end: number;
  /** file offset of `start` */
  offset: number;
  path: string;
  dev: number;
  ino: number;
  /** MAP_SHARED ("s" in /proc/self/maps) */
  shared?: boolean;
}

/** Named ranges, sorted by start, not overlapping (the loader's files, [stack], [heap], mmapped files). */
export function mapNames(k: Kernel): MapName[] {
  let n = k.state.mapNames as MapName[] | undefined;
  if (!n) {
    const image = k.state.image as { files?: Array<{ start: number; end: number; offset: number; path: string }> } | undefined;
    n = (image?.files ?? []).map((f) => ({ ...f, dev: 0, ino: 0 })).sort((a, b) => a.start - b.start);
    k.state.mapNames = n;
  }
  return n;
}

/** Give [start, end) a name (null: anonymous), cutting what it overlaps. */
export function nameRange(k: Kernel, start: number, end: number, name: Omit<MapName, "start" | "end"> | null): void {
  const list = mapNames(k);
  const out: MapName[] = [];
  for (const r of list) {
    if (r.end <= start || r.start >= end) out.push(r);
    else {
      if (r.start < start) out.push({ ...r, end: start });
      if (r.end > end) out.push({ ...r, start: end, offset: r.offset + (end - r.start) });
    }
  }
  if (name) out.push({ ...name, start, end });
  out.sort((a, b) => a.start - b.start);
  list.length = 0;
  list.push(...out);
}


/**
 * MAP_SHARED file mappings show their file's page cache object (pagecache.ts),
 * which holds the file open while some address space maps it; its pages are
 * written back to the file at msync, munmap, exit and execve.
 */
exitHooks.push((k) => {
  flushShared(k, 0, USER_TOP);
  // an execve's old address space ends now (its robust list was released first); an exiting
  // process's ends once its threads are gone (endAddressSpace: their robust lists may still
  // store into shared pages), its shared pages going back to their objects meanwhile
  if (k.status === null) endAddressSpace(k);
  else k.cpu.mem.releaseShared();
});

/**
 * The address space of k's process ends (exit, execve), unless another live
 * process shares it (a vfork parent): its shared pages go back to their
 * objects, and a file no mapping shows any more is let go.
 */
export function endAddressSpace(k: Kernel): void {
  const mem = k.cpu.mem;
  for (const p of k.sched?.procs.values() ?? []) {
    if (p !== k.proc && p.status === null && p.kernel.cpu.mem === mem) return mem.releaseShared();
  }
  mem.endShared();
}

/** Write the pages of shared file mappings in [start, end) back to their files (not beyond the end of file). */
function flushShared(k: Kernel, start: number, end: number): void {
  const lo = Math.floor(start / PAGE_SIZE);
  const hi = Math.ceil(end / PAGE_SIZE);
  k.cpu.mem.sharedIn(lo, hi, (s, e, obj, off) => {
    writeBack(obj, (off + Math.max(lo, s) - s) * PAGE_SIZE, (off + Math.min(hi, e) - s) * PAGE_SIZE);
  });
}

/** The bytes of a file mapping: [off, off+len) of fd's file, shorter at end of file. */
function fileContents(k: Kernel, fd: number, off: number, len: number, prot: number, shared: boolean): { data: Uint8Array; name: Omit<MapName, "start" | "end">; file: OFile } | number {
  const f = getFile(k, fd);
  if (!f) return -EBADF;
  if (f.kind !== "file") return f.kind === "dir" ? -ENODEV : -EACCES;
  const acc = f.flags & 3;
  if (acc === 1 || (shared && prot & 2 && acc !== 2)) return -EACCES;
  const fsx = k.host.fs!;
  const st = fsx.fstat(f.h);
  if (typeof st === "number") return st;
  // (a shared mapping reads the file through its page cache object instead)
  const n = shared ? 0 : Math.max(0, Math.min(len, st.size - off));
  if (n > 0) beforeFileRead(k, f.h, off, n); // a private copy sees what shared mappings stored
  const data = new Uint8Array(n);
  for (let o = 0; o < n; ) {
    const r = fsx.pread(f.h, data.subarray(o), off + o);
    if (r < 0) return r;
    if (r === 0) break;
    o += r;
  }
  return { data, name: { offset: off, path: f.path, dev: st.dev, ino: st.ino }, file: f };
}

function doMmap(k: Kernel, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  if (len === 0) return -EINVAL;
  if (addr % PAGE_SIZE !== 0 && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return -EINVAL;
  if (off % PAGE_SIZE !== 0) return -EINVAL;
  const type = flags & 3;
  if (type !== MAP_PRIVATE && type !== MAP_SHARED) return -EINVAL;
  if (len > USER_TOP) return -ENOMEM;
  const size = pageUp(len);
  if (!(flags & MAP_ANONYMOUS) && off + size > 2 ** 64) return -EOVERFLOW; // the page offset would wrap
  const mem = k.cpu.mem;
  const noreserve = (flags & MAP_NORESERVE) !== 0;
  let file: { data: Uint8Array; name: Omit<MapName, "start" | "end">; file: OFile } | null = null;
  if (!(flags & MAP_ANONYMOUS)) {
    const r = fileContents(k, fd, off, len, prot, type === MAP_SHARED);
    if (typeof r === "number") return r;
    file = r;
  }
  let at: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr + size > USER_TOP) return -ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && anyMapped(k, addr, size)) return -EEXIST;
    at = addr;
  } else {
    at = -1;
    const hint = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    if (hint >= MMAP_BOTTOM && hint + size <= MMAP_BASE && !anyMapped(k, hint, size)) at = hint;
    if (at < 0) at = mem.findFree(size, MMAP_BASE, MMAP_BOTTOM);
    if (at < 0) return -ENOMEM;
  }
  const r = room(k, at, size, prot, noreserve, (flags & MAP_FIXED) !== 0);
  if (r < 0) return r;
  // anonymous MAP_SHARED memory is one object that fork shares (Linux: a shmem file, shown as /dev/zero)
  const anonShared = !file && type === MAP_SHARED;
  // a shared file mapping shows the file's page cache object (every such mapping of the file, in any process)
  const fileShared = file && type === MAP_SHARED ? fileObject(k, file.file) : null;
  mem.map(at, size, prot & PROT_MASK, noreserve, anonShared ? new SharedObject(size / PAGE_SIZE) : fileShared, off / PAGE_SIZE);
  if (file && !fileShared && file.data.length) mem.writeBytes(at, file.data, false);
  nameRange(k, at, at + size, file ? { ...file.name, shared: type === MAP_SHARED } : anonShared ? { offset: 0, path: "/dev/zero (deleted)", dev: 1, ino: 0, shared: true } : null);
  void MAP_GROWSDOWN;
  return at;
}

defineSyscall({
  nr: 9,
  name: "mmap",
  args: ["ptr", "u", fmtProt, fmtMapFlags, "fd", "x"],
  ret: "x",
  fn: (k, a) => doMmap(k, a.u(0), a.u(1), a.i32(2), a.i32(3), a.i32(4), a.u(5)),
});

defineSyscall({
  nr: 11,
  name: "munmap",
  args: ["ptr", "u"],
  fn: (k, a) => {
    const addr = a.u(0);
    const len = a.u(1);
    if (addr % PAGE_SIZE !== 0 || len === 0 || addr + len > USER_TOP) return -EINVAL;
    const mem = k.cpu.mem;
    // unmapping from the middle of a mapping splits it in two
    if (mem.splitsAt(addr, pageUp(len)) === 2 && mem.mapCount >= MAX_MAP_COUNT) return -ENOMEM;
    flushShared(k, addr, addr + pageUp(len));
    mem.unmap(addr, pageUp(len));
    nameRange(k, addr, addr + pageUp(len), null);
    return 0;
  },
});

defineSyscall({
  nr: 10,
  name: "mprotect",
  args: ["ptr", "u", fmtProt],
  fn: (k, a) => {
    const addr = a.u(0);
    const len = pageUp(a.u(1));
    const prot = a.i32(2);
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    if (prot & ~(PROT_MASK | 8 | 0x01000000 | 0x02000000)) return -EINVAL; // PROT_SEM, PROT_GROWSDOWN/GROWSUP
    if (len === 0) return 0;
    if (addr + len > USER_TOP) return -ENOMEM;
    const mem = k.cpu.mem;
    if (mem.unmappedIn(addr, len) >= 0) return -ENOMEM;
    if (prot & PROT_WRITE && mem.committedBytes - mem.usageIn(addr, len).committed + len > mem.commitLimit) return -ENOMEM;
    const splits = mem.splitsAt(addr, len);
    if (splits > 0 && mem.mapCount + splits > MAX_MAP_COUNT) return -ENOMEM;
    mem.protect(addr, len, prot & PROT_MASK);
    return 0;
  },
});

defineSyscall({
  nr: 25,
  name: "mremap",
  args: ["ptr", "u", "u", "x", "ptr"],
  ret: "x",
  fn: (k, a) => {
    const old = a.u(0);
    const oldLen = pageUp(a.u(1));
    const newLen = pageUp(a.u(2));
    const flags = a.i32(3);
    if (old % PAGE_SIZE !== 0 || newLen === 0) return -EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4)) return -EINVAL;
    if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
    const mem = k.cpu.mem;
    const prot = mem.protOf(old);
    if (prot < 0) return -EFAULT;
    if (!(flags & MREMAP_FIXED)) {
      if (newLen <= oldLen) {
        if (newLen < oldLen) {
          mem.unmap(old + newLen, oldLen - newLen);
          nameRange(k, old + newLen, old + oldLen, null);
        }
        return old;
      }
      const r = room(k, old + oldLen, newLen - oldLen, prot, false, false);
      if (r < 0) return r;
      // grow in place when the pages after it are free
      if (!anyMapped(k, old + oldLen, newLen - oldLen) && old + newLen <= USER_TOP) {
        const sh = mem.sharedAt(old); // a shared mapping grows into more of its object
        mem.map(old + oldLen, newLen - oldLen, prot, false, sh?.obj ?? null, sh ? sh.page + oldLen / PAGE_SIZE : 0);
        if (sh) nameRange(k, old + oldLen, old + newLen, mapNames(k).find((r) => r.start <= old && r.end > old) ?? null);
        return old;
      }
      if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    } else {
      const r = room(k, a.u(4), Math.max(0, newLen - oldLen), prot, false, false);
      if (r < 0) return r;
    }
    const dest = flags & MREMAP_FIXED ? a.u(4) : mem.findFree(newLen, MMAP_BASE, MMAP_BOTTOM);
    if (dest < 0) return -ENOMEM;
    if (dest % PAGE_SIZE !== 0 || dest + newLen > USER_TOP) return -EINVAL;
    if (flags & MREMAP_FIXED && dest < old + oldLen && old < dest + newLen) return -EINVAL; // overlapping
    const name = mapNames(k).find((r) => r.start <= old && r.end > old);
    mem.remap(old, oldLen, dest, newLen);
    nameRange(k, old, old + oldLen, null);
    nameRange(k, dest, dest + newLen, name ? { ...name, offset: name.offset + (old - name.start) } : null);
    return dest;
  },
});

/** Is every page of [addr, addr+len) mapped? */
function allMapped(k: Kernel, addr: number, len: number): boolean {
  return k.cpu.mem.unmappedIn(addr, len) < 0;
}

// madvise advice values Linux accepts (mm/madvise.c madvise_behavior_valid)
const MADV_DONTNEED = 4;
const MADV_FREE = 8;
const MADV_REMOVE = 9;
const MADV_VALID = new Set([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 100, 101]);

defineSyscall({
  nr: 28,
  name: "madvise",
  args: ["ptr", "u", "d"],
  fn: (k, a) => {
    const addr = a.u(0);
    const lenIn = a.u(1);
    const advice = a.i32(2);
    if (addr % PAGE_SIZE !== 0 || !MADV_VALID.has(advice)) return -EINVAL;
    if (advice >= 100) return -EPERM; // MADV_HWPOISON, MADV_SOFT_OFFLINE need CAP_SYS_ADMIN
    const len = pageUp(lenIn);
    if (addr + len > 2 ** 64) return -EINVAL;
    if (len === 0) return 0;
    if (!allMapped(k, addr, len)) return -ENOMEM;
    if (advice === MADV_REMOVE) return -EINVAL; // only for shared file mappings
    // private anonymous memory reads back as zeros after DONTNEED (and FREE, when reclaimed)
    if (advice === MADV_DONTNEED || advice === MADV_FREE) k.cpu.mem.discard(addr, len);
    return 0;
  },
});
defineSyscall({
  nr: 26,
  name: "msync",
  args: ["ptr", "u", "x"],
  fn: (k, a) => {
    const addr = a.u(0);
    const flags = a.i32(2);
    if (addr % PAGE_SIZE || flags & ~7 || (flags & 1 && flags & 4)) return -EINVAL; // MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4
    const end = addr + pageUp(a.u(1));
    for (let p = addr; p < end; p += PAGE_SIZE) if (!k.cpu.mem.isMapped(p)) return -ENOMEM;
    flushShared(k, addr, end);
    return 0;
  },
});

/** Bytes locked by mlock (counted against RLIMIT_MEMLOCK). */
function lockedBytes(k: Kernel, delta: number): number {
  const v = Math.max(0, ((k.state.lockedBytes as number | undefined) ?? 0) + delta);
  k.state.lockedBytes = v;
  return v;
}

/** mlock/munlock: the range as Linux rounds it (start down, length up), or -errno. */
function lockRange(k: Kernel, addrIn: number, lenIn: number): [number, number] | number {
  const addr = Math.floor(addrIn / PAGE_SIZE) * PAGE_SIZE;
  const len = pageUp(lenIn + (addrIn - addr));
  if (addr + len > 2 ** 64) return -EINVAL;
  if (len === 0) return [addr, 0];
  return [addr, len];
}

function doMlock(k: Kernel, addrIn: number, lenIn: number): number {
  const r = lockRange(k, addrIn, lenIn);
  if (typeof r === "number") return r;
  const [addr, len] = r;
  const limit = rlimits(k)[RLIMIT_MEMLOCK][0];
  const locked = (k.state.lockedBytes as number | undefined) ?? 0;
  if (locked + len > limit && k.host.getuid() !== 0) return -ENOMEM;
  if (len === 0) return 0;
  if (!allMapped(k, addr, len)) return -ENOMEM;
  lockedBytes(k, len);
  return 0;
}

defineSyscall({ nr: 149, name: "mlock", args: ["ptr", "u"], fn: (k, a) => doMlock(k, a.u(0), a.u(1)) });
defineSyscall({ nr: 325, name: "mlock2", args: ["ptr", "u", "x"], fn: (k, a) => (a.u32(2) & ~1 ? -EINVAL : doMlock(k, a.u(0), a.u(1))) });
defineSyscall({
  nr: 150,
  name: "munlock",
  args: ["ptr", "u"],
  fn: (k, a) => {
    const r = lockRange(k, a.u(0), a.u(1));
    if (typeof r === "number") return r;
    if (r[1] === 0) return 0;
    if (!allMapped(k, r[0], r[1])) return -ENOMEM;
    lockedBytes(k, -r[1]);
    return 0;
  },
});
