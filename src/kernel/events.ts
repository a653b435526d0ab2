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
import { POLLERR, POLLHUP, POLLIN, POLLOUT, readiness } from "./poll.js";
import { signalState } from "./signals.js";

const EBADF = 9;
const EAGAIN = 11;
const EFAULT = 14;
const EEXIST = 17;
const EINVAL = 22;
const ENOENT = 2;
const EPERM = 1;
const O_NONBLOCK = 0x800;
const O_CLOEXEC = 0x80000;
const O_RDWR = 2;
const U64_MAX = 0xffffffffffffffffn;

/** Install an anonymous-inode descriptor. */
function anonFd(k: Kernel, name: string, flags: number, ops: AnonOps, ready: (k: Kernel) => number): number {
  const f: OFile = { kind: "anon", h: -1, pos: 0, flags: O_RDWR | (flags & O_NONBLOCK), path: `anon_inode:${name}`, refs: 1, anon: ops, ready };
  return install(k, f, (flags & O_CLOEXEC) !== 0);
}

/** A read that waits: `attempt` returns a result or -EAGAIN; blocking reads park until `ready`. */
function blockingRead(k: Kernel, nonblock: boolean, attempt: () => number, ready: () => boolean, deadline: () => number | null = () => null): number {
  const r = attempt();
  if (r !== -EAGAIN || nonblock) return r;
  return k.sched.park(k, { retry: () => (ready() ? RESULT_RESTART : RESULT_BLOCK), deadline: deadline(), onSignal: "restart" });
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
  const ops: AnonOps = {
    read: (k, buf, nonblock) => {
      if (buf.length < 8) return -EINVAL;
      return blockingRead(
        k,
        nonblock,
        () => {
          if (count === 0n) return -EAGAIN;
          const v = sem ? 1n : count;
          count -= v;
          u64(buf, v);
          return 8;
        },
        () => count > 0n,
      );
    },
    write: (k, data, nonblock) => {
      if (data.length < 8) return -EINVAL;
      const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
      if (v === U64_MAX) return -EINVAL;
      const fits = () => count + v < U64_MAX;
      if (fits()) {
        count += v;
        return 8;
      }
      if (nonblock) return -EAGAIN;
      return k.sched.park(k, { retry: () => (fits() ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart" });
    },
  };
  return anonFd(k, "[eventfd]", flags, ops, () => (count > 0n ? POLLIN : 0) | (count < U64_MAX - 1n ? POLLOUT : 0));
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
    const t: Timer = { clock, next: null, interval: 0n, expirations: 0n };
    const ops: AnonOps = {
      read: (k, buf, nonblock) => {
        if (buf.length < 8) return -EINVAL;
        return blockingRead(
          k,
          nonblock,
          () => {
            advance(k, t);
            if (t.expirations === 0n) return -EAGAIN;
            u64(buf, t.expirations);
            t.expirations = 0n;
            return 8;
          },
          () => (advance(k, t), t.expirations > 0n),
          () => (t.next === null ? null : Number(t.next)),
        );
      },
      write: () => -EINVAL,
    };
    const fd = anonFd(k, "[timerfd]", flags, ops, (k) => (advance(k, t), t.expirations > 0n ? POLLIN : 0));
    if (fd >= 0) timers.set(get(k, fd)!, t);
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
  const ops: AnonOps = {
    read: (k, buf, nonblock) => {
      if (buf.length < 128) return -EINVAL;
      return blockingRead(
        k,
        nonblock,
        () => {
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
        () => signalState(k).pending.some((p) => m.mask & sigbit(p.sig)),
      );
    },
    write: () => -EINVAL,
  };
  const nfd = anonFd(k, "[signalfd]", flags, ops, (k) => (signalState(k).pending.some((p) => m.mask & sigbit(p.sig)) ? POLLIN : 0));
  if (nfd >= 0) masks.set(get(k, nfd)!, m);
  return nfd;
}
defineSyscall({ nr: 289, name: "signalfd4", args: ["fd", "ptr", "u", "x"], fn: (k, a) => signalfd(k, a.i32(0), a.u(1), a.u(2), a.i32(3)) });
defineSyscall({ nr: 282, name: "signalfd", args: ["fd", "ptr", "u"], fn: (k, a) => signalfd(k, a.i32(0), a.u(1), a.u(2), 0) });

// ---- epoll -----------------------------------------------------------------------------------------

const EPOLLONESHOT = 1 << 30;
const EPOLLET = 1 << 31;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;

interface Interest {
  file: OFile;
  events: number;
  data: bigint;
  disabled: boolean;
}
const epolls = new WeakMap<OFile, Map<number, Interest>>();

/** Ready interests of an epoll set: [fd, revents] (entries whose descriptor was closed are dropped). */
function readyList(k: Kernel, set: Map<number, Interest>, max: number): Array<[Interest, number]> {
  const out: Array<[Interest, number]> = [];
  for (const [fd, it] of set) {
    if (get(k, fd) !== it.file) {
      set.delete(fd);
      continue;
    }
    if (it.disabled) continue;
    const r = readiness(k, it.file) & (it.events | POLLERR | POLLHUP) & 0xffff;
    if (r) out.push([it, r]);
    if (out.length >= max) break;
  }
  return out;
}

function epollCreate(k: Kernel, flags: number): number {
  if (flags & ~O_CLOEXEC) return -EINVAL;
  const set = new Map<number, Interest>();
  const ops: AnonOps = { read: () => -EINVAL, write: () => -EINVAL };
  const fd = anonFd(k, "[eventpoll]", flags, ops, (k) => (readyList(k, set, 1).length ? POLLIN : 0));
  if (fd >= 0) epolls.set(get(k, fd)!, set);
  return fd;
}
defineSyscall({ nr: 291, name: "epoll_create1", args: ["x"], fn: (k, a) => epollCreate(k, a.i32(0)) });
defineSyscall({ nr: 213, name: "epoll_create", args: ["d"], fn: (k, a) => (a.i32(0) <= 0 ? -EINVAL : epollCreate(k, 0)) });

defineSyscall({
  nr: 233,
  name: "epoll_ctl",
  args: ["fd", "d", "fd", "ptr"],
  fn: (k, a) => {
    const ep = get(k, a.i32(0));
    const fd = a.i32(2);
    const f = get(k, fd);
    if (!ep || !f) return -EBADF;
    const set = epolls.get(ep);
    if (!set || ep === f) return -EINVAL;
    if (f.kind === "file" || f.kind === "dir") return -EPERM; // regular files do not support epoll
    const op = a.i32(1);
    const cur = set.get(fd);
    if (op === EPOLL_CTL_DEL) return cur && cur.file === f ? (set.delete(fd), 0) : -ENOENT;
    let events: number;
    let data: bigint;
    try {
      const b = k.cpu.mem.readBytes(a.u(3), 12);
      const dv = new DataView(b.buffer);
      events = dv.getUint32(0, true);
      data = dv.getBigUint64(4, true);
    } catch {
      return -EFAULT;
    }
    void EPOLLET; // edge-triggered interests are reported level-triggered (a superset of the wakeups)
    if (op === EPOLL_CTL_ADD) {
      if (cur && cur.file === f) return -EEXIST;
      set.set(fd, { file: f, events, data, disabled: false });
      return 0;
    }
    if (op === EPOLL_CTL_MOD) {
      if (!cur || cur.file !== f) return -ENOENT;
      Object.assign(cur, { events, data, disabled: false });
      return 0;
    }
    return -EINVAL;
  },
});

function epollWait(k: Kernel, epfd: number, addr: number, max: number, timeoutMs: number | null): number {
  const ep = get(k, epfd);
  if (!ep) return -EBADF;
  const set = epolls.get(ep);
  if (!set || max <= 0 || max > 1 << 20) return -EINVAL;
  const deliver = (list: Array<[Interest, number]>): number => {
    const b = new Uint8Array(list.length * 12);
    const dv = new DataView(b.buffer);
    list.forEach(([it, r], j) => {
      dv.setUint32(12 * j, r, true);
      dv.setBigUint64(12 * j + 4, it.data, true);
      if (it.events & EPOLLONESHOT) it.disabled = true;
    });
    return k.copyOut(addr, b) || list.length;
  };
  const first = readyList(k, set, max);
  if (first.length || timeoutMs === 0) return deliver(first);
  const deadline = timeoutMs === null ? null : k.host.monotonicNs() + BigInt(timeoutMs) * 1000000n;
  return k.sched.park(k, {
    retry: () => {
      const list = readyList(k, set, max);
      if (list.length || (deadline !== null && k.host.monotonicNs() >= deadline)) return deliver(list);
      return RESULT_BLOCK;
    },
    deadline: deadline === null ? null : Number(deadline),
    onSignal: "eintr",
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
