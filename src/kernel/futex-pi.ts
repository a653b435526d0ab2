/**
 * Priority-inheritance futexes and the robust list, as Linux keeps them
 * (kernel/futex/pi.c, core.c), without real priorities: every task has the
 * same one, so "inheritance" changes nothing and waiters are served in
 * arrival order (Linux orders them by priority, FIFO among equals).
 *
 * A PI futex word holds its owner's tid, FUTEX_WAITERS while the kernel has
 * waiters queued and FUTEX_OWNER_DIED after a robust owner died. The kernel,
 * not user space, hands the lock over: FUTEX_UNLOCK_PI makes the first
 * waiter the owner (the word becomes its tid | FUTEX_WAITERS), and so does
 * the death of the owner.
 *
 * When a thread ends (exit, its process killed, execve) its robust list is
 * walked: each futex it still owns gets FUTEX_OWNER_DIED (and keeps
 * FUTEX_WAITERS), and one waiter of a non-PI futex is woken, so that the
 * next pthread_mutex_lock returns EOWNERDEAD.
 *
 * Requeue-PI (a condition variable over a PI mutex): FUTEX_WAIT_REQUEUE_PI
 * waits on the condvar word like FUTEX_WAIT; FUTEX_CMP_REQUEUE_PI takes the
 * PI futex for the first waiter when it is free (that waiter returns 0 as
 * its owner) and moves the others (up to nr_requeue, one more when the lock
 * was not free) into the PI futex's queue, where they wait for it as
 * FUTEX_LOCK_PI does. A signal before the requeue restarts the wait; after
 * it the call returns EAGAIN, as Linux's futex_wait_requeue_pi.
 */
import type { Memory } from "../cpu/memory.js";
import { RESULT_BLOCK, type Kernel } from "./kernel.js";
import { dropQueueIfEmpty, dropWaiter, futexWake, keyOf, queueOf, read32, readTimeout, toDeadline, type FutexKey, type Waiter } from "./futex.js";
import type { Task } from "./task.js";
import { EAGAIN, EDEADLK, EFAULT, EINVAL, EPERM, ESRCH, ETIMEDOUT } from "./errno.js";


const FUTEX_WAITERS = 0x80000000 | 0;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;
/** Entries of a robust list walked at most (Linux's ROBUST_LIST_LIMIT). */
const ROBUST_LIST_LIMIT = 2048;

interface PiWaiter {
  tid: number;
  /** Where this waiter sees the word (processes sharing a futex map it at their own addresses). */
  mem: Memory;
  addr: number;
  /** The lock was handed to it. */
  granted: boolean;
}

/** A PI futex with waiters: its owner as the kernel knows it, and the queue. */
interface PiState {
  fk: FutexKey;
  owner: number;
  waiters: PiWaiter[];
}

/** PI futexes with waiters, by address space (or shared object) and word. */
const states = new WeakMap<object, Map<number, PiState>>();
/** The same states, to find those a dying task owns. */
const live = new Set<PiState>();

function stateOf(fk: FutexKey): PiState | null {
  return states.get(fk.space)?.get(fk.key) ?? null;
}

function newState(fk: FutexKey, owner: number): PiState {
  let m = states.get(fk.space);
  if (!m) states.set(fk.space, (m = new Map()));
  const st: PiState = { fk, owner, waiters: [] };
  m.set(fk.key, st);
  live.add(st);
  return st;
}

function dropIfIdle(st: PiState): void {
  if (st.waiters.length > 0) return;
  states.get(st.fk.space)?.delete(st.fk.key);
  live.delete(st);
}

function write32(mem: Memory, addr: number, v: number): boolean {
  try {
    mem.write32(addr, v | 0);
    return true;
  } catch {
    return false;
  }
}

