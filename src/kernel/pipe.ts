/**
 * Pipes: a byte queue with Linux's capacity (64 KiB by default, F_SETPIPE_SZ
 * up to 1 MiB), counts of open read and write ends. A read of an empty pipe
 * with writers and a write to a full pipe park the task (or give EAGAIN with
 * O_NONBLOCK); writes of at most PIPE_BUF bytes are atomic.
 */
import { RESULT_BLOCK, RESULT_RESTART, type Kernel } from "./kernel.js";
import { EAGAIN, EBUSY, EINVAL, EPERM, EPIPE } from "./errno.js";

export const PIPE_BUF = 4096;
const DEFAULT_SIZE = 65536;
const MAX_SIZE = 1 << 20;
const SIGPIPE = 13;

export class Pipe {
  chunks: Uint8Array[] = [];
  readers = 1;
  writers = 1;
  capacity = DEFAULT_SIZE;
  private bytes = 0;
  /** Wakeups of the readers (each write that moved bytes, as Linux wakes a polled pipe's readers on every write). */
  private puts = 0;
  /** Wakeups of the writers (a read that made room in a full pipe). */
  private drains = 0;

  size(): number {
    return this.bytes;
  }

  /** Read what is there (up to buf.length): bytes read, 0 at end of file, -EAGAIN when empty with writers. */
  read(buf: Uint8Array): number {
    if (this.bytes === 0) return this.writers > 0 ? -EAGAIN : 0;
    if (this.bytes >= this.capacity) this.drains++;
    let n = 0;
    while (n < buf.length && this.chunks.length) {
      const c = this.chunks[0];
      const take = Math.min(c.length, buf.length - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.bytes -= n;
    return n;
  }

  /** Append as much of data as fits (all or nothing for atomic writes); returns bytes written (0: no room). */
  put(data: Uint8Array, atomic: boolean): number {
    const room = this.capacity - this.bytes;
    if (room <= 0 || (atomic && room < data.length)) return 0;
    const n = Math.min(room, data.length);
    this.chunks.push(data.slice(0, n));
    this.bytes += n;
    this.puts++;
    return n;
  }

  /**
   * A count that grows at each wakeup an edge-triggered epoll interest in
   * `events` (POLLIN: the readers' side, POLLOUT: the writers') would see:
   * new data, room made in a full pipe, the other side's last close.
   */
  wakes(events: number): number {
    return (events & 1 ? this.puts : 0) + (events & 4 ? this.drains : 0) + (this.writers === 0 ? 1 : 0) + (this.readers === 0 ? 1 : 0);
  }

  /** Would a read return now (data, or end of file)? */
  readReady(): boolean {
    return this.bytes > 0 || this.writers === 0;
  }

  /** Would a write make progress now (room, or no readers: EPIPE)? */
  writeReady(): boolean {
    return this.bytes < this.capacity || this.readers === 0;
  }

  /** F_SETPIPE_SZ: the new capacity (rounded up to a power of two pages), or -errno. */
  setCapacity(n: number): number {
    if (n < 0) return -EINVAL;
    if (n > MAX_SIZE) return -EPERM; // above /proc/sys/fs/pipe-max-size without CAP_SYS_RESOURCE
    let c = 4096;
    while (c < n) c *= 2;
    if (c < this.bytes) return -EBUSY;
    this.capacity = c;
    return c;
  }
}

/** read(2) on a pipe's read end: parks when empty (unless nonblocking). */
export function pipeRead(k: Kernel, p: Pipe, buf: Uint8Array, nonblock: boolean): number {
  const n = p.read(buf);
  if (n !== -EAGAIN || nonblock) return n;
  return k.sched.park(k, { retry: () => (p.readReady() ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart" });
}

function brokenPipe(k: Kernel): number {
  k.signalHandlers.raise(k, SIGPIPE, 0, k.proc ? k.proc.pid : k.host.getpid());
  return -EPIPE;
}

/** write(2) on a pipe's write end: what fits now, then parks for the rest (unless nonblocking). */
export function pipeWrite(k: Kernel, p: Pipe, data: Uint8Array, nonblock: boolean): number {
  if (p.readers === 0) return brokenPipe(k);
  const atomic = data.length <= PIPE_BUF;
  let done = p.put(data, atomic);
  if (done === data.length) return done;
  if (nonblock) return done > 0 ? done : -EAGAIN;
  return k.sched.park(k, {
    retry: () => {
      if (p.readers === 0) return done > 0 ? done : brokenPipe(k);
      done += p.put(data.subarray(done), atomic);
      return done === data.length ? done : RESULT_BLOCK;
    },
    deadline: null,
    onSignal: "restart",
    partial: () => done,
  });
}

/**
 * read(2) of a host descriptor (stdin: a pipe or terminal): what the host
 * has now; when nothing is there the task parks (the other tasks run) and
 * the scheduler retries it while idle (Wait.hostPoll). Hosts that cannot
 * read without waiting (a socket as stdin) read in the call.
 */
export function hostRead(k: Kernel, fd: number, buf: Uint8Array, nonblock: boolean): number {
  const host = k.host;
  const n = host.readNow ? host.readNow(fd, buf) : null;
  if (n === null) return host.read(fd, buf);
  if (n !== -EAGAIN || nonblock) return n;
  return k.sched.park(k, { retry: () => (host.readReady?.(fd) !== false ? RESULT_RESTART : RESULT_BLOCK), deadline: null, onSignal: "restart", hostPoll: true });
}
