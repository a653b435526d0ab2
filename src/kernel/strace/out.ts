/**
 * Where strace lines go, with strace -f's `<unfinished ...>` and
 * `<... NAME resumed>` for calls that block. strace prints a call's name
 * and input arguments at entry and the rest at exit; when another task's
 * line comes in between, the open line is ended with ` <unfinished ...>`
 * and the exit prints `<... read resumed>"abc", 64) = 3`. Here only a
 * parked call can be open while another task runs: its head is kept, and
 * written as unfinished when any other line is written before the call
 * completes (the same output as strace writing it at entry).
 */

/** A parked call's head (`[pid N] read(3, `), shown as unfinished or not yet. */
export interface OpenCall {
  tid: number;
  head: string;
  shown: boolean;
}

export class StraceOut {
  /** Parked calls in the order they were entered. */
  private open: OpenCall[] = [];
  /** Calls restarted quietly (a pipe became readable): their open line carries over to the call's next entry. */
  private restarting = new Map<number, OpenCall>();
  /** The sink's write function, going through this object (what Kernel.strace holds). */
  readonly line = (text: string): void => {
    this.flush();
    this.write(text);
  };
  constructor(private readonly write: (line: string) => void) {}

  /** End every open line with ` <unfinished ...>` (something else is written next). */
  private flush(except: OpenCall | null = null): void {
    for (const c of this.open) {
      if (c.shown || c === except) continue;
      this.write(`${c.head} <unfinished ...>`);
      c.shown = true;
    }
  }

  /** A call of task `tid` parks: its head stays open. */
  park(tid: number, head: string): OpenCall {
    const prev = this.restarting.get(tid);
    this.restarting.delete(tid);
    const c = { tid, head, shown: prev?.shown ?? false };
    this.open.push(c);
    return c;
  }

  /**
   * The call entered by task `tid` completes without parking: true when it
   * must print as resumed (it was parked, shown unfinished, then restarted).
   */
  resumesRestarted(tid: number): boolean {
    const prev = this.restarting.get(tid);
    this.restarting.delete(tid);
    return prev?.shown ?? false;
  }

  /** A parked call will run again from its entry (not shown as finished). */
  restart(c: OpenCall): void {
    this.remove(c);
    this.restarting.set(c.tid, c);
  }

  /**
   * A parked call completes: its whole line when that is still open
   * (nothing was written and no call entered since), else the resumed one
   * (`<... NAME resumed>...`): `text(resumed)` makes either.
   */
  finish(c: OpenCall, text: (resumed: boolean) => string): void {
    // (open lines entered before it were ended by its entry; one entered after it ends now)
    const last = this.open[this.open.length - 1] === c;
    this.flush(last ? c : null);
    this.remove(c);
    this.write(text(c.shown));
  }

  private remove(c: OpenCall): void {
    const i = this.open.indexOf(c);
    if (i >= 0) this.open.splice(i, 1);
  }
}

const OUTS = new WeakMap<(line: string) => void, StraceOut>();

/** The StraceOut of a line sink: made once per sink; the wrapped `line` maps to the same one (child processes share it). */
export function straceOut(sink: (line: string) => void): StraceOut {
  let o = OUTS.get(sink);
  if (!o) {
    o = new StraceOut(sink);
    OUTS.set(sink, o);
    OUTS.set(o.line, o);
  }
  return o;
}
