/**
 * The kernel's only way to the outside world. NodeHost (node.ts) implements it
 * with node:fs/node:process; MemoryHost (memory.ts) keeps everything in memory
 * for tests and browsers.
 */

export interface HostStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Creation time, where the file system records it (statx STATX_BTIME) */
  btimeNs?: bigint;
}

export interface Host {
  /** Process id the guest sees as its own (getpid). */
  getpid(): number;
  getppid(): number;
  /** The nice value the guest starts with (the host process's own, as a native child inherits it); 0 when absent. */
  getpriority?(): number;
  getuid(): number;
  getgid(): number;
  /** Write to a host file descriptor; returns bytes written or -errno. */
  write(fd: number, data: Uint8Array): number;
  /** Read from a host file descriptor; returns bytes read (0 at EOF) or -errno. */
  read(fd: number, buf: Uint8Array): number;
  /**
   * Read without waiting (pipes and terminals): bytes, 0 at end of file,
   * -EAGAIN while nothing is there yet; null when this fd cannot be read
   * without waiting (read() is used, and may hold the host thread).
   */
  readNow?(fd: number, buf: Uint8Array): number | null;
  /**
   * Would a read of fd return now (data or end of file)? "end": it would give
   * the end of a pipe's input (no writer left: a hangup); "rdhup": of a
   * socket's (its peer shut down writing); null: cannot tell.
   */
  readReady?(fd: number): boolean | "end" | "rdhup" | null;
  /** Send a signal to a host process: 0 or -errno (ESRCH, EPERM, EINVAL). */
  kill(pid: number, sig: number): number;
  /** CLOCK_REALTIME in nanoseconds. */
  realtimeNs(): bigint;
  /** CLOCK_MONOTONIC in nanoseconds. */
  monotonicNs(): bigint;
  /** Fill with random bytes. */
  randomBytes(buf: Uint8Array): void;
  /** Is the host fd a terminal (for ioctl TCGETS)? */
  isatty(fd: number): boolean;
  /** What a host fd really is (fstat of the standard descriptors: tty, pipe, file, /dev/null, socket). */
  fstatFd?(fd: number): HostStat | number;
  /**
   * lseek of a host fd that is a regular file (stdin redirected from a file): the new offset or
   * -errno (ESPIPE: a pipe or terminal). Later reads and writes of fd go on from that offset.
   */
  seekFd?(fd: number, offset: number, whence: number): number;
  /** The terminal settings of a host tty fd as the kernel's 36-byte struct termios, or null. */
  termios?(fd: number): Uint8Array | null;
  /** Apply terminal settings (36-byte struct termios) to a host tty fd (raw mode, echo). */
  setTermios?(fd: number, t: Uint8Array): void;
  /** The path a host fd is open on (readlink of /proc/self/fd/N: "/dev/pts/3", "pipe:[123]"), or null. */
  fdPath?(fd: number): string | null;
  /** Window size of a host tty fd, or null. */
  winsize?(fd: number): { rows: number; cols: number } | null;
  /** The file system, when the guest may see one. */
  fs?: HostFs;
  /** Sleep (nanosleep); hosts that cannot block may return at once. */
  sleepMs?(ms: number): void;
  /** The host name uname reports (default "x64emu"). */
  hostname?(): string;
  /** Process group and session of a host process (getpgid, getsid), or -errno (ESRCH). */
  processIds?(pid: number): { pgid: number; sid: number } | number;
  /** Supplementary group ids (getgroups). */
  getgroups?(): number[];
  /** This process's resource usage (getrusage): CPU times in microseconds, max RSS in KiB. */
  resourceUsage?(): { userUs: number; systemUs: number; maxRssKb: number; minorFaults: number; majorFaults: number; fsRead: number; fsWrite: number; voluntarySwitches: number; involuntarySwitches: number };
  /** Memory figures for sysinfo, in bytes. */
  memoryInfo?(): { total: number; free: number; buffers?: number; shared?: number };
  /** TCP/UDP through the host's network; without it inet sockets reach only other guest sockets. */
  net?: HostNet;
}

/** File system figures (statfs). */
export interface HostStatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** A directory entry (getdents64). */
export interface HostDirent {
  name: string;
  /** DT_* type: 1 fifo, 2 chr, 4 dir, 6 blk, 8 reg, 10 lnk, 12 sock, 0 unknown */
  type: number;
  ino: number;
}

