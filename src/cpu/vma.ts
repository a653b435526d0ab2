/**
 * The guest's mappings as sorted, non-overlapping ranges of pages (Linux's
 * VMAs), so that reserving 64 TiB or unmapping 16 TiB is one range operation,
 * not billions of page operations. Neighbours with the same flags merge, as
 * anonymous mappings do on Linux (the count is what vm.max_map_count limits).
 * Page numbers, not addresses; `end` is exclusive.
 *
 * The ranges are kept in descending address order in chunks of a few hundred
 * (a list of small sorted arrays), so that inserting or removing a range costs
 * a splice in one chunk wherever it lands: tens of thousands of mappings made
 * and unmapped in any order stay fast. mmap places new mappings top-down,
 * below the previous ones, and a watermark remembers where the gap-free run
 * below the top ends, so that a search for free space does not walk packed
 * mappings again. Ranges are numbered 0..count-1 from the highest.
 */

/** Flag bits of a range: PROT_READ/WRITE/EXEC (1/2/4) and: */
export const VMA_NORESERVE = 8;
/** MAP_SHARED: the pages belong to a shared object (Memory keeps which). */
export const VMA_SHARED = 16;

/** Does a range with these flags count against the commit limit (private writable, not MAP_NORESERVE)? */
export function accounted(flags: number): boolean {
  return (flags & 2) !== 0 && (flags & VMA_NORESERVE) === 0;
}

export class VmaList {
  /** Per chunk: starts, ends, flags (descending; chunk 0 holds the highest ranges). No chunk is empty unless it is the only one. */
  private cs: number[][] = [[]];
  private ce: number[][] = [[]];
  private cf: number[][] = [[]];
  /** Index of each chunk's first range. */
  private off: number[] = [0];
  private n = 0;
  /** Chunk and index in it found by the last locate/atOrBelow. */
  private pc = 0;
  private pl = 0;
  /** Pages mapped in all ranges. */
  totalPages = 0;
  /** Pages in accounted ranges (private writable memory the guest may dirty). */
  committedPages = 0;
  /** [gapAbove, gapTop) holds no free page (a findFreeDown search from gapTop starts at gapAbove). */
  private gapTop = -1;
  private gapAbove = -1;

  /** `chunk`: ranges per chunk before it is split in two (small values serve tests). */
  constructor(private readonly chunk = 256) {}

  get count(): number {
    return this.n;
  }

  /** Starts, ends and flags of all ranges, highest first (copies, for tests and listings). */
  get start(): number[] {
    return this.cs.flat();
  }
  get end(): number[] {
    return this.ce.flat();
  }
  get flags(): number[] {
    return this.cf.flat();
  }

  /** Point pc/pl at range i (0 <= i <= count; count is one past the last). */
  private locate(i: number): void {
    const off = this.off;
    let lo = 0;
    let hi = off.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (off[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    this.pc = lo;
    this.pl = i - off[lo];
  }

  startOf(i: number): number {
    this.locate(i);
    return this.cs[this.pc][this.pl];
  }
  endOf(i: number): number {
    this.locate(i);
    return this.ce[this.pc][this.pl];
  }
  flagsOf(i: number): number {
    this.locate(i);
    return this.cf[this.pc][this.pl];
  }

  /** Index of the highest range starting at or below page (count when none); leaves pc/pl at it. */
  private atOrBelow(page: number): number {
    const cs = this.cs;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = cs[mid];
      if (c.length > 0 && c[c.length - 1] <= page) hi = mid;
      else lo = mid + 1;
    }
    if (lo === cs.length) {
      this.pc = cs.length - 1;
      this.pl = cs[this.pc].length;
      return this.n;
    }
    const c = cs[lo];
    let a = 0;
    let b = c.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (c[mid] <= page) b = mid;
      else a = mid + 1;
    }
    this.pc = lo;
    this.pl = a;
    return this.off[lo] + a;
  }

  /** Index of the range holding page, or -1. */
  find(page: number): number {
    const i = this.atOrBelow(page);
    return i < this.n && page < this.ce[this.pc][this.pl] ? i : -1;
  }

  /** Flags of the range holding page, or -1 when unmapped. */
  flagsAt(page: number): number {
    const i = this.atOrBelow(page);
    return i < this.n && page < this.ce[this.pc][this.pl] ? this.cf[this.pc][this.pl] : -1;
  }

  /** One past the last page of the range holding page, or -1 when unmapped. */
  endAt(page: number): number {
    const i = this.atOrBelow(page);
    return i < this.n && page < this.ce[this.pc][this.pl] ? this.ce[this.pc][this.pl] : -1;
  }

  /** First page in [s, e) that no range covers, or -1. */
  firstHole(s: number, e: number): number {
    let p = s;
    let i = this.atOrBelow(s);
    while (p < e) {
      if (i < 0 || i >= this.n || this.startOf(i) > p || this.endOf(i) <= p) return p;
      p = this.endOf(i);
      i--;
    }
    return -1;
  }

  /** Is any page of [s, e) mapped? */
  anyIn(s: number, e: number): boolean {
    const i = this.atOrBelow(e - 1);
    return i < this.n && this.ce[this.pc][this.pl] > s;
  }

