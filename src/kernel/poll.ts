/**
 * Readiness: poll, ppoll, select, pselect6 over the descriptor table.
 * Regular files and directories are always ready (Linux's DEFAULT_POLLMASK),
 * pipes by their contents and open ends, the standard descriptors by their
 * direction and, for reading, whether the host's pipe or terminal has input, descriptors with their own readiness (eventfd, timerfd,
 * signalfd, epoll) through OFile.ready. When nothing is ready the task parks
 * until something is, the timeout passes (0) or a handled signal arrives
 * (-EINTR).
 */
import { defineSyscall, RESULT_BLOCK, type Kernel } from "./kernel.js";
import { get, type OFile } from "./files.js";
import { EBADF, EFAULT, EINVAL } from "./errno.js";


export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
const POLLRDNORM = 0x40;
const POLLRDHUP = 0x2000;
const POLLWRNORM = 0x100;
const IN = POLLIN | POLLRDNORM;
const OUT = POLLOUT | POLLWRNORM;

/** What a descriptor is ready for now (POLL* bits, before masking by the events asked). */
export function readiness(k: Kernel, f: OFile): number {
  if (f.ready) return f.ready(k);
  switch (f.kind) {
    case "file":
    case "dir":
      return IN | OUT;
    case "std": {
      const r = (f.flags & 3) === 0 ? IN : (f.flags & 3) === 1 ? OUT : IN | OUT;
      // a host pipe or terminal is readable when a read would return (a pipe's end of input: a hangup); a host socket cannot tell
      const now = r & IN ? k.host.readReady?.(f.h) : null;
      return now === false ? r & ~IN : now === "end" ? (r & ~IN) | POLLHUP : now === "rdhup" ? r | POLLRDHUP : r;
    }
    case "pipe-r": {
      const p = f.pipe!;
      return (p.size() > 0 ? IN : 0) | (p.writers === 0 ? POLLHUP : 0);
    }
    case "pipe-w": {
      const p = f.pipe!;
      return p.readers === 0 ? OUT | POLLERR : p.writeReady() ? OUT : 0;
    }
    default:
      return 0;
  }
}

/** Is f's readiness the host's (a parked wait on it is retried while idle: Wait.hostPoll)? */
export function hostBacked(f: OFile): boolean {
  return f.kind === "std";
}

/**
 * Edge-triggered epoll's wakeup count of f for `events`: it grows at each
 * event that wakes a waiter for them (new data in a pipe even when it was
 * already readable, room made in a full one, a close); -1 when f has none
 * (then an edge is readiness that was not there at the last report).
 */
export function wakeSeq(k: Kernel, f: OFile, events: number): number {
  if (f.wakes) return f.wakes(k, events);
  return f.kind === "pipe-r" || f.kind === "pipe-w" ? f.pipe!.wakes(events) : -1;
}

/**
 * Run `check` (count of ready descriptors); when nothing is ready and the
 * deadline (monotonic ns; null: none) has not passed, park until it is.
 * `done` turns the final count into the result (writing results back).
 */
function waitReady(k: Kernel, deadline: bigint | null, check: () => number, done: (n: number) => number, hostPoll: () => boolean): number {
  const expired = () => deadline !== null && k.host.monotonicNs() >= deadline;
  const n = check();
  if (n !== 0 || expired()) return done(n);
  return k.sched.park(k, {
    retry: () => {
      const m = check();
      return m !== 0 || expired() ? done(m) : RESULT_BLOCK;
    },
    deadline: deadline === null ? null : Number(deadline),
    onSignal: "eintr",
    hostPoll: hostPoll(), // after the first check, which saw the descriptors
  });
}

function timespecDeadline(k: Kernel, addr: number): bigint | null | number {
  if (addr === 0) return null;
  try {
    const b = k.cpu.mem.readBytes(addr, 16);
    const dv = new DataView(b.buffer);
    const s = dv.getBigInt64(0, true);
    const ns = dv.getBigInt64(8, true);
    if (s < 0n || ns < 0n || ns >= 1000000000n) return -EINVAL;
    return k.host.monotonicNs() + s * 1000000000n + ns;
  } catch {
    return -EFAULT;
  }
}

function doPoll(k: Kernel, addr: number, nfds: number, deadline: bigint | null): number {
  if (nfds < 0 || nfds > 1 << 20) return -EINVAL;
  let raw: Uint8Array;
  try {
    raw = k.cpu.mem.readBytes(addr, nfds * 8);
  } catch {
    return -EFAULT;
  }
  const dv = new DataView(raw.buffer);
  let host = false;
  const check = () => {
    let n = 0;
    for (let j = 0; j < nfds; j++) {
      const fd = dv.getInt32(8 * j, true);
      const events = dv.getUint16(8 * j + 4, true);
      let rev = 0;
      if (fd >= 0) {
        const f = get(k, fd);
        rev = f ? readiness(k, f) & (events | POLLERR | POLLHUP) : POLLNVAL;
        host ||= f !== null && hostBacked(f);
      }
      dv.setUint16(8 * j + 6, rev, true);
      if (rev) n++;
    }
    return n;
  };
  return waitReady(k, deadline, check, (n) => k.copyOut(addr, raw) || n, () => host);
}