/** Make the first waiter of st the owner; the word becomes its tid | FUTEX_WAITERS (and keeps FUTEX_OWNER_DIED when `keepDied`). */
function handOver(st: PiState, keepDied: boolean): void {
  const w = st.waiters.shift()!;
  let died = 0;
  if (keepDied) {
    try {
      died = w.mem.read32(w.addr) & FUTEX_OWNER_DIED;
    } catch {
      /* unmapped: nothing to keep */
    }
  }
  write32(w.mem, w.addr, died | FUTEX_WAITERS | w.tid);
  w.granted = true;
  st.owner = w.tid;
  dropIfIdle(st);
}

/** FUTEX_LOCK_PI / LOCK_PI2 / TRYLOCK_PI. The timeout is absolute (CLOCK_REALTIME for LOCK_PI, CLOCK_MONOTONIC for LOCK_PI2 unless `realtime`). */
export function lockPi(k: Kernel, addr: number, priv: boolean, timeoutAddr: number, realtime: boolean, trylock: boolean): number {
  let deadline: number | null = null;
  if (timeoutAddr !== 0 && !trylock) {
    const t = readTimeout(k, timeoutAddr);
    if (t === null) return -EFAULT;
    if (t < 0) return -EINVAL;
    deadline = toDeadline(k, t, true, realtime);
  }
  const mem = k.cpu.mem;
  const tid = k.task.tid;
  const uval = read32(k, addr);
  if (uval === null) return addr % 4 ? -EINVAL : -EFAULT;
  const owner = uval & FUTEX_TID_MASK;
  if (owner === tid) return -EDEADLK;
  const fk = keyOf(mem, addr, priv);
  let st = stateOf(fk);
  if (owner === 0) {
    // free (or its robust owner died): taken over, keeping FUTEX_OWNER_DIED for the new owner to see
    return write32(mem, addr, (uval & FUTEX_OWNER_DIED) | tid | (st ? FUTEX_WAITERS : 0)) ? 0 : -EFAULT;
  }
  // the owner must now take the kernel path to unlock
  if (!write32(mem, addr, uval | FUTEX_WAITERS)) return -EFAULT;
  if (!st) {
    if (k.sched.task(owner) === null) return -ESRCH; // no such thread (it ended without a robust list)
    st = newState(fk, owner);
  }
  if (trylock) {
    dropIfIdle(st);
    return -EAGAIN;
  }
  if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) {
    dropIfIdle(st);
    return -ETIMEDOUT;
  }
  const w: PiWaiter = { tid, mem, addr, granted: false };
  const state = st;
  state.waiters.push(w);
  const leave = () => {
    const i = state.waiters.indexOf(w);
    if (i >= 0) state.waiters.splice(i, 1);
    dropIfIdle(state);
  };
  return k.sched.park(k, {
    retry: () => {
      if (w.granted) return 0;
      if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) {
        leave();
        return -ETIMEDOUT;
      }
      return RESULT_BLOCK;
    },
    deadline,
    onSignal: "always", // a handler runs, then the lock is waited for again (ERESTARTNOINTR)
    cancel: leave,
  });
}

/** FUTEX_UNLOCK_PI: only the owner may; the first waiter becomes the owner, else the word is 0. */
export function unlockPi(k: Kernel, addr: number, priv: boolean): number {
  const uval = read32(k, addr);
  if (uval === null) return addr % 4 ? -EINVAL : -EFAULT;
  if ((uval & FUTEX_TID_MASK) !== k.task.tid) return -EPERM;
  const st = stateOf(keyOf(k.cpu.mem, addr, priv));
  if (st && st.waiters.length > 0) {
    handOver(st, false);
    return 0;
  }
  return write32(k.cpu.mem, addr, 0) ? 0 : -EFAULT;
}

/** A 64-bit guest word, signed (pointers are below 2^47; null when unreadable). */
function readPtr(mem: Memory, addr: number): number | null {
  try {
    return (mem.read32(addr + 4) | 0) * 4294967296 + (mem.read32(addr) >>> 0);
  } catch {
    return null;
  }
}

