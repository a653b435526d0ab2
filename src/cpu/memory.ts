/**
 * Sparse, paged guest memory living in one WebAssembly.Memory.
 *
 * Layout of the WebAssembly.Memory (see shared/DESIGN.md):
 *   [0, STATE_BYTES)        CPU state (registers, see state.ts) and the TLB arrays
 *   [FRAMES_OFFSET, ...)    4 KiB guest frames, allocated on first write
 *
 * Mappings are ranges of pages (vma.ts): reserving or unmapping terabytes is
 * one range operation. Pages that hold a frame are in a JS Map (page number
 * -> frame index and protection), the slow path behind a direct-mapped TLB
 * kept in the same linear memory (tags as f64, frame offsets as u32) so that
 * both the JS interpreter and generated WebAssembly can use it. A page that
 * was never written reads from one shared zero frame. Read and write TLBs are
 * separate: the write TLB never holds pages that contain decoded code, so a
 * store to code always takes the slow path and invalidates those blocks.
 *
 * Guest RAM is bounded by the WebAssembly memory (4 GiB, less the state
 * area): private writable mappings are accounted against that limit (the
 * kernel gives ENOMEM beyond it, like Linux's strict overcommit), and a write
 * that finds no frame left raises OutOfMemory (SIGBUS for the guest).
 */
import { VMA_NORESERVE, VMA_SHARED, VmaList, accounted } from "./vma.js";

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PAGE_MASK = 4095;

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
/** Page flag: decoded blocks exist for this page (not a protection bit). */
const PAGE_CODE = 8;

/** Byte offsets of the fixed areas in linear memory. */
export const STATE_OFFSET = 0;
export const STATE_BYTES = 0x1000;
export const TLB_BITS = 14;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
export const TLB_R_TAG = 0x1000; // f64[TLB_SIZE]
export const TLB_W_TAG = TLB_R_TAG + TLB_SIZE * 8; // f64[TLB_SIZE]
export const TLB_R_FRAME = TLB_W_TAG + TLB_SIZE * 8; // u32[TLB_SIZE]
export const TLB_W_FRAME = TLB_R_FRAME + TLB_SIZE * 4; // u32[TLB_SIZE]
export const FRAMES_OFFSET = 0x100000; // 1 MiB: frames start here
/** The first frame is all zeros and never written: reads of pages without a frame of their own. */
const ZERO_FRAME = FRAMES_OFFSET >>> 12;

/** Lowest and one-past-highest user address (47-bit user space, as Linux x86-64). */
export const USER_TOP = 0x800000000000;
const USER_TOP_PAGE = USER_TOP / PAGE_SIZE;

const WASM_PAGE = 65536;
const GROW_STEP = 256; // wasm pages (16 MiB)
/** 4 GiB: the most a 32-bit WebAssembly memory holds (frame offsets are u32). */
const MAX_WASM_PAGES = 65536;
/** Bytes of guest RAM the emulator can hold at most (the memory less the state area and the zero frame). */
export const GUEST_RAM_LIMIT = MAX_WASM_PAGES * WASM_PAGE - FRAMES_OFFSET - PAGE_SIZE;
/** Linux's default vm.max_map_count. */
export const MAX_MAP_COUNT = 65530;

export type AccessKind = "read" | "write" | "exec";

/** A guest memory access that the page tables do not allow. */
export class MemoryFault extends Error {
  constructor(
    public readonly addr: number,
    public readonly access: AccessKind,
    /** true when the page is mapped but the access is not permitted */
    public readonly protection: boolean,
  ) {
    super(`${access} of ${protection ? "protected" : "unmapped"} address 0x${addr.toString(16)}`);
  }
}

/** No frame left for a page the guest touched (the guest gets SIGBUS). */
export class OutOfMemory extends Error {
  constructor(public readonly addr: number) {
    super(`guest memory exhausted at address 0x${addr.toString(16)}`);
  }
}

/**
 * One page of a shared memory object (MAP_SHARED). Its current bytes live in
 * the frame of exactly one address space, its owner (an ordinary frame there,
 * reached through the TLB like any other), or in `bytes` when none holds it.
 * An address space touching a shared page it does not own takes it over on its
 * slow path: the bytes move into a frame of its own and the previous owner
 * loses the page (frame freed, TLB entries and blocks decoded from it dropped),
 * so its next access comes back through the slow path. Address spaces run one
 * at a time, so every access sees the latest bytes, and the TLB probe is the
 * same as for private pages.
 */