defineSyscall({
  nr: 7,
  name: "poll",
  args: ["ptr", "u", "d"],
  fn: (k, a) => {
    const ms = a.i32(2);
    return doPoll(k, a.u(0), a.i32(1), ms < 0 ? null : k.host.monotonicNs() + BigInt(ms) * 1000000n);
  },
});
defineSyscall({
  nr: 271,
  name: "ppoll",
  args: ["ptr", "u", "ptr", "ptr", "u"],
  fn: (k, a) => {
    const d = timespecDeadline(k, a.u(2));
    if (typeof d === "number") return d;
    return doPoll(k, a.u(0), a.i32(1), d);
  },
});

/** Write the time left until deadline as a timeval (unit 1000n: microseconds) or timespec (1n). */
function putLeft(k: Kernel, addr: number, deadline: bigint, unit: bigint): boolean {
  const left = deadline - k.host.monotonicNs();
  const v = left > 0n ? left / unit : 0n;
  const per = 1000000000n / unit;
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, v / per, true);
  dv.setBigInt64(8, v % per, true);
  return k.copyOut(addr, b) === 0;
}

/** select/pselect6: fd_set bitmaps in, ready sets out. */
function doSelect(k: Kernel, nfds: number, sets: [number, number, number], deadline: bigint | null, left: ((deadline: bigint | null) => void) | null): number {
  if (nfds < 0 || nfds > 1 << 20) return -EINVAL;
  const bytes = Math.ceil(nfds / 64) * 8;
  const inSets: Array<Uint8Array | null> = [];
  try {
    for (const p of sets) inSets.push(p ? k.cpu.mem.readBytes(p, bytes) : null);
  } catch {
    return -EFAULT;
  }
  const want = [IN | POLLHUP | POLLERR, OUT | POLLERR, POLLPRI];
  for (let fd = 0; fd < nfds; fd++) {
    const asked = inSets.some((s) => s && s[fd >> 3] & (1 << (fd & 7)));
    if (asked && !get(k, fd)) return -EBADF;
  }
  const outSets = inSets.map((s) => (s ? new Uint8Array(s.length) : null));
  let host = false;
  const check = () => {
    let n = 0;
    for (const s of outSets) s?.fill(0);
    for (let fd = 0; fd < nfds; fd++) {
      const bit = 1 << (fd & 7);
      if (!inSets.some((s) => s && s[fd >> 3] & bit)) continue;
      const f = get(k, fd)!;
      const r = readiness(k, f);
      host ||= hostBacked(f);
      inSets.forEach((s, j) => {
        if (s && s[fd >> 3] & bit && r & want[j]) {
          outSets[j]![fd >> 3] |= bit;
          n++;
        }
      });
    }
    return n;
  };
  return waitReady(k, deadline, check, (n) => {
    for (let j = 0; j < 3; j++) if (sets[j] && k.copyOut(sets[j], outSets[j]!)) return -EFAULT;
    if (left) left(deadline);
    return n;
  }, () => host);
}

defineSyscall({
  nr: 23,
  name: "select",
  args: ["d", "ptr", "ptr", "ptr", "ptr"],
  fn: (k, a) => {
    let deadline: bigint | null = null;
    const tv = a.u(4);
    if (tv) {
      try {
        const b = k.cpu.mem.readBytes(tv, 16);
        const dv = new DataView(b.buffer);
        const s = dv.getBigInt64(0, true);
        const us = dv.getBigInt64(8, true);
        if (s < 0n || us < 0n) return -EINVAL;
        deadline = k.host.monotonicNs() + s * 1000000000n + us * 1000n;
      } catch {
        return -EFAULT;
      }
    }
    // Linux writes back the time not slept
    return doSelect(k, a.i32(0), [a.u(1), a.u(2), a.u(3)], deadline, (d) => d !== null && putLeft(k, tv, d, 1000n));
  },
});
defineSyscall({
  nr: 270,
  name: "pselect6",
  args: ["d", "ptr", "ptr", "ptr", "ptr", "ptr"],
  fn: (k, a) => {
    const d = timespecDeadline(k, a.u(4));
    if (typeof d === "number") return d;
    const ts = a.u(4);
    return doSelect(k, a.i32(0), [a.u(1), a.u(2), a.u(3)], d, (dl) => dl !== null && putLeft(k, ts, dl, 1n)); // the syscall writes back the time not slept
  },
});
