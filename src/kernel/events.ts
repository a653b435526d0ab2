/**
 * Event descriptors: eventfd (a 64-bit counter, EFD_SEMAPHORE), timerfd (one-
 * shot and periodic timers on CLOCK_REALTIME/MONOTONIC/BOOTTIME, absolute or
 * relative, expirations counted lazily), signalfd (pending signals of a mask
 * read as struct signalfd_siginfo) and epoll (an interest list polled through
 * poll.ts's readiness, level-triggered, EPOLLONESHOT). Reads that would
 * block park the task until the descriptor is ready (or give EAGAIN with
 * O_NONBLOCK); all of them work in poll/select/epoll together.
 */
import { defineSyscall, RESULT_BLOCK, RESULT_RESTART, type Kernel } from "./kernel.js";
import { get, install, type AnonOps, type OFile } from "./files.js";
import { hostBacked, POLLERR, POLLHUP, POLLIN, POLLOUT, readiness, wakeSeq } from "./poll.js";
import { signalState } from "./signals.js";
import { EAGAIN, EBADF, EEXIST, EFAULT, EINVAL, ELOOP, ENOENT, EPERM } from "./errno.js";

const O_NONBLOCK = 0x800;
const O_CLOEXEC = 0x80000;
const O_RDWR = 2;
const U64_MAX = 0xffffffffffffffffn;

/** Install an anonymous-inode descriptor. */
function anonFd(k: Kernel, name: string, flags: number, ops: AnonOps, ready: (k: Kernel) => number): number {
  const f: OFile = { kind: "anon", h: -1, pos: 0, flags: O_RDWR | (flags & O_NONBLOCK), path: `anon_inode:${name}`, refs: 1, anon: ops, ready };
  return install(k, f, (flags & O_CLOEXEC) !== 0);
}

/**
 * The read of an event descriptor: at least `min` bytes of buffer; `attempt`
 * returns a result or -EAGAIN; a blocking read parks until `ready` (or the
 * deadline, monotonic ns), a non-blocking one gives EAGAIN.
 */
function waitingRead(min: number, attempt: (k: Kernel, buf: Uint8Array) => number, ready: (k: Kernel) => boolean, deadline: () => number | null = () => null): AnonOps["read"] {
  return (k, buf, nonblock) => {
    if (buf.length < min) return -EINVAL;
    const r = attempt(k, buf);
    if (r !== -EAGAIN || nonblock) return r;
    return k.sched.park(k, { retry: () => (ready(k) ? RESULT_RESTART : RESULT_BLOCK), deadline: deadline(), onSignal: "restart" });
  };
}

function u64(buf: Uint8Array, v: bigint): void {
  new DataView(buf.buffer, buf.byteOffset, 8).setBigUint64(0, v, true);
}

// ---- eventfd -----------------------------------------------------------------------------------

const EFD_SEMAPHORE = 1;