export class SharedPage {
  owner: Memory | null = null;
  /** page number of this page in the owner */
  ownerPage = 0;
  /** the bytes while no address space holds the page (null: all zeros) */
  bytes: Uint8Array | null = null;
}

/** A touch of a mapped page past the end of the object it shows (the guest gets SIGBUS, BUS_ADRERR). */
export class BusError extends Error {
  constructor(public readonly addr: number) {
    super(`access past the end of a shared mapping's object at address 0x${addr.toString(16)}`);
  }
}

/**
 * A shared memory object (anonymous MAP_SHARED: Linux's shmem file of the first
 * mapping's size): its pages by index, made on first touch. Pages at or past
 * `size` do not exist (touching them raises BusError), whatever the mappings' sizes.
 */
export class SharedObject {
  constructor(public size: number) {}
  readonly pages = new Map<number, SharedPage>();
  /** Mapped ranges showing the object, in every address space (unused() runs when the last goes). */
  maps = 0;
  /** The last mapping of the object went (a file's page cache writes back and lets the file go). */
  protected unused(): void {}
  /** One more range shows the object. */
  mapped(): void {
    this.maps++;
  }
  /** One range showing the object went. */
  unmapped(): void {
    if (--this.maps === 0) this.unused();
  }
  page(i: number): SharedPage {
    let sp = this.pages.get(i);
    if (!sp) {
      sp = new SharedPage();
      sp.bytes = this.fresh(i);
      this.pages.set(i, sp);
    }
    return sp;
  }
  /** Pages the object has (touching one at or past this raises BusError). */
  limit(): number {
    return this.size;
  }
  /** The first contents of page i (null: zeros); a file's object reads the file. */
  protected fresh(_i: number): Uint8Array | null {
    return null;
  }
  /** The current bytes of page i (a view of the holder's frame, or its saved copy), null when never touched or all zeros. */
  view(i: number): Uint8Array | null {
    const sp = this.pages.get(i);
    if (!sp) return null;
    if (sp.owner) return sp.owner.frameView(sp.ownerPage);
    return sp.bytes;
  }
  /** Write bytes into page i at off (the page is made if needed). */
  store(i: number, off: number, data: Uint8Array): void {
    let v = this.view(i);
    if (!v) {
      const sp = this.page(i);
      if (!sp.bytes) sp.bytes = new Uint8Array(PAGE_SIZE);
      v = this.view(i)!;
    }
    v.set(data, off);
  }
  /** Forget pages at and past `first` (the object shrank): their holders lose them. */
  shrink(first: number): void {
    for (const [i, sp] of [...this.pages]) {
      if (i < first) continue;
      if (sp.owner) sp.owner.dropPage(sp.ownerPage);
      this.pages.delete(i);
    }
  }
}

/** Pages [s, e) of an address space show pages [off, off + e - s) of a shared object. */
interface SharedRange {
  s: number;
  e: number;
  obj: SharedObject;
  off: number;
}

export interface MemoryHook {
  start: number;
  end: number; // exclusive
  fn: (addr: number, size: number, kind: "read" | "write", value: bigint) => void;
}

/** A mapped range for /proc/self/maps-like views (addresses, protection). */
export interface Region {
  start: number;
  end: number;
  prot: number;
}

export interface MemoryOptions {
  /** Most bytes of guest RAM to hold (default and ceiling: GUEST_RAM_LIMIT). */
  maxBytes?: number;
}

export class Memory {
  readonly wmem: WebAssembly.Memory;
  u8!: Uint8Array;
  dv!: DataView;
  i32!: Int32Array;
  private tlbRTag!: Float64Array;
  private tlbWTag!: Float64Array;
  private tlbRFrame!: Uint32Array;
  private tlbWFrame!: Uint32Array;

  /** The mappings (ranges of pages with their protection). */
  vmas = new VmaList();
  /** page number -> frameIndex * 16 + flags, for pages that have a frame of their own */
  private readonly pages = new Map<number, number>();
  private readonly freeFrames: number[] = [];
  /** Shared pages this address space holds (page number -> page), a subset of `pages`. */
  private readonly owned = new Map<number, SharedPage>();
  /** The shared mappings (MAP_SHARED), not overlapping. */
  private shared: SharedRange[] = [];
  private nextFrame: number; // frame index (offset / 4096)
  /** Frames the guest may hold at most. */
  readonly maxFrames: number;
  private readonly viewListeners: Array<() => void> = [];
  /** Called when a store hits a page holding decoded code. */
  onCodeWrite: ((page: number) => void) | null = null;
  /** Memory hooks (API / debugger watchpoints). While any exist the TLB is bypassed. */
  hooks: MemoryHook[] = [];