  /** The parts of ranges inside [s, e) as [start, end, flags]. */
  piecesIn(s: number, e: number): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = this.atOrBelow(e - 1); i < this.n && this.endOf(i) > s; i++) out.push([Math.max(s, this.startOf(i)), Math.min(e, this.endOf(i)), this.flagsOf(i)]);
    return out;
  }

  /** Pages of [s, e) that lie in ranges whose flags satisfy pred. */
  pagesIn(s: number, e: number, pred: (flags: number) => boolean): number {
    let n = 0;
    for (const [x, y, f] of this.piecesIn(s, e)) if (pred(f)) n += y - x;
    return n;
  }

  /** How many ranges changing [s, e) would split (one at each end that falls inside a range). */
  splitsAt(s: number, e: number): number {
    const a = this.find(s);
    const as = a >= 0 ? this.startOf(a) : 0;
    const b = this.find(e);
    return (a >= 0 && as < s ? 1 : 0) + (b >= 0 && this.startOf(b) < e ? 1 : 0);
  }

  /** Give [s, e) the flags (or unmap it: flags < 0), splitting and merging neighbours. */
  set(s: number, e: number, flags: number): void {
    if (e <= s) return;
    const n = this.n;
    // ranges [a, b) are replaced: those overlapping or touching [s, e]
    const a = this.atOrBelow(e);
    let b = a;
    while (b < n && this.endOf(b) >= s) b++;
    const ps: number[] = [];
    const pe: number[] = [];
    const pf: number[] = [];
    const push = (x: number, y: number, f: number) => {
      if (y <= x) return;
      const k = ps.length - 1;
      if (k >= 0 && ps[k] === y && pf[k] === f) ps[k] = x;
      else {
        ps.push(x);
        pe.push(y);
        pf.push(f);
      }
    };
    // descending: old parts above e, the new range, old parts below s
    for (let i = a; i < b; i++) {
      const is = this.startOf(i);
      const ie = this.endOf(i);
      const f = this.flagsOf(i);
      const lo = Math.max(is, s);
      const hi = Math.min(ie, e);
      if (hi > lo) {
        this.totalPages -= hi - lo;
        if (accounted(f)) this.committedPages -= hi - lo;
      }
      if (ie > e) push(Math.max(is, e), ie, f);
    }
    if (flags >= 0) {
      push(s, e, flags);
      this.totalPages += e - s;
      if (accounted(flags)) this.committedPages += e - s;
    } else if (s < this.gapTop && e > this.gapAbove) this.gapAbove = Math.min(e, this.gapTop); // a new gap below e
    for (let i = a; i < b; i++) {
      const is = this.startOf(i);
      if (is < s) push(is, Math.min(this.endOf(i), s), this.flagsOf(i));
    }
    this.replace(a, b, ps, pe, pf);
  }

  /** Replace ranges [a, b) by the given ones (in order). */
  private replace(a: number, b: number, ps: number[], pe: number[], pf: number[]): void {
    this.locate(a);
    const ja = this.pc;
    const la = this.pl;
    this.locate(b);
    const jb = this.pc;
    const lb = this.pl;
    const { cs, ce, cf } = this;
    if (ja === jb) {
      cs[ja].splice(la, lb - la, ...ps);
      ce[ja].splice(la, lb - la, ...pe);
      cf[ja].splice(la, lb - la, ...pf);
    } else {
      cs[ja].length = la;
      ce[ja].length = la;
      cf[ja].length = la;
      cs[ja].push(...ps);
      ce[ja].push(...pe);
      cf[ja].push(...pf);
      cs[jb].splice(0, lb);
      ce[jb].splice(0, lb);
      cf[jb].splice(0, lb);
      cs.splice(ja + 1, jb - ja - 1);
      ce.splice(ja + 1, jb - ja - 1);
      cf.splice(ja + 1, jb - ja - 1);
    }
    this.n += ps.length - (b - a);
    // keep chunks between 1 and 2*chunk ranges: drop empty ones (around ja), split a full one
    for (let j = Math.min(ja + 1, cs.length - 1); j >= ja; j--) {
      if (cs[j].length === 0 && cs.length > 1) {
        cs.splice(j, 1);
        ce.splice(j, 1);
        cf.splice(j, 1);
      } else if (cs[j].length > 2 * this.chunk) {
        const h = cs[j].length >> 1;
        cs.splice(j + 1, 0, cs[j].splice(h));
        ce.splice(j + 1, 0, ce[j].splice(h));
        cf.splice(j + 1, 0, cf[j].splice(h));
      }
    }
    const off = this.off;
    off.length = cs.length;
    for (let j = 0, t = 0; j < cs.length; j++) {
      off[j] = t;
      t += cs[j].length;
    }
  }

  /** A copy (fork). */
  clone(): VmaList {
    const v = new VmaList(this.chunk);
    v.cs = this.cs.map((c) => c.slice());
    v.ce = this.ce.map((c) => c.slice());
    v.cf = this.cf.map((c) => c.slice());
    v.off = this.off.slice();
    v.n = this.n;
    v.totalPages = this.totalPages;
    v.committedPages = this.committedPages;
    return v;
  }

  /**
   * Highest start page of a free run of n pages in [bottom, top), or -1
   * (searching downwards from top, as Linux's top-down mmap does).
   */
  findFreeDown(n: number, top: number, bottom: number): number {
    let hi = top;
    if (this.gapTop === top) hi = this.gapAbove;
    let firstGap = -1;
    let r = -1;
    for (let i = this.atOrBelow(hi - 1); ; i++) {
      const below = i < this.n ? Math.min(this.endOf(i), hi) : bottom;
      if (below < hi && firstGap < 0) firstGap = hi;
      if (hi - Math.max(below, bottom) >= n) {
        r = hi - n;
        break;
      }
      if (i >= this.n) break;
      hi = Math.min(hi, this.startOf(i));
      if (hi - n < bottom) break;
    }
    this.gapTop = top;
    this.gapAbove = firstGap >= 0 ? firstGap : Math.max(bottom, hi);
    return r;
  }
}