/** handle_futex_death: the futex at addr, owned by the dying tid, gets FUTEX_OWNER_DIED; a non-PI waiter is woken. */
function futexDeath(k: Kernel, addr: number, tid: number, pi: boolean, pending: boolean): boolean {
  if (addr % 4 !== 0) return false;
  const mem = k.cpu.mem;
  let uval: number;
  try {
    uval = mem.read32(addr);
  } catch {
    return false;
  }
  const owner = uval & FUTEX_TID_MASK;
  if (pending && !pi && owner === 0) {
    // killed between releasing the word and waking a waiter, or a woken waiter killed before taking it
    futexWake(k, addr, 1, -1);
    return true;
  }
  if (owner !== tid) return true;
  if (!write32(mem, addr, (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED)) return false;
  if (!pi && (uval & FUTEX_WAITERS) !== 0) futexWake(k, addr, 1, -1);
  return true;
}

/** Walk t's robust list (exit_robust_list): struct robust_list_head { next; futex_offset; list_op_pending }. */
function exitRobustList(k: Kernel, t: Task): void {
  const mem = k.cpu.mem;
  const head = t.robustList;
  const first = readPtr(mem, head);
  const offset = readPtr(mem, head + 8); // a signed long
  const pendingRaw = readPtr(mem, head + 16);
  if (first === null || offset === null || pendingRaw === null) return;
  const pending = pendingRaw - (pendingRaw % 2);
  let entry = first - (first % 2);
  let pi = first % 2 === 1;
  for (let limit = ROBUST_LIST_LIMIT; entry !== head && limit > 0; limit--) {
    const next = readPtr(mem, entry);
    if (entry !== pending && !futexDeath(k, entry + offset, t.tid, pi, false)) return;
    if (next === null) return;
    entry = next - (next % 2);
    pi = next % 2 === 1;
  }
  if (pending !== 0) futexDeath(k, pending + offset, t.tid, pendingRaw % 2 === 1, true);
}

/**
 * A thread ends (exit, death of its process, execve): its robust list is
 * walked, then the PI futexes it owns with waiters go to their first waiter
 * (exit_pi_state_list), keeping FUTEX_OWNER_DIED.
 */
export function futexExitRelease(t: Task): void {
  const k = t.kernel;
  if (t.robustList !== 0) exitRobustList(k, t);
  t.robustList = 0;
  for (const st of [...live]) if (st.owner === t.tid && st.waiters.length > 0) handOver(st, true);
}

// ---- requeue-PI -------------------------------------------------------------------------------

/** A FUTEX_WAIT_REQUEUE_PI waiter's side: the PI futex it wants, then its place in that futex's queue. */
export interface RequeuePi {
  tid: number;
  mem: Memory;
  /** The PI futex word at the waiter's own address, and its key. */
  addr2: number;
  key2: FutexKey;
  /** CMP_REQUEUE_PI took the lock for it. */
  granted: boolean;
  /** Requeued: its waiter entry in the PI futex's queue. */
  pi: { st: PiState; w: PiWaiter } | null;
}

const sameKey = (a: FutexKey, b: FutexKey) => a.space === b.space && a.key === b.key;

/** The requeue-PI pair's checks, in Linux's order: two distinct words, the first readable and holding `expect`. */
function requeuePair(k: Kernel, addr: number, priv: boolean, addr2: number, expect: number): { fk: FutexKey; key2: FutexKey } | number {
  const mem = k.cpu.mem;
  const fk = keyOf(mem, addr, priv);
  const key2 = keyOf(mem, addr2, priv);
  if (sameKey(fk, key2)) return -EINVAL;
  const cur = read32(k, addr);
  if (cur === null) return addr % 4 ? -EINVAL : -EFAULT;
  return cur !== (expect | 0) ? -EAGAIN : { fk, key2 };
}

/** FUTEX_WAIT_REQUEUE_PI: wait on addr (while it holds val) to be handed or queued for the PI futex at addr2 (absolute timeout). */
export function waitRequeuePi(k: Kernel, addr: number, priv: boolean, val: number, timeoutAddr: number, addr2: number, realtime: boolean): number {
  let deadline: number | null = null;
  if (timeoutAddr !== 0) {
    const t = readTimeout(k, timeoutAddr);
    if (t === null) return -EFAULT;
    if (t < 0) return -EINVAL;
    deadline = toDeadline(k, t, true, realtime);
  }
  const pair = requeuePair(k, addr, priv, addr2, val);
  if (typeof pair === "number") return pair;
  const { fk, key2 } = pair;
  const mem = k.cpu.mem;
  if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) return -ETIMEDOUT;
  const rq: RequeuePi = { tid: k.task.tid, mem, addr2, key2, granted: false, pi: null };
  const w: Waiter = { space: fk.space, key: fk.key, bitset: -1, woken: false, requeuePi: rq };
  queueOf(fk, true)!.push(w);
  const got = () => rq.granted || (rq.pi !== null && rq.pi.w.granted);
  const leave = () => {
    if (rq.pi === null) return dropWaiter(w);
    const q = rq.pi.st.waiters;
    const i = q.indexOf(rq.pi.w);
    if (i >= 0) q.splice(i, 1);
    dropIfIdle(rq.pi.st);
  };
  return k.sched.park(k, {
    retry: () => {
      if (got()) return 0;
      if (deadline !== null && Number(k.host.monotonicNs()) >= deadline) {
        leave();
        return -ETIMEDOUT;
      }
      return RESULT_BLOCK;
    },
    deadline,
    onSignal: "always", // not yet requeued: the wait starts again after the handler (ERESTARTNOINTR)
    partial: () => (rq.pi !== null ? -EAGAIN : 0), // requeued: EWOULDBLOCK, as Linux
    cancel: leave,
  });
}