  constructor(initialBytes = 4 * 1024 * 1024, opts: MemoryOptions = {}) {
    const initialPages = Math.max(Math.ceil((FRAMES_OFFSET + 2 * PAGE_SIZE) / WASM_PAGE), Math.ceil(initialBytes / WASM_PAGE));
    this.wmem = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_WASM_PAGES });
    this.nextFrame = ZERO_FRAME + 1;
    this.maxFrames = Math.floor(Math.min(opts.maxBytes ?? GUEST_RAM_LIMIT, GUEST_RAM_LIMIT) / PAGE_SIZE);
    this.makeViews();
    this.flushTlb();
  }

  private makeViews(): void {
    const buf = this.wmem.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.i32 = new Int32Array(buf);
    this.tlbRTag = new Float64Array(buf, TLB_R_TAG, TLB_SIZE);
    this.tlbWTag = new Float64Array(buf, TLB_W_TAG, TLB_SIZE);
    this.tlbRFrame = new Uint32Array(buf, TLB_R_FRAME, TLB_SIZE);
    this.tlbWFrame = new Uint32Array(buf, TLB_W_FRAME, TLB_SIZE);
    for (const l of this.viewListeners) l();
  }

  /** Register a callback run whenever the linear memory grows (views must be remade). */
  onViewsChanged(fn: () => void): void {
    this.viewListeners.push(fn);
  }

  flushTlb(): void {
    this.tlbRTag.fill(NaN); // NaN never equals a page number
    this.tlbWTag.fill(NaN);
  }

  private flushTlbPage(page: number): void {
    const idx = page & TLB_MASK;
    if (this.tlbRTag[idx] === page) this.tlbRTag[idx] = NaN;
    if (this.tlbWTag[idx] === page) this.tlbWTag[idx] = NaN;
  }

  /** Drop TLB entries of pages [s, e) (also those reading the zero frame, which have no frame entry). */
  private flushTlbRange(s: number, e: number): void {
    if (e - s >= TLB_SIZE) this.flushTlb();
    else for (let p = s; p < e; p++) this.flushTlbPage(p);
  }

  // ---- mapping -------------------------------------------------------------

  /**
   * Map [addr, addr+len) (page-rounded) with `prot`; existing pages are replaced (zeroed).
   * `noreserve`: not counted as committed memory (MAP_NORESERVE).
   */
  map(addr: number, len: number, prot: number, noreserve = false, obj: SharedObject | null = null, objPage = 0): void {
    const [s, e] = pageRange(addr, len);
    this.dropFrames(s, e);
    this.flushTlbRange(s, e);
    this.cutShared(s, e);
    if (obj && e > s) this.addShared({ s, e, obj, off: objPage });
    this.vmas.set(s, e, (prot & 7) | (noreserve ? VMA_NORESERVE : 0) | (obj ? VMA_SHARED : 0));
  }

  unmap(addr: number, len: number): void {
    const [s, e] = pageRange(addr, len);
    this.dropFrames(s, e);
    this.flushTlbRange(s, e);
    this.cutShared(s, e);
    this.vmas.set(s, e, -1);
  }

  /** The shared object and its page index shown at addr, or null for private memory. */
  sharedAt(addr: number): { obj: SharedObject; page: number } | null {
    const p = Math.floor(addr / PAGE_SIZE);
    const r = this.sharedRange(p);
    return r ? { obj: r.obj, page: r.off + (p - r.s) } : null;
  }

  private sharedRange(p: number): SharedRange | null {
    for (const r of this.shared) if (p >= r.s && p < r.e) return r;
    return null;
  }

  /** The shared ranges overlapping pages [s, e), as (first page, end page, object, object page of the first). */
  sharedIn(s: number, e: number, fn: (s: number, e: number, obj: SharedObject, off: number) => void): void {
    for (const r of [...this.shared]) if (r.e > s && r.s < e) fn(r.s, r.e, r.obj, r.off);
  }

  private addShared(r: SharedRange): void {
    r.obj.mapped();
    this.shared.push(r);
  }

  /** Remove [s, e) from the shared ranges (splitting those it cuts); an object no range shows any more is told. */
  private cutShared(s: number, e: number): void {
    if (this.shared.length === 0) return;
    const out: SharedRange[] = [];
    const gone: SharedObject[] = [];
    for (const r of this.shared) {
      if (r.e <= s || r.s >= e) out.push(r);
      else {
        // the pieces left count before the cut range stops counting: a split never ends the object
        if (r.s < s) (out.push({ s: r.s, e: s, obj: r.obj, off: r.off }), r.obj.mapped());
        if (r.e > e) (out.push({ s: e, e: r.e, obj: r.obj, off: r.off + (e - r.s) }), r.obj.mapped());
        gone.push(r.obj);
      }
    }
    this.shared = out;
    for (const o of gone) o.unmapped();
  }

  /** Free the frames of pages in [s, e) (blocks decoded from them are dropped; shared pages keep their bytes). */
  private dropFrames(s: number, e: number): void {
    this.eachFrame(s, e, (p, entry) => {
      const sp = this.owned.size !== 0 ? this.owned.get(p) : undefined;
      if (sp) sp.bytes = this.u8.slice((entry >>> 4) * PAGE_SIZE, ((entry >>> 4) + 1) * PAGE_SIZE);
      this.loseFrame(p, entry);
    });
  }

  /** Give up page p's frame: its blocks, TLB entries and (for a shared page) ownership go. */
  private loseFrame(p: number, entry: number): void {
    if (entry & PAGE_CODE && this.onCodeWrite) this.onCodeWrite(p);
    this.freeFrames.push(entry >>> 4);
    this.pages.delete(p);
    this.flushTlbPage(p);
    const sp = this.owned.size !== 0 ? this.owned.get(p) : undefined;
    if (sp) {
      this.owned.delete(p);
      if (sp.owner === this) sp.owner = null;
    }
  }

  /**
   * Take over shared page sp at page p (a mapped page without a frame here): its bytes
   * move into a new frame of this address space. Returns the page's entry.
   */
  private acquire(p: number, sp: SharedPage, prot: number, addr: number): number {
    const f = this.allocFrame(addr);
    const prev = sp.owner;
    if (prev !== null) {
      // (the owner may be this address space, at another page showing the same object page)
      const pe = prev.pages.get(sp.ownerPage)!;
      const pf = (pe >>> 4) * PAGE_SIZE;
      this.u8.set(prev.u8.subarray(pf, pf + PAGE_SIZE), f * PAGE_SIZE);
      prev.loseFrame(sp.ownerPage, pe);
    } else if (sp.bytes) {
      this.u8.set(sp.bytes, f * PAGE_SIZE);
    }
    sp.bytes = null;
    sp.owner = this;
    sp.ownerPage = p;
    this.owned.set(p, sp);
    const e = (f << 4) | (prot & 7);
    this.pages.set(p, e);
    this.flushTlbPage(p);
    return e;
  }

  /** The frame of a shared page this address space holds, as bytes. */
  frameView(page: number): Uint8Array {
    const f = (this.pages.get(page)! >>> 4) * PAGE_SIZE;
    return this.u8.subarray(f, f + PAGE_SIZE);
  }

  /** Lose a page's frame (its object dropped it: the next touch asks the object again). */
  dropPage(page: number): void {
    const e = this.pages.get(page);
    if (e !== undefined) this.loseFrame(page, e);
  }

  /** Put the bytes of the shared pages this address space holds back into their objects (exec, exit). */
  releaseShared(): void {
    for (const [p, sp] of [...this.owned]) {
      const entry = this.pages.get(p)!;
      sp.bytes = this.u8.slice((entry >>> 4) * PAGE_SIZE, ((entry >>> 4) + 1) * PAGE_SIZE);
      this.loseFrame(p, entry);
    }
  }

  /** The address space ends (exit, exec): its shared pages go back to their objects, which it no longer maps. */
  endShared(): void {
    this.releaseShared();
    this.cutShared(0, Number.MAX_SAFE_INTEGER);
  }

  /** Visit pages of [s, e) that have a frame: by page when the range is small, else by the frame table. */
  private eachFrame(s: number, e: number, fn: (page: number, entry: number) => void): void {
    if (e - s <= this.pages.size) {
      for (let p = s; p < e; p++) {
        const entry = this.pages.get(p);
        if (entry !== undefined) fn(p, entry);
      }
    } else {
      for (const [p, entry] of this.pages) if (p >= s && p < e) fn(p, entry);
    }
  }

  /** Change protection of mapped pages in range; returns false (changing nothing) if any page is unmapped. */
  protect(addr: number, len: number, prot: number): boolean {
    const [s, e] = pageRange(addr, len);
    if (this.vmas.firstHole(s, e) >= 0) return false;
    // keep each range's MAP_NORESERVE bit
    for (const [x, y, f] of this.vmas.piecesIn(s, e)) this.vmas.set(x, y, (prot & 7) | (f & (VMA_NORESERVE | VMA_SHARED)));
    this.flushTlbRange(s, e);
    this.eachFrame(s, e, (p, entry) => {
      // blocks decoded from the page go: they may no longer be executable
      if (entry & PAGE_CODE && this.onCodeWrite) this.onCodeWrite(p);
      this.pages.set(p, (entry & ~(7 | PAGE_CODE)) | (prot & 7));
      this.flushTlbPage(p);
    });
    return true;
  }

  /**
   * Move a mapping (mremap): [dest, dest+newLen) gets the flags of the page at old and
   * the frames of its first newLen bytes, without copying; [old, old+oldLen) is unmapped.
   */
  remap(old: number, oldLen: number, dest: number, newLen: number): void {
    const [os, oe] = pageRange(old, oldLen);
    const [ds, de] = pageRange(dest, newLen);
    const flags = this.vmas.flagsAt(os);
    const moved: Array<[number, number, SharedPage | undefined]> = [];
    this.eachFrame(os, Math.min(oe, os + (de - ds)), (p, entry) => {
      if (entry & PAGE_CODE && this.onCodeWrite) this.onCodeWrite(p);
      const sp = this.owned.get(p);
      moved.push([p - os + ds, entry & ~PAGE_CODE, sp]);
      this.pages.delete(p);
      this.owned.delete(p);
      this.flushTlbPage(p);
    });
    // a shared mapping moves with its object (growing it shows more of the object)
    const sr = this.sharedRange(os);
    const dst: SharedRange | null = sr ? { s: ds, e: de, obj: sr.obj, off: sr.off + (os - sr.s) } : null;
    dst?.obj.mapped(); // counted before the old range goes, so the move never ends the object
    this.unmap(old, oldLen);
    this.dropFrames(ds, de);
    this.flushTlbRange(ds, de);
    this.cutShared(ds, de);
    if (dst) this.shared.push(dst);
    this.vmas.set(ds, de, flags < 0 ? 0 : flags);
    for (const [p, entry, sp] of moved) {
      this.pages.set(p, entry);
      if (sp) {
        this.owned.set(p, sp);
        sp.ownerPage = p;
      }
    }
  }

  isMapped(addr: number): boolean {
    return this.protOf(addr) >= 0;
  }

  /** Protection bits of the page holding addr, or -1 when unmapped. */
  protOf(addr: number): number {
    if (!(addr >= 0 && addr < USER_TOP)) return -1;
    const f = this.vmas.flagsAt(Math.floor(addr / PAGE_SIZE));
    return f < 0 ? -1 : f & 7;
  }

  /** The mapped ranges in ascending order (for /proc/self/maps-like views). */
  regions(): Region[] {
    const v = this.vmas;
    const out: Region[] = [];
    for (let i = v.count - 1; i >= 0; i--) out.push({ start: v.startOf(i) * PAGE_SIZE, end: v.endOf(i) * PAGE_SIZE, prot: v.flagsOf(i) & 7 });
    return out;
  }

  /** Number of mapped ranges (what vm.max_map_count limits). */
  get mapCount(): number {
    return this.vmas.count;
  }

  /** Bytes mapped in all ranges (RLIMIT_AS counts these). */
  get mappedBytes(): number {
    return this.vmas.totalPages * PAGE_SIZE;
  }

  /** Bytes of private writable memory mapped (what the commit limit bounds). */
  get committedBytes(): number {
    return this.vmas.committedPages * PAGE_SIZE;
  }

  /** Most committed bytes the guest may have (the RAM limit). */
  get commitLimit(): number {
    return this.maxFrames * PAGE_SIZE;
  }

  /** Mapped and committed bytes of [addr, addr+len) (what replacing that range gives back). */
  usageIn(addr: number, len: number): { mapped: number; committed: number } {
    const [s, e] = pageRange(addr, len);
    return { mapped: this.vmas.pagesIn(s, e, () => true) * PAGE_SIZE, committed: this.vmas.pagesIn(s, e, accounted) * PAGE_SIZE };
  }

  /** Address of the first unmapped page in [addr, addr+len) (page-rounded), or -1 when all are mapped. */
  unmappedIn(addr: number, len: number): number {
    const [s, e] = pageRange(addr, len);
    const h = this.vmas.firstHole(s, e);
    return h < 0 ? -1 : h * PAGE_SIZE;
  }

  /** Is any page of [addr, addr+len) mapped? */
  anyMapped(addr: number, len: number): boolean {
    const [s, e] = pageRange(addr, len);
    return this.vmas.anyIn(s, e);
  }

  /** Would changing [addr, addr+len) split mappings, and how many new ranges would that make? */
  splitsAt(addr: number, len: number): number {
    const [s, e] = pageRange(addr, len);
    return this.vmas.splitsAt(s, e);
  }

  /** Drop the contents of mapped pages in range: they read as zeros again (madvise DONTNEED). */
  discard(addr: number, len: number): void {
    const [s, e] = pageRange(addr, len);
    this.dropFrames(s, e);
  }

  /** How many bytes from addr (at most len) can be read without a fault (kernel copies stop there). */
  readablePrefix(addr: number, len: number): number {
    return this.accessiblePrefix(addr, len, PROT_READ);
  }

  /** How many bytes from addr (at most len) can be written without a fault. */
  writablePrefix(addr: number, len: number): number {
    return this.accessiblePrefix(addr, len, PROT_WRITE);
  }

  private accessiblePrefix(addr: number, len: number, need: number): number {
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const prot = this.protOf(a);
      if (prot < 0 || (prot & need) === 0) return done;
      // the rest of this range in one step
      done = Math.min(len, this.vmas.endAt(Math.floor(a / PAGE_SIZE)) * PAGE_SIZE - addr);
    }
    return done;
  }

  /** Find a free, page-aligned range of `len` bytes below `top`, searching downwards; -1 when none. */
  findFree(len: number, top: number, bottom: number): number {
    const p = this.vmas.findFreeDown(Math.ceil(len / PAGE_SIZE), Math.floor(top / PAGE_SIZE), Math.ceil(bottom / PAGE_SIZE));
    return p < 0 ? -1 : p * PAGE_SIZE;
  }

  private allocFrame(addr: number): number {
    const f = this.freeFrames.pop();
    if (f !== undefined) {
      this.u8.fill(0, f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
      return f;
    }
    const frame = this.nextFrame;
    if (frame - ZERO_FRAME > this.maxFrames) throw new OutOfMemory(addr);
    const need = (frame + 1) * PAGE_SIZE;
    if (need > this.wmem.buffer.byteLength) {
      const cur = this.wmem.buffer.byteLength / WASM_PAGE;
      const want = Math.min(MAX_WASM_PAGES - cur, Math.max(GROW_STEP, Math.ceil(cur / 4)));
      try {
        if (want <= 0) throw new RangeError("at the maximum");
        this.wmem.grow(want);
      } catch {
        // the host could not give that much: try just what this frame needs
        try {
          this.wmem.grow(Math.ceil((need - this.wmem.buffer.byteLength) / WASM_PAGE));
        } catch {
          throw new OutOfMemory(addr);
        }
      }
      this.makeViews();
    }
    this.nextFrame++;
    return frame;
  }

  /**
   * Translate for an access; returns the linear-memory byte offset of the page's
   * frame, filling the TLB. Throws MemoryFault (or OutOfMemory).
   */
  translate(addr: number, kind: AccessKind): number {
    const page = Math.floor(addr / PAGE_SIZE);
    let e = this.pages.get(page);
    const need = kind === "read" ? PROT_READ : kind === "write" ? PROT_WRITE : PROT_EXEC;
    if (e === undefined) {
      const f = addr >= 0 && addr < USER_TOP ? this.vmas.flagsAt(page) : -1;
      if (f < 0) throw new MemoryFault(addr, kind, false);
      if ((f & need) === 0) throw new MemoryFault(addr, kind, true);
      if (f & VMA_SHARED) e = this.acquireAt(page, f, addr);
      else if (kind === "read") {
        // never written: the shared zero frame, for reads only
        if (this.hooks.length === 0) {
          const idx = page & TLB_MASK;
          this.tlbRTag[idx] = page;
          this.tlbRFrame[idx] = ZERO_FRAME * PAGE_SIZE;
        }
        return ZERO_FRAME * PAGE_SIZE;
      } else {
        e = (this.allocFrame(addr) << 4) | (f & 7);
        this.pages.set(page, e);
        this.flushTlbPage(page); // the read TLB may point at the zero frame
      }
    } else if ((e & need) === 0) throw new MemoryFault(addr, kind, true);
    const frameOff = (e >>> 4) * PAGE_SIZE;
    if (kind === "write" && e & PAGE_CODE) {
      // A store into code: drop the decoded blocks; the page stays out of the write TLB
      // until code is decoded from it again.
      this.pages.set(page, e & ~PAGE_CODE);
      if (this.onCodeWrite) this.onCodeWrite(page);
    }
    if (this.hooks.length === 0) {
      const idx = page & TLB_MASK;
      if (kind === "write") {
        this.tlbWTag[idx] = page;
        this.tlbWFrame[idx] = frameOff;
      } else if (kind === "read") {
        this.tlbRTag[idx] = page;
        this.tlbRFrame[idx] = frameOff;
      }
    }
    return frameOff;
  }

  /** translate() through the TLB first: the frame offset of addr's page for a read or a write. */
  frameOf(addr: number, write: boolean): number {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    if (write) return this.tlbWTag[idx] === page ? this.tlbWFrame[idx] : this.translate(addr, "write");
    return this.tlbRTag[idx] === page ? this.tlbRFrame[idx] : this.translate(addr, "read");
  }

  /** A page of a shared mapping without a frame here: take its shared page over. */
  private acquireAt(page: number, flags: number, addr: number): number {
    const r = this.sharedRange(page)!;
    const i = r.off + (page - r.s);
    if (i >= r.obj.limit()) throw new BusError(addr);
    return this.acquire(page, r.obj.page(i), flags, addr);
  }

  /** Mark a page as holding decoded code (stores to it will invalidate). */
  markCode(addr: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    const e = this.pages.get(page);
    if (e === undefined) return;
    this.pages.set(page, e | PAGE_CODE);
    const idx = page & TLB_MASK;
    if (this.tlbWTag[idx] === page) this.tlbWTag[idx] = NaN;
  }

  private runHooks(addr: number, size: number, kind: "read" | "write", value: bigint): void {
    for (const h of this.hooks) if (addr < h.end && addr + size > h.start) h.fn(addr, size, kind, value);
  }

  // ---- reads ---------------------------------------------------------------

  read8(addr: number): number {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    if (this.tlbRTag[idx] === page) return this.u8[this.tlbRFrame[idx] + (addr & PAGE_MASK)];
    return this.readSlow(addr, 1);
  }

  read16(addr: number): number {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    const off = addr & PAGE_MASK;
    if (this.tlbRTag[idx] === page && off <= PAGE_SIZE - 2) return this.dv.getUint16(this.tlbRFrame[idx] + off, true);
    return this.readSlow(addr, 2);
  }

  /** 32-bit read, returned as a signed int32. */
  read32(addr: number): number {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    const off = addr & PAGE_MASK;
    if (this.tlbRTag[idx] === page && off <= PAGE_SIZE - 4) return this.dv.getInt32(this.tlbRFrame[idx] + off, true);
    return this.readSlow(addr, 4) | 0;
  }

  /** Slow path for 1/2/4-byte reads (page crossing, TLB miss, hooks). */
  private readSlow(addr: number, size: number): number {
    let v = 0;
    for (let k = 0; k < size; k++) {
      const a = addr + k;
      const off = this.translate(a, "read");
      v += this.u8[off + (a & PAGE_MASK)] * 2 ** (8 * k);
    }
    if (this.hooks.length) this.runHooks(addr, size, "read", BigInt(v));
    return v;
  }

  // ---- writes --------------------------------------------------------------

  write8(addr: number, v: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    if (this.tlbWTag[idx] === page) {
      this.u8[this.tlbWFrame[idx] + (addr & PAGE_MASK)] = v;
      return;
    }
    this.writeSlow(addr, 1, v);
  }

  write16(addr: number, v: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    const off = addr & PAGE_MASK;
    if (this.tlbWTag[idx] === page && off <= PAGE_SIZE - 2) {
      this.dv.setUint16(this.tlbWFrame[idx] + off, v, true);
      return;
    }
    this.writeSlow(addr, 2, v);
  }

  write32(addr: number, v: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    const off = addr & PAGE_MASK;
    if (this.tlbWTag[idx] === page && off <= PAGE_SIZE - 4) {
      this.dv.setInt32(this.tlbWFrame[idx] + off, v, true);
      return;
    }
    this.writeSlow(addr, 4, v);
  }

  /** 64-bit write as two halves; both pages are checked before anything is stored. */
  write64(addr: number, lo: number, hi: number): void {
    const page = Math.floor(addr / PAGE_SIZE);
    const idx = page & TLB_MASK;
    const off = addr & PAGE_MASK;
    if (this.tlbWTag[idx] === page && off <= PAGE_SIZE - 8) {
      const f = this.tlbWFrame[idx] + off;
      this.dv.setInt32(f, lo, true);
      this.dv.setInt32(f + 4, hi, true);
      return;
    }
    this.checkWritable(addr, 8);
    this.writeSlow(addr, 4, lo);
    this.writeSlow(addr + 4, 4, hi);
  }

  /** Throw the fault a store of `size` bytes at addr would raise, without storing. */
  checkWritable(addr: number, size: number): void {
    this.translate(addr, "write");
    if (((addr + size - 1) & ~PAGE_MASK) !== (addr & ~PAGE_MASK) || Math.floor((addr + size - 1) / PAGE_SIZE) !== Math.floor(addr / PAGE_SIZE))
      this.translate(addr + size - 1, "write");
  }

  private writeSlow(addr: number, size: number, v: number): void {
    if (size > 1) this.checkWritable(addr, size);
    for (let k = 0; k < size; k++) {
      const a = addr + k;
      const off = this.translate(a, "write");
      this.u8[off + (a & PAGE_MASK)] = (v >>> (8 * k)) & 0xff;
    }
    if (this.hooks.length) this.runHooks(addr, size, "write", BigInt(size === 4 ? v >>> 0 : v));
  }

  // ---- bulk (kernel / loader / API; no permission checks unless asked) -----

  /** Copy guest memory out. With `check`, faults on unreadable pages. */
  readBytes(addr: number, len: number, check = true): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const off = check ? this.translate(a, "read") : this.frameForce(a, false);
      const n = Math.min(len - done, PAGE_SIZE - (a & PAGE_MASK));
      out.set(this.u8.subarray(off + (a & PAGE_MASK), off + (a & PAGE_MASK) + n), done);
      done += n;
    }
    return out;
  }

  /** Copy bytes into guest memory. With `check`, faults on unwritable pages. */
  writeBytes(addr: number, data: Uint8Array, check = true): void {
    let done = 0;
    while (done < data.length) {
      const a = addr + done;
      const off = check ? this.translate(a, "write") : this.frameForce(a, true);
      const n = Math.min(data.length - done, PAGE_SIZE - (a & PAGE_MASK));
      this.u8.set(data.subarray(done, done + n), off + (a & PAGE_MASK));
      done += n;
    }
  }

  /** Frame offset of a mapped page regardless of protection (loader, debugger); reads of unwritten pages see the zero frame. */
  private frameForce(addr: number, write: boolean): number {
    const page = Math.floor(addr / PAGE_SIZE);
    let e = this.pages.get(page);
    if (e === undefined) {
      const f = addr >= 0 && addr < USER_TOP ? this.vmas.flagsAt(page) : -1;
      if (f < 0) throw new MemoryFault(addr, write ? "write" : "read", false);
      if (f & VMA_SHARED) e = this.acquireAt(page, f, addr);
      else {
        if (!write) return ZERO_FRAME * PAGE_SIZE;
        e = (this.allocFrame(addr) << 4) | (f & 7);
        this.pages.set(page, e);
        this.flushTlbPage(page);
      }
    }
    if (write && e & PAGE_CODE && this.onCodeWrite) {
      this.pages.set(page, e & ~PAGE_CODE);
      this.onCodeWrite(page);
    }
    return (e >>> 4) * PAGE_SIZE;
  }

  /** Read a NUL-terminated string (at most `max` bytes). */
  readCString(addr: number, max = 1 << 20): Uint8Array {
    const bytes: number[] = [];
    for (let k = 0; k < max; k++) {
      const b = this.read8(addr + k);
      if (b === 0) break;
      bytes.push(b);
    }
    return Uint8Array.from(bytes);
  }

  /** Fetch an instruction byte (needs PROT_EXEC). */
  fetch8(addr: number): number {
    const off = this.translate(addr, "exec");
    return this.u8[off + (addr & PAGE_MASK)];
  }

  /** A copy of this address space (fork): the same mappings and protections, the written private pages' contents copied, shared mappings shared. */
  fork(): Memory {
    const m = new Memory(undefined, { maxBytes: this.maxFrames * PAGE_SIZE });
    m.vmas = this.vmas.clone();
    // shared mappings stay shared: the child reaches the same objects (their pages move on touch)
    m.shared = this.shared.map((r) => (r.obj.mapped(), { ...r }));
    for (const [p, e] of this.pages) {
      if (this.owned.size !== 0 && this.owned.has(p)) continue;
      const frame = e >>> 4;
      const f = m.allocFrame(p * PAGE_SIZE);
      m.pages.set(p, (f << 4) | (e & 7));
      m.u8.set(this.u8.subarray(frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE), f * PAGE_SIZE);
    }
    return m;
  }
}

/** The pages [first, end) covering [addr, addr+len), clipped to the user address space. */
function pageRange(addr: number, len: number): [number, number] {
  if (len <= 0) return [0, 0];
  const s = Math.max(0, Math.floor(addr / PAGE_SIZE));
  const e = Math.min(USER_TOP_PAGE, Math.ceil((addr + len) / PAGE_SIZE));
  return [s, Math.max(s, e)];
}