/**
 * File system access (paths are absolute host paths; flags use Linux O_*
 * values; results are values or -errno). Optional: a Host without it gives
 * the guest only its standard descriptors.
 */
export interface HostFs {
  /** The initial working directory. */
  cwd(): string;
  open(path: string, flags: number, mode: number): number;
  close(h: number): number;
  pread(h: number, buf: Uint8Array, pos: number): number;
  pwrite(h: number, data: Uint8Array, pos: number): number;
  fstat(h: number): HostStat | number;
  stat(path: string, follow: boolean): HostStat | number;
  readdir(path: string): HostDirent[] | number;
  readlink(path: string): string | number;
  mkdir(path: string, mode: number): number;
  rmdir(path: string): number;
  unlink(path: string): number;
  /** Create a socket inode at path (bind(2) of an AF_UNIX socket): 0 or -errno (EEXIST when something is there). */
  mksock?(path: string): number;
  rename(from: string, to: string): number;
  truncate(h: number, len: number): number;
  chmod(path: string, mode: number): number;
  access(path: string, mode: number): number;
  /** Set times (null: leave it); follow false: of a symlink itself (AT_SYMLINK_NOFOLLOW). */
  utimes?(path: string, atimeNs: bigint | null, mtimeNs: bigint | null, follow?: boolean): number;
  createSymlink?(target: string, path: string): number;
  /** statfs(2) figures of the file system holding path */
  statfs?(path: string): HostStatfs | number;
  /** chown (follow: the last symlink too); -1 leaves an id unchanged */
  chown?(path: string, uid: number, gid: number, follow: boolean): number;
  createLink?(existing: string, path: string): number;
}

/**
 * A socket of the host's network (Host.net): everything is non-blocking;
 * results are values or -errno (-EAGAIN: not now). Events of the host
 * (data, connections, errors) call the wake function given to Host.net.
 */
export interface HostSocket {
  /** POLL* readiness now (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDHUP). */
  ready(): number;
  /** Bytes received (0: end of stream), or -errno. */
  recv(buf: Uint8Array, peek: boolean): number;
  /** Bytes taken, or -errno; `to` is a sockaddr for unconnected UDP. */
  send(data: Uint8Array, to: Uint8Array | null): number;
  /** Bytes waiting (FIONREAD). */
  pending(): number;
  close(): void;
  /** Half-close the sending side. */
  shutdownWrite(): void;
  /** A connect in progress: 0 when connected, -errno when it failed, -EINPROGRESS meanwhile. */
  connectState(): number;
  /** sockaddr of this end and of the peer. */
  localAddr(): Uint8Array | null;
  peerAddr(): Uint8Array | null;
  /** A listener: the next accepted connection, or null. */
  accept?(): HostSocket | null;
  /** The sender of the datagram the last recv returned, and its full length. */
  dgramFrom?: Uint8Array | null;
  dgramLen?: number;
}

/** A UDP socket on the host. */
export interface HostUdp {
  /** Send a datagram to a sockaddr (no delivery report, as UDP). */
  send(data: Uint8Array, to: Uint8Array): void;
  /** The sockaddr it is bound at. */
  localAddr(): Uint8Array;
  close(): void;
}

/** The host's TCP/UDP networking (Node's net and dgram). Addresses are sockaddr_in/in6 bytes. */
export interface HostNet {
  /** Start a TCP connection (its connectState() tells when it is made). */
  connect(family: number, to: Uint8Array): HostSocket | number;
  /** A TCP listener on a host port (bind + listen). */
  listen(family: number, at: Uint8Array, backlog: number): HostSocket | number;
  /** A UDP socket bound at `at` (port 0: the host picks one), or -errno; each datagram that arrives goes to onMessage. */
  udp(family: number, at: Uint8Array, onMessage: (data: Uint8Array, from: Uint8Array) => void): HostUdp | number;
  /** A stream connection to the unix socket at a guest path (a host program's socket file). */
  connectUnix?(path: string): HostSocket | number;
  /**
   * Listen on the socket inode at a guest path (a guest unix listener), so host
   * programs can connect to it; the inode is replaced by the listening one.
   */
  listenUnix?(path: string, backlog: number): HostSocket | number;
  /** Called on every host network event (the run loop awaits it when idle). */
  wake: (() => void) | null;
}
