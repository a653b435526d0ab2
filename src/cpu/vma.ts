/**
 * The guest's mappings as sorted, non-overlapping ranges of pages (Linux's
 * VMAs), so that reserving 64 TiB or unmapping 16 TiB is one range operation,
 * not billions of page operations. Neighbours with the same flags merge, as
 * anonymous mappings do on Linux (the count is what vm.max_map_count limits).
 * Page numbers, not addresses; `end` is exclusive.
 *
 * The arrays are kept in descending address order: mmap places new mappings
 * top-down, below the previous ones, so they land near the end of the arrays
 * (cheap inserts), and a watermark remembers where the gap-free run below the
 * top ends, so that a search for free space does not walk packed mappings again.
 */

/** Flag bits of a range: PROT_READ/WRITE/EXEC (1/2/4) and: */
export const VMA_NORESERVE = 8;

/** Does a range with these flags count against the commit limit (private writable, not MAP_NORESERVE)? */
export function accounted(flags: number): boolean {
  return (flags & 2) !== 0 && (flags & VMA_NORESERVE) === 0;
}

export class VmaList {
  /** Descending: start[0] is the highest range. */
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly flags: number[] = [];
  /** Pages mapped in all ranges. */
  totalPages = 0;
  /** Pages in accounted ranges (private writable memory the guest may dirty). */
  committedPages = 0;
  /** [gapAbove, gapTop) holds no free page (a findFreeDown search from gapTop starts at gapAbove). */
  private gapTop = -1;
  private gapAbove = -1;

  get count(): number {
    return this.start.length;
  }

  /** Index of the highest range starting at or below page (count when none). */
  private atOrBelow(page: number): number {
    let lo = 0;
    let hi = this.start.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.start[mid] <= page) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of the range holding page, or -1. */
  find(page: number): number {
    const i = this.atOrBelow(page);
    return i < this.start.length && page < this.end[i] ? i : -1;
  }

  /** Flags of the range holding page, or -1 when unmapped. */
  flagsAt(page: number): number {
    const i = this.find(page);
    return i < 0 ? -1 : this.flags[i];
  }

  /** First page in [s, e) that no range covers, or -1. */
  firstHole(s: number, e: number): number {
    let p = s;
    let i = this.atOrBelow(s);
    while (p < e) {
      if (i < 0 || i >= this.start.length || this.start[i] > p || this.end[i] <= p) return p;
      p = this.end[i];
      i--;
    }
    return -1;
  }

  /** Is any page of [s, e) mapped? */
  anyIn(s: number, e: number): boolean {
    const i = this.atOrBelow(e - 1);
    return i < this.start.length && this.end[i] > s;
  }

  /** The parts of ranges inside [s, e) as [start, end, flags]. */
  piecesIn(s: number, e: number): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = this.atOrBelow(e - 1); i < this.start.length && this.end[i] > s; i++) out.push([Math.max(s, this.start[i]), Math.min(e, this.end[i]), this.flags[i]]);
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
    const b = this.find(e);
    return (a >= 0 && this.start[a] < s ? 1 : 0) + (b >= 0 && this.start[b] < e ? 1 : 0);
  }

  /** Give [s, e) the flags (or unmap it: flags < 0), splitting and merging neighbours. */
  set(s: number, e: number, flags: number): void {
    if (e <= s) return;
    const n = this.start.length;
    // ranges [a, b) are replaced: those overlapping or touching [s, e]
    const a = this.atOrBelow(e);
    let b = a;
    while (b < n && this.end[b] >= s) b++;
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
      const lo = Math.max(this.start[i], s);
      const hi = Math.min(this.end[i], e);
      if (hi > lo) {
        this.totalPages -= hi - lo;
        if (accounted(this.flags[i])) this.committedPages -= hi - lo;
      }
      if (this.end[i] > e) push(Math.max(this.start[i], e), this.end[i], this.flags[i]);
    }
    if (flags >= 0) {
      push(s, e, flags);
      this.totalPages += e - s;
      if (accounted(flags)) this.committedPages += e - s;
    } else if (s < this.gapTop && e > this.gapAbove) this.gapAbove = Math.min(e, this.gapTop); // a new gap below e
    for (let i = a; i < b; i++) if (this.start[i] < s) push(this.start[i], Math.min(this.end[i], s), this.flags[i]);
    this.start.splice(a, b - a, ...ps);
    this.end.splice(a, b - a, ...pe);
    this.flags.splice(a, b - a, ...pf);
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
      const below = i < this.start.length ? Math.min(this.end[i], hi) : bottom;
      if (below < hi && firstGap < 0) firstGap = hi;
      if (hi - Math.max(below, bottom) >= n) {
        r = hi - n;
        break;
      }
      if (i >= this.start.length) break;
      hi = Math.min(hi, this.start[i]);
      if (hi - n < bottom) break;
    }
    this.gapTop = top;
    this.gapAbove = firstGap >= 0 ? firstGap : Math.max(bottom, hi);
    return r;
  }
}