function eventfd(k: Kernel, init: number, flags: number): number {
  if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
  let count = BigInt(init >>> 0);
  const sem = (flags & EFD_SEMAPHORE) !== 0;
  // wakeups for edge-triggered epoll: each write wakes the readers, each read the writers (as Linux's eventfd)
  let writes = 0;
  let reads = 0;
  const ops: AnonOps = {
    read: waitingRead(
      8,
      (_k, buf) => {
        if (count === 0n) return -EAGAIN;
        const v = sem ? 1n : count;
        count -= v;
        reads++;
        u64(buf, v);
        return 8;
      },
      () => count > 0n,
    ),
    write: (k, data, nonblock) => {
      if (data.length < 8) return -EINVAL;
      const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
      if (v === U64_MAX) return -EINVAL;
      const fits = () => count + v < U64_MAX;
      if (fits()) {
        count += v;
        writes++;
        return 8;
      }
      if (nonblock) return -EAGAIN;
      return k.sched.park(k, { retry: () => (fits() ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart" });
    },
  };
  const fd = anonFd(k, "[eventfd]", flags, ops, () => (count > 0n ? POLLIN : 0) | (count < U64_MAX - 1n ? POLLOUT : 0));
  if (fd >= 0) get(k, fd)!.wakes = (_k, ev) => (ev & POLLIN ? writes : 0) + (ev & POLLOUT ? reads : 0);
  return fd;
}
defineSyscall({ nr: 290, name: "eventfd2", args: ["u", "x"], fn: (k, a) => eventfd(k, a.u32(0), a.i32(1)) });
defineSyscall({ nr: 284, name: "eventfd", args: ["u"], fn: (k, a) => eventfd(k, a.u32(0), 0) });

// ---- timerfd -------------------------------------------------------------------------------------

const TFD_TIMER_ABSTIME = 1;
const TFD_TIMER_CANCEL_ON_SET = 2;

interface Timer {
  clock: number;
  /** next expiry, monotonic ns (null: disarmed) */
  next: bigint | null;
  interval: bigint;
  expirations: bigint;
  /** expiry events so far (edge-triggered epoll's wakeups) */
  fired: number;
}
const timers = new WeakMap<OFile, Timer>();

/** Count the expirations up to now (periodic timers advance by whole intervals). */
function advance(k: Kernel, t: Timer): void {
  if (t.next === null) return;
  const now = k.host.monotonicNs();
  if (now < t.next) return;
  if (t.interval > 0n) {
    const n = 1n + (now - t.next) / t.interval;
    t.expirations += n;
    t.next += n * t.interval;
  } else {
    t.expirations += 1n;
    t.next = null;
  }
  t.fired++;
}

function readTimespec(k: Kernel, addr: number): bigint | null {
  const b = k.cpu.mem.readBytes(addr, 16);
  const dv = new DataView(b.buffer);
  const s = dv.getBigInt64(0, true);
  const ns = dv.getBigInt64(8, true);
  if (s < 0n || ns < 0n || ns >= 1000000000n) return null;
  return s * 1000000000n + ns;
}

function putItimerspec(k: Kernel, addr: number, t: Timer): number {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const left = t.next === null ? 0n : t.next - k.host.monotonicNs();
  const v = left > 0n ? left : t.next === null ? 0n : 1n;
  dv.setBigInt64(0, t.interval / 1000000000n, true);
  dv.setBigInt64(8, t.interval % 1000000000n, true);
  dv.setBigInt64(16, v / 1000000000n, true);
  dv.setBigInt64(24, v % 1000000000n, true);
  return k.copyOut(addr, b);
}

function timerFile(k: Kernel, fd: number): [OFile, Timer] | number {
  const f = get(k, fd);
  if (!f) return -EBADF;
  const t = timers.get(f);
  return t ? [f, t] : -EINVAL;
}

defineSyscall({
  nr: 283,
  name: "timerfd_create",
  args: ["d", "x"],
  fn: (k, a) => {
    const clock = a.i32(0);
    const flags = a.i32(1);
    if (![0, 1, 7, 8, 9].includes(clock) || flags & ~(O_NONBLOCK | O_CLOEXEC)) return -EINVAL; // REALTIME MONOTONIC BOOTTIME (+_ALARM)
    const t: Timer = { clock, next: null, interval: 0n, expirations: 0n, fired: 0 };
    const expired = (k: Kernel) => (advance(k, t), t.expirations > 0n);
    const ops: AnonOps = {
      read: waitingRead(
        8,
        (k, buf) => {
          if (!expired(k)) return -EAGAIN;
          u64(buf, t.expirations);
          t.expirations = 0n;
          return 8;
        },
        expired,
        () => (t.next === null ? null : Number(t.next)),
      ),
      write: () => -EINVAL,
    };
    const fd = anonFd(k, "[timerfd]", flags, ops, (k) => (expired(k) ? POLLIN : 0));
    if (fd >= 0) {
      const f = get(k, fd)!;
      timers.set(f, t);
      f.wakes = (k) => (advance(k, t), t.fired); // each expiry wakes
    }
    return fd;
  },
});

defineSyscall({
  nr: 286,
  name: "timerfd_settime",
  args: ["fd", "x", "ptr", "ptr"],
  fn: (k, a) => {
    const ft = timerFile(k, a.i32(0));
    if (typeof ft === "number") return ft;
    const [, t] = ft;
    const flags = a.i32(1);
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -EINVAL;
    let interval: bigint | null;
    let value: bigint | null;
    try {
      interval = readTimespec(k, a.u(2));
      value = readTimespec(k, a.u(2) + 16);
    } catch {
      return -EFAULT;
    }
    if (interval === null || value === null) return -EINVAL;
    if (a.u(3) && putItimerspec(k, a.u(3), t)) return -EFAULT;
    t.expirations = 0n;
    t.interval = interval;
    if (value === 0n) t.next = null;
    else if (flags & TFD_TIMER_ABSTIME) {
      const now = t.clock === 0 || t.clock === 8 ? k.host.realtimeNs() : k.host.monotonicNs();
      t.next = k.host.monotonicNs() + (value - now);
    } else t.next = k.host.monotonicNs() + value;
    return 0;
  },
});
defineSyscall({
  nr: 287,
  name: "timerfd_gettime",
  args: ["fd", "ptr"],
  fn: (k, a) => {
    const ft = timerFile(k, a.i32(0));
    if (typeof ft === "number") return ft;
    advance(k, ft[1]);
    return putItimerspec(k, a.u(1), ft[1]);
  },
});

// ---- signalfd ------------------------------------------------------------------------------------

const SFD_FLAGS = O_NONBLOCK | O_CLOEXEC;
const masks = new WeakMap<OFile, { mask: bigint }>();

function sigbit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

function signalfd(k: Kernel, fd: number, maskAddr: number, size: number, flags: number): number {
  if (size !== 8 || flags & ~SFD_FLAGS) return -EINVAL;
  let mask: bigint;
  try {
    mask = new DataView(k.cpu.mem.readBytes(maskAddr, 8).buffer).getBigUint64(0, true);
  } catch {
    return -EFAULT;
  }
  mask &= ~(sigbit(9) | sigbit(19)); // SIGKILL and SIGSTOP are never read this way
  if (fd !== -1) {
    const f = get(k, fd);
    if (!f) return -EBADF;
    const m = masks.get(f);
    if (!m) return -EINVAL;
    m.mask = mask;
    return fd;
  }
  const m = { mask };
  const take = (k: Kernel) => {
    const s = signalState(k);
    const j = s.pending.findIndex((p) => m.mask & sigbit(p.sig));
    return j < 0 ? null : s.pending.splice(j, 1)[0];
  };
  const any = (k: Kernel) => signalState(k).pending.some((p) => m.mask & sigbit(p.sig));
  const ops: AnonOps = {
    read: waitingRead(
      128,
      (k, buf) => {
        let n = 0;
        for (; n + 128 <= buf.length; n += 128) {
          const p = take(k);
          if (!p) break;
          const dv = new DataView(buf.buffer, buf.byteOffset + n, 128);
          new Uint8Array(buf.buffer, buf.byteOffset + n, 128).fill(0);
          dv.setUint32(0, p.sig, true); // ssi_signo
          dv.setInt32(8, p.code, true); // ssi_code
          dv.setUint32(12, p.pid, true); // ssi_pid
          dv.setUint32(16, p.uid, true); // ssi_uid
          dv.setBigUint64(72, BigInt(p.addr), true); // ssi_addr
        }
        return n || -EAGAIN;
      },
      any,
    ),
    write: () => -EINVAL,
  };
  const nfd = anonFd(k, "[signalfd]", flags, ops, (k) => (any(k) ? POLLIN : 0));
  if (nfd >= 0) {
    const f = get(k, nfd)!;
    masks.set(f, m);
    // edge-triggered epoll's wakeups: each signal of the mask that becomes pending (a standard signal
    // already pending is not queued again, so it wakes nobody), counted as the entries are first seen
    const seen = new WeakSet<object>();
    let queued = 0;
    f.wakes = (k, ev) => {
      if (!(ev & POLLIN)) return 0;
      for (const p of signalState(k).pending)
        if (m.mask & sigbit(p.sig) && !seen.has(p)) {
          seen.add(p);
          queued++;
        }
      return queued;
    };
  }
  return nfd;
}
defineSyscall({ nr: 289, name: "signalfd4", args: ["fd", "ptr", "u", "x"], fn: (k, a) => signalfd(k, a.i32(0), a.u(1), a.u(2), a.i32(3)) });
defineSyscall({ nr: 282, name: "signalfd", args: ["fd", "ptr", "u"], fn: (k, a) => signalfd(k, a.i32(0), a.u(1), a.u(2), 0) });

// ---- epoll -----------------------------------------------------------------------------------------

const EPOLLEXCLUSIVE = 1 << 28;
const EPOLLWAKEUP = 1 << 29;
const EPOLLONESHOT = 1 << 30;
const EPOLLET = 1 << 31;
/** What EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS) */
const EXCLUSIVE_OK = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
/** INT_MAX / sizeof(struct epoll_event) */
const EP_MAX_EVENTS = 178956970;
/** How deep epoll sets may nest (Linux's EP_MAX_NESTS) */
const EP_MAX_NESTS = 4;

interface Interest {
  file: OFile;
  events: number;
  data: bigint;
  /** EPOLLONESHOT fired: nothing is reported until EPOLL_CTL_MOD */
  disabled: boolean;
  /** EPOLLET: the wakeup count at the last report (wakeSeq; -2: none yet) */
  seen: number;
  /** EPOLLET on a descriptor without a wakeup count: the readiness last reported (cleared as it goes) */
  shown: number;
}
const epolls = new WeakMap<OFile, Map<number, Interest>>();

/** What an interest reports now: its descriptor's readiness in the events asked (EPOLLERR and EPOLLHUP always), 0 when an edge has not come. */
function pending(k: Kernel, it: Interest): number {
  if (it.disabled) return 0;
  const r = readiness(k, it.file) & (it.events | POLLERR | POLLHUP) & 0xffff;
  if (!(it.events & EPOLLET) || r === 0) return r;
  const seq = wakeSeq(k, it.file, it.events);
  if (seq >= 0) return seq !== it.seen ? r : 0;
  it.shown &= r; // without a wakeup count, an edge is readiness that was not there at the last report
  return r & ~it.shown ? r : 0;
}

/** Ready interests of an epoll set, at most max (entries whose descriptor was closed are dropped). */
function readyList(k: Kernel, set: Map<number, Interest>, max: number): Array<[Interest, number, number]> {
  const out: Array<[Interest, number, number]> = [];
  for (const [fd, it] of set) {
    if (get(k, fd) !== it.file) {
      set.delete(fd);
      continue;
    }
    const r = pending(k, it);
    if (r) out.push([it, fd, r]);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * An epoll set's own wakeup count (it is woken when one of its interests is):
 * the sum of its interests' counts, -1 when one of them has none.
 */
function setWakes(k: Kernel, set: Map<number, Interest>): number {
  let sum = 0;
  for (const it of set.values()) {
    if (it.disabled) continue;
    const w = wakeSeq(k, it.file, it.events);
    if (w < 0) return -1;
    sum += w;
  }
  return sum;
}

/** Does reaching `to` from the epoll set `from` go through more than `depth` sets (or find it at all)? */
function reaches(from: Map<number, Interest>, to: Map<number, Interest>, depth: number): boolean {
  if (from === to || depth > EP_MAX_NESTS) return true;
  for (const it of from.values()) {
    const inner = epolls.get(it.file);
    if (inner && reaches(inner, to, depth + 1)) return true;
  }
  return false;
}

function epollCreate(k: Kernel, flags: number): number {
  if (flags & ~O_CLOEXEC) return -EINVAL;
  const set = new Map<number, Interest>();
  const ops: AnonOps = { read: () => -EINVAL, write: () => -EINVAL };
  const fd = anonFd(k, "[eventpoll]", flags, ops, (k) => (readyList(k, set, 1).length ? POLLIN : 0));
  if (fd >= 0) {
    const f = get(k, fd)!;
    epolls.set(f, set);
    f.wakes = (k) => setWakes(k, set);
  }
  return fd;
}
defineSyscall({ nr: 291, name: "epoll_create1", args: ["x"], fn: (k, a) => epollCreate(k, a.i32(0)) });
defineSyscall({ nr: 213, name: "epoll_create", args: ["d"], fn: (k, a) => (a.i32(0) <= 0 ? -EINVAL : epollCreate(k, 0)) });

function epollCtl(k: Kernel, epfd: number, op: number, fd: number, addr: number): number {
  const ep = get(k, epfd);
  const f = get(k, fd);
  if (!ep || !f) return -EBADF;
  const set = epolls.get(ep);
  if (!set || ep === f) return -EINVAL;
  if (f.kind === "file" || f.kind === "dir") return -EPERM; // regular files do not support epoll
  const cur = set.get(fd);
  const has = cur !== undefined && cur.file === f;
  if (op === EPOLL_CTL_DEL) return has ? (set.delete(fd), 0) : -ENOENT;
  let events: number;
  let data: bigint;
  try {
    const b = k.cpu.mem.readBytes(addr, 12);
    const dv = new DataView(b.buffer);
    events = dv.getUint32(0, true);
    data = dv.getBigUint64(4, true);
  } catch {
    return -EFAULT;
  }
  const inner = epolls.get(f);
  if (events & EPOLLEXCLUSIVE && (op === EPOLL_CTL_MOD || (op === EPOLL_CTL_ADD && (inner || events & ~EXCLUSIVE_OK)))) return -EINVAL;
  const fresh: Interest = { file: f, events, data, disabled: false, seen: -2, shown: 0 };
  if (op === EPOLL_CTL_ADD) {
    if (has) return -EEXIST;
    if (inner && reaches(inner, set, 1)) return -ELOOP;
    set.set(fd, fresh);
    return 0;
  }
  if (op === EPOLL_CTL_MOD) {
    if (!has) return -ENOENT;
    if (cur.events & EPOLLEXCLUSIVE) return -EINVAL;
    Object.assign(cur, fresh);
    return 0;
  }
  return -EINVAL;
}
defineSyscall({ nr: 233, name: "epoll_ctl", args: ["fd", "d", "fd", "ptr"], fn: (k, a) => epollCtl(k, a.i32(0), a.i32(1), a.i32(2), a.u(3)) });

function epollWait(k: Kernel, epfd: number, addr: number, max: number, timeoutMs: number | null): number {
  const ep = get(k, epfd);
  if (!ep) return -EBADF;
  const set = epolls.get(ep);
  if (!set || max <= 0 || max > EP_MAX_EVENTS) return -EINVAL;
  const deliver = (list: Array<[Interest, number, number]>): number => {
    const b = new Uint8Array(list.length * 12);
    const dv = new DataView(b.buffer);
    list.forEach(([it, fd, r], j) => {
      dv.setUint32(12 * j, r, true);
      dv.setBigUint64(12 * j + 4, it.data, true);
      if (it.events & EPOLLONESHOT) it.disabled = true;
      if (it.events & EPOLLET) {
        it.seen = wakeSeq(k, it.file, it.events);
        it.shown = r;
      } else {
        set.delete(fd); // a level-triggered interest goes back to the end of the ready list: a small maxevents takes turns
        set.set(fd, it);
      }
    });
    return k.copyOut(addr, b) || list.length;
  };
  const first = readyList(k, set, max);
  if (first.length || timeoutMs === 0) return deliver(first);
  const deadline = timeoutMs === null ? null : k.host.monotonicNs() + BigInt(timeoutMs) * 1000000n;
  let host = false;
  for (const it of set.values()) host ||= hostBacked(it.file);
  return k.sched.park(k, {
    retry: () => {
      const list = readyList(k, set, max);
      if (list.length || (deadline !== null && k.host.monotonicNs() >= deadline)) return deliver(list);
      return RESULT_BLOCK;
    },
    deadline: deadline === null ? null : Number(deadline),
    onSignal: "eintr",
    hostPoll: host,
  });
}
const msArg = (v: number) => (v < 0 ? null : v);
defineSyscall({ nr: 232, name: "epoll_wait", args: ["fd", "ptr", "d", "d"], fn: (k, a) => epollWait(k, a.i32(0), a.u(1), a.i32(2), msArg(a.i32(3))) });
defineSyscall({ nr: 281, name: "epoll_pwait", args: ["fd", "ptr", "d", "d", "ptr", "u"], fn: (k, a) => epollWait(k, a.i32(0), a.u(1), a.i32(2), msArg(a.i32(3))) });
defineSyscall({
  nr: 441,
  name: "epoll_pwait2",
  args: ["fd", "ptr", "d", "ptr", "ptr", "u"],
  fn: (k, a) => {
    if (a.u(3) === 0) return epollWait(k, a.i32(0), a.u(1), a.i32(2), null);
    let ns: bigint | null;
    try {
      ns = readTimespec(k, a.u(3));
    } catch {
      return -EFAULT;
    }
    return ns === null ? -EINVAL : epollWait(k, a.i32(0), a.u(1), a.i32(2), Number(ns / 1000000n));
  },
});
