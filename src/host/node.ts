/** The Node.js Host: real file descriptors, real pid, real signals. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as tty from "node:tty";
import { randomFillSync } from "node:crypto";
import type { Host } from "./host.js";

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, EACCES: 13, EFAULT: 14, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EPIPE: 32, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40 };

/** Map a Node error to -errno. */
export function negErrno(e: unknown): number {
  const code = (e as { code?: string }).code;
  if (code && code in ERRNO) return -ERRNO[code];
  const errno = (e as { errno?: number }).errno;
  if (typeof errno === "number" && errno < 0) return errno; // libuv errno values are -errno
  return -5; // EIO
}

export class NodeHost implements Host {
  getpid(): number {
    return process.pid;
  }
  getppid(): number {
    return process.ppid;
  }
  getuid(): number {
    return process.getuid?.() ?? 0;
  }
  getgid(): number {
    return process.getgid?.() ?? 0;
  }
  write(fd: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      try {
        done += fs.writeSync(fd, data, done, data.length - done);
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") continue; // non-blocking stdout (a pipe): retry
        return done > 0 ? done : negErrno(e);
      }
    }
    return done;
  }
  read(fd: number, buf: Uint8Array): number {
    for (;;) {
      try {
        return fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN") {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        if (code === "EOF") return 0;
        return negErrno(e);
      }
    }
  }
  kill(pid: number, sig: number): number {
    try {
      process.kill(pid, sig);
      return 0;
    } catch (e) {
      return negErrno(e);
    }
  }
  realtimeNs(): bigint {
    return BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n);
  }
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }
  randomBytes(buf: Uint8Array): void {
    randomFillSync(buf);
  }
  isatty(fd: number): boolean {
    return tty.isatty(fd);
  }
  hostname(): string {
    return os.hostname();
  }
}
