/**
 * Sparse, paged guest memory living in one WebAssembly.Memory.
 *
 * Layout of the WebAssembly.Memory (see shared/DESIGN.md):
 *   [0, STATE_BYTES)        CPU state (registers, see state.ts) and the TLB arrays
 *   [STATE_BYTES, ...)      4 KiB guest frames, allocated on first touch
 *
 * The page table maps guest page number -> (frame index, protection). It is a
 * JS Map (the slow path); in front of it sits a direct-mapped TLB kept in the
 * same linear memory (tags as f64, frame offsets as i32) so that both the JS
 * interpreter and generated WebAssembly can use it. Read and write TLBs are
 * separate: the write TLB never holds pages that contain decoded code, so a
 * store to code always takes the slow path and invalidates those blocks.
 */

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
export const TLB_R_FRAME = TLB_W_TAG + TLB_SIZE * 8; // i32[TLB_SIZE]
export const TLB_W_FRAME = TLB_R_FRAME + TLB_SIZE * 4; // i32[TLB_SIZE]
export const FRAMES_OFFSET = 0x100000; // 1 MiB: frames start here

/** Lowest and one-past-highest user address (47-bit user space, as Linux x86-64). */
export const USER_TOP = 0x800000000000;

const WASM_PAGE = 65536;
const GROW_STEP = 256; // wasm pages (16 MiB)
const MAX_WASM_PAGES = 32768; // 2 GiB: frame offsets stay int32

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

export class OutOfMemory extends Error {}

export interface MemoryHook {
  start: number;
  end: number; // exclusive
  fn: (addr: number, size: number, kind: "read" | "write", value: bigint) => void;
}

export class Memory {
  readonly wmem: WebAssembly.Memory;
  u8!: Uint8Array;
  dv!: DataView;
  i32!: Int32Array;
  private tlbRTag!: Float64Array;
  private tlbWTag!: Float64Array;
  private tlbRFrame!: Int32Array;
  private tlbWFrame!: Int32Array;

  /** page number -> frameIndex * 16 + flags (frameIndex 0: not yet allocated) */
  private readonly pages = new Map<number, number>();
  private readonly freeFrames: number[] = [];
  private nextFrame: number; // frame index (offset / 4096)
  private readonly viewListeners: Array<() => void> = [];
  /** Called when a store hits a page holding decoded code. */
  onCodeWrite: ((page: number) => void) | null = null;
  /** Memory hooks (API / debugger watchpoints). While any exist the TLB is bypassed. */
  hooks: MemoryHook[] = [];