/** FUTEX_CMP_REQUEUE_PI: nr_wake must be 1; the lock goes to the first waiter when free, the others queue on it. Returns the waiters handed or moved. */
export function cmpRequeuePi(k: Kernel, addr: number, priv: boolean, nrWake: number, nrRequeue: number, addr2: number, cmpval: number): number {
  if (nrWake !== 1 || nrRequeue < 0) return -EINVAL;
  const pair = requeuePair(k, addr, priv, addr2, cmpval);
  if (typeof pair === "number") return pair;
  const { fk, key2 } = pair;
  const q = queueOf(fk, false);
  if (!q || q.length === 0) return 0;
  for (const w of q) if (!w.requeuePi || !sameKey(w.requeuePi.key2, key2)) return -EINVAL;
  let count = 0;
  // the first waiter takes the PI futex when it is free (futex_proxy_trylock_atomic)
  const top = q[0].requeuePi!;
  const uval = read32(k, addr2);
  if (uval === null) return addr2 % 4 ? -EINVAL : -EFAULT;
  if ((uval & FUTEX_TID_MASK) === top.tid) return -EDEADLK;
  let st = stateOf(key2);
  if ((uval & FUTEX_TID_MASK) === 0 && !st) {
    if (!write32(top.mem, top.addr2, (uval & FUTEX_OWNER_DIED) | FUTEX_WAITERS | top.tid)) return -EFAULT;
    top.granted = true;
    q.shift();
    count++;
  } else if (!write32(k.cpu.mem, addr2, uval | FUTEX_WAITERS)) return -EFAULT;
  // the others (and the first when the lock was taken) queue on the PI futex
  while (q.length > 0 && count - 1 < nrRequeue) {
    const rq = q[0].requeuePi!;
    if (!st) {
      const owner = (read32(k, addr2) ?? 0) & FUTEX_TID_MASK;
      if (owner === 0 || k.sched.task(owner) === null) break; // no owner to wait for (it ended without a robust list): ESRCH below
      st = newState(key2, owner);
    }
    const pw: PiWaiter = { tid: rq.tid, mem: rq.mem, addr: rq.addr2, granted: false };
    st.waiters.push(pw);
    rq.pi = { st, w: pw };
    q.shift();
    count++;
  }
  dropQueueIfEmpty(fk, q);
  if (q.length > 0 && count - 1 < nrRequeue) return count > 0 ? count : -ESRCH;
  return count;
}
