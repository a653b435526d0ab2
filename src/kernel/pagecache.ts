/**
 * The page cache of MAP_SHARED file mappings: one shared object per file
 * (device and inode), whose pages every MAP_SHARED mapping of that file in
 * every process shows (see SharedObject in cpu/memory.ts). A page is read
 * from the file when first touched; its size follows the file's, so a page
 * wholly past the end of the file raises SIGBUS and ftruncate growing the
 * file makes pages valid. read/write of the file stay coherent with the
 * mappings: a write puts its bytes into the cached pages too, and a read
 * first writes the cached pages it covers to the file. msync, munmap and
 * exit write the pages back (mm.ts). The object holds the file open while
 * some address space maps it; when the last mapping goes (munmap, exit,
 * execve) its pages are written back, the file is let go and the object
 * leaves the cache (a later mapping reads the file afresh).
 */
import { PAGE_SIZE, SharedObject } from "../cpu/memory.js";
import type { HostFs } from "../host/host.js";
import type { Kernel } from "./kernel.js";
import { release, type OFile } from "./files.js";

class FileObject extends SharedObject {
  private readonly fsx: HostFs;
  /** a host handle of the file, open while mapped */
  readonly h: number;
  constructor(
    private readonly k: Kernel,
    /** the open file the object holds (one reference) */
    private readonly f: OFile,
    private readonly key: string,
  ) {
    super(0);
    this.fsx = k.host.fs!;
    this.h = f.h;
  }

  protected override unused(): void {
    this.writeBack(0, Number.MAX_SAFE_INTEGER);
    const m = caches.get(this.fsx);
    if (m?.get(this.key) === this) m.delete(this.key);
    release(this.k, this.f);
  }

  /** The file's size in bytes (0 when it cannot be read). */
  fileSize(): number {
    const st = this.fsx.fstat(this.h);
    return typeof st === "number" ? 0 : st.size;
  }

  override limit(): number {
    return Math.ceil(this.fileSize() / PAGE_SIZE);
  }

  protected override fresh(i: number): Uint8Array | null {
    const size = this.fileSize();
    const n = Math.max(0, Math.min(PAGE_SIZE, size - i * PAGE_SIZE));
    if (n === 0) return null;
    const b = new Uint8Array(PAGE_SIZE);
    for (let o = 0; o < n; ) {
      const r = this.fsx.pread(this.h, b.subarray(o, n), i * PAGE_SIZE + o);
      if (r <= 0) break;
      o += r;
    }
    return b;
  }

  /** Write the cached pages covering [from, to) to the file (not past its end). */
  writeBack(from: number, to: number): void {
    const end = Math.min(to, this.fileSize());
    for (let i = Math.floor(from / PAGE_SIZE); i * PAGE_SIZE < end; i++) {
      const v = this.view(i);
      if (!v) continue;
      const lo = Math.max(from, i * PAGE_SIZE);
      const hi = Math.min(end, (i + 1) * PAGE_SIZE);
      this.fsx.pwrite(this.h, v.subarray(lo - i * PAGE_SIZE, hi - i * PAGE_SIZE), lo);
    }
  }
}

/** Write the cached pages of [from, to) of obj's file to the file; false when obj is no file's. */
export function writeBack(obj: SharedObject, from: number, to: number): boolean {
  if (!(obj instanceof FileObject)) return false;
  obj.writeBack(from, to);
  return true;
}

/** The objects by file system, then by "dev:ino". */
const caches = new WeakMap<HostFs, Map<string, FileObject>>();

function keyOf(fsx: HostFs, h: number): string | null {
  const st = fsx.fstat(h);
  return typeof st === "number" ? null : `${st.dev}:${st.ino}`;
}

/** The shared object of f's file, made for a MAP_SHARED mapping (which keeps `f` open). */
export function fileObject(k: Kernel, f: OFile): SharedObject | null {
  const fsx = k.host.fs;
  if (!fsx || f.h < 0) return null;
  const key = keyOf(fsx, f.h);
  if (key === null) return null;
  let m = caches.get(fsx);
  if (!m) caches.set(fsx, (m = new Map()));
  let o = m.get(key);
  if (!o) {
    // the object keeps the file open while mapped
    f.refs++;
    m.set(key, (o = new FileObject(k, f, key)));
  }
  return o;
}

/** f's file's object when some mapping made one (cheap when none exists). */
function cached(k: Kernel, h: number): FileObject | null {
  const fsx = k.host.fs;
  const m = fsx ? caches.get(fsx) : undefined;
  if (!m || m.size === 0 || h < 0) return null;
  const key = keyOf(fsx!, h);
  return key === null ? null : (m.get(key) ?? null);
}

/** Before a read of [at, at+len) of the file open as host handle h: the mapped pages' bytes go to the file. */
export function beforeFileRead(k: Kernel, h: number, at: number, len: number): void {
  cached(k, h)?.writeBack(at, at + len);
}

/** After a write of data at `at` to the file open as h: the cached pages take the new bytes. */
export function afterFileWrite(k: Kernel, h: number, at: number, data: Uint8Array): void {
  const o = cached(k, h);
  if (!o) return;
  for (let done = 0; done < data.length; ) {
    const a = at + done;
    const i = Math.floor(a / PAGE_SIZE);
    const n = Math.min(data.length - done, PAGE_SIZE - (a % PAGE_SIZE));
    if (o.pages.has(i)) o.store(i, a % PAGE_SIZE, data.subarray(done, done + n));
    done += n;
  }
}

/** After the file open as h was truncated to `size`: pages past it go, the tail of the last one reads as zeros. */
export function afterTruncate(k: Kernel, h: number, size: number): void {
  const o = cached(k, h);
  if (!o) return;
  const keep = Math.ceil(size / PAGE_SIZE);
  o.shrink(keep);
  if (size % PAGE_SIZE) o.view(keep - 1)?.fill(0, size % PAGE_SIZE);
}