  constructor(initialBytes = 4 * 1024 * 1024) {
    const initialPages = Math.max(Math.ceil((FRAMES_OFFSET + PAGE_SIZE) / WASM_PAGE), Math.ceil(initialBytes / WASM_PAGE));
    this.wmem = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_WASM_PAGES });
    this.nextFrame = FRAMES_OFFSET >>> PAGE_SHIFT;
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
    this.tlbRFrame = new Int32Array(buf, TLB_R_FRAME, TLB_SIZE);
    this.tlbWFrame = new Int32Array(buf, TLB_W_FRAME, TLB_SIZE);
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

  // ---- mapping -------------------------------------------------------------

  /** Map [addr, addr+len) (page-rounded) with `prot`; existing pages are replaced (zeroed). */
  map(addr: number, len: number, prot: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      this.unmapPage(p);
      this.pages.set(p, prot & 7);
    }
  }

  unmap(addr: number, len: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) this.unmapPage(p);
  }

  private unmapPage(p: number): void {
    const e = this.pages.get(p);
    if (e === undefined) return;
    if (e & PAGE_CODE && this.onCodeWrite) this.onCodeWrite(p);
    const frame = e >>> 4;
    if (frame !== 0) this.freeFrames.push(frame);
    this.pages.delete(p);
    this.flushTlbPage(p);
  }

  /** Change protection of mapped pages in range; returns false if any page is unmapped. */
  protect(addr: number, len: number, prot: number): boolean {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) if (!this.pages.has(p)) return false;
    for (let p = first; p <= last; p++) {
      const e = this.pages.get(p)!;
      this.pages.set(p, (e & ~7) | (prot & 7));
      this.flushTlbPage(p);
    }
    return true;
  }

  isMapped(addr: number): boolean {
    return this.pages.has(Math.floor(addr / PAGE_SIZE));
  }

  /** Protection bits of the page holding addr, or -1 when unmapped. */
  protOf(addr: number): number {
    const e = this.pages.get(Math.floor(addr / PAGE_SIZE));
    return e === undefined ? -1 : e & 7;
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
      const prot = a < 0 || a >= USER_TOP ? -1 : this.protOf(a);
      if (prot < 0 || (prot & need) === 0) return done;
      done += Math.min(len - done, PAGE_SIZE - (a & PAGE_MASK));
    }
    return done;
  }

  /** Address of the first unmapped page in [addr, addr+len) (page-rounded), or -1 when all are mapped. */
  unmappedIn(addr: number, len: number): number {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) if (!this.pages.has(p)) return p * PAGE_SIZE;
    return -1;
  }

  /** Drop the contents of mapped pages in range: they read as zeros again (madvise DONTNEED). */
  discard(addr: number, len: number): void {
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      const e = this.pages.get(p);
      if (e === undefined || e >>> 4 === 0) continue;
      this.freeFrames.push(e >>> 4);
      this.pages.set(p, e & 7);
      this.flushTlbPage(p);
    }
  }

  /** Mapped page numbers in ascending order (for /proc/self/maps-like views and mmap search). */
  mappedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** Find a free, page-aligned range of `len` bytes below `top`, searching downwards. */
  findFree(len: number, top: number, bottom: number): number {
    const n = Math.ceil(len / PAGE_SIZE);
    let end = Math.floor(top / PAGE_SIZE); // exclusive
    const lowest = Math.ceil(bottom / PAGE_SIZE);
    while (end - n >= lowest) {
      let ok = true;
      for (let p = end - 1; p >= end - n; p--) {
        if (this.pages.has(p)) {
          end = p;
          ok = false;
          break;
        }
      }
      if (ok) return (end - n) * PAGE_SIZE;
    }
    return -1;
  }

  private allocFrame(): number {
    const f = this.freeFrames.pop();
    if (f !== undefined) {
      this.u8.fill(0, f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
      return f;
    }
    const frame = this.nextFrame++;
    const need = (frame + 1) * PAGE_SIZE;
    if (need > this.wmem.buffer.byteLength) {
      const cur = this.wmem.buffer.byteLength / WASM_PAGE;
      const want = Math.min(MAX_WASM_PAGES - cur, Math.max(GROW_STEP, Math.ceil(cur / 4)));
      if (want <= 0) throw new OutOfMemory("guest memory exhausted (2 GiB)");
      this.wmem.grow(want);
      this.makeViews();
    }
    return frame;
  }

  /**
   * Translate for an access; returns the linear-memory byte offset of the page's
   * frame, filling the TLB. Throws MemoryFault.
   */
  translate(addr: number, kind: AccessKind): number {
    const page = Math.floor(addr / PAGE_SIZE);
    let e = this.pages.get(page);
    if (e === undefined || addr < 0) throw new MemoryFault(addr, kind, false);
    const need = kind === "read" ? PROT_READ : kind === "write" ? PROT_WRITE : PROT_EXEC;
    if ((e & need) === 0) throw new MemoryFault(addr, kind, true);
    if (e >>> 4 === 0) {
      e = (this.allocFrame() << 4) | (e & 15);
      this.pages.set(page, e);
    }
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
      const off = check ? this.translate(a, "read") : this.frameForce(a);
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
      const off = check ? this.translate(a, "write") : this.frameForce(a);
      const n = Math.min(data.length - done, PAGE_SIZE - (a & PAGE_MASK));
      this.u8.set(data.subarray(done, done + n), off + (a & PAGE_MASK));
      done += n;
    }
  }

  /** Frame offset of a mapped page regardless of protection (loader, debugger). */
  private frameForce(addr: number): number {
    const page = Math.floor(addr / PAGE_SIZE);
    let e = this.pages.get(page);
    if (e === undefined) throw new MemoryFault(addr, "read", false);
    if (e >>> 4 === 0) {
      e = (this.allocFrame() << 4) | (e & 15);
      this.pages.set(page, e);
    }
    if (e & PAGE_CODE && this.onCodeWrite) {
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
}
