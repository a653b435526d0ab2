/* Table of system calls with bad pointers, bad fds, bad flags and bad lengths: each line prints
 * the result and errno, so a native run and a run under x64emu can be compared line by line.
 * argv[1]: a scratch directory. Raw syscall() so that libc wrappers do not hide anything. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <poll.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/time.h>

static void show(const char *label, long r) {
  if (r == -1) printf("%-34s -1 errno %d\n", label, errno);
  else printf("%-34s %ld\n", label, r);
}
#define T(label, call) (errno = 0, show(label, (long)(call)))

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char file[4096], dirslash[4096], fileslash[4096], buf[64];
  snprintf(file, sizeof file, "%s/f", dir);
  snprintf(fileslash, sizeof fileslash, "%s/f/", dir);
  snprintf(dirslash, sizeof dirslash, "%s/", dir);

  /* two pages, the second unmapped: buffers running into it */
  char *two = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + 4096, 4096);
  char *edge = two + 4096 - 100; /* 100 bytes before the hole */
  memset(two, 'a', 4096);

  int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
  static char data[8192];
  memset(data, 'x', sizeof data);
  T("write(file, 8192)", write(fd, data, 8192));
  lseek(fd, 0, SEEK_SET);
  T("read into edge (100 left)", syscall(SYS_read, fd, edge, 1000));
  T("lseek after partial read", lseek(fd, 0, SEEK_CUR));
  T("read into hole", syscall(SYS_read, fd, two + 4096, 10));
  T("lseek after EFAULT", lseek(fd, 0, SEEK_CUR));
  lseek(fd, 0, SEEK_END);
  T("read at EOF into NULL", syscall(SYS_read, fd, 0, 10));
  T("write from edge (100 left)", syscall(SYS_write, fd, edge, 1000));
  T("write from NULL", syscall(SYS_write, fd, 0, 10));
  T("write from NULL, 0 bytes", syscall(SYS_write, fd, 0, 0));
  T("read bad fd", syscall(SYS_read, 999, buf, 1));
  T("write bad fd", syscall(SYS_write, -1, buf, 1));

  struct stat st;
  T("stat(file/)", syscall(SYS_stat, fileslash, &st));
  T("lstat(file/)", syscall(SYS_lstat, fileslash, &st));
  T("stat(dir/)", syscall(SYS_stat, dirslash, &st));
  T("open(file/)", syscall(SYS_open, fileslash, O_RDONLY));
  T("access(file/)", syscall(SYS_access, fileslash, F_OK));
  T("stat(NULL)", syscall(SYS_stat, 0, &st));
  T("stat(file, NULL)", syscall(SYS_stat, file, 0));
  T("stat(\"\")", syscall(SYS_stat, "", &st));

  struct rlimit rl;
  T("getrlimit(NOFILE, NULL)", syscall(SYS_getrlimit, RLIMIT_NOFILE, 0));
  T("getrlimit(NOFILE, hole)", syscall(SYS_getrlimit, RLIMIT_NOFILE, two + 4096));
  T("getrlimit(99, &rl)", syscall(SYS_getrlimit, 99, &rl));
  T("setrlimit(NOFILE, 1)", syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)1));
  getrlimit(RLIMIT_NOFILE, &rl);
  struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
  T("setrlimit(cur > max)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &bad));
  struct rlimit low = {100, rl.rlim_max};
  T("setrlimit(NOFILE, 100)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &low));
  struct rlimit got;
  T("getrlimit(NOFILE) after set", (syscall(SYS_getrlimit, RLIMIT_NOFILE, &got), (long)got.rlim_cur));
  T("prlimit64(0, NOFILE, 0, 0)", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, 0));
  T("prlimit64(0, 99, 0, &rl)", syscall(SYS_prlimit64, 0, 99, 0, &rl));
  T("prlimit64(new=1)", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)1, 0));

  T("syscall 0x100000027 is getpid", syscall(0x100000027L) == getpid());
  T("syscall 99999", syscall(99999));
  T("syscall -1", syscall(-1L));

  T("getrandom(flags 8)", syscall(SYS_getrandom, buf, 16, 8));
  T("getrandom(RANDOM|INSECURE)", syscall(SYS_getrandom, buf, 16, 6));
  T("getrandom(NULL, 16)", syscall(SYS_getrandom, 0, 16, 0));
  T("getrandom(buf, 0)", syscall(SYS_getrandom, buf, 0, 0));
  T("getrandom(edge, 1000)", syscall(SYS_getrandom, edge, 1000, 0));
  char *big = mmap(0, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  T("getrandom(big, 1.5 MiB)", syscall(SYS_getrandom, big, 3 << 19, 0));
  T("getrandom(big, 100000, NONBLOCK)", syscall(SYS_getrandom, big, 100000, 1));

  T("madvise(unaligned)", syscall(SYS_madvise, two + 1, 4096, MADV_NORMAL));
  T("madvise(bad advice)", syscall(SYS_madvise, two, 4096, 999));
  T("madvise(hole)", syscall(SYS_madvise, two + 4096, 4096, MADV_NORMAL));
  T("madvise(spanning hole)", syscall(SYS_madvise, two, 8192, MADV_WILLNEED));
  T("madvise(len 0)", syscall(SYS_madvise, two, 0, MADV_NORMAL));
  two[5] = 42;
  T("madvise(DONTNEED)", syscall(SYS_madvise, two, 4096, MADV_DONTNEED));
  T("byte after DONTNEED", two[5]);
  T("madvise(REMOVE, anon)", syscall(SYS_madvise, two, 4096, MADV_REMOVE));
  T("mlock(hole)", syscall(SYS_mlock, two + 4096, 4096));
  T("mlock(two, 4096)", syscall(SYS_mlock, two, 4096));
  T("munlock(two, 4096)", syscall(SYS_munlock, two, 4096));
  T("munlock(hole)", syscall(SYS_munlock, two + 4096, 10));
  T("mlock(unaligned, 0)", syscall(SYS_mlock, two + 5, 0));
  T("mlock2(bad flags)", syscall(SYS_mlock2, two, 4096, 2));

  T("getsid(-1)", syscall(SYS_getsid, -1));
  T("getpgid(-1)", syscall(SYS_getpgid, -1));
  T("getpgid(4194303)", syscall(SYS_getpgid, 4194303));
  T("getsid(4194303)", syscall(SYS_getsid, 4194303));
  T("getpgid(0) == getpgrp()", syscall(SYS_getpgid, 0) == syscall(SYS_getpgrp));
  T("getsid(0) == getsid(getpid())", syscall(SYS_getsid, 0) == syscall(SYS_getsid, getpid()));
  T("kill(-1, 0)", syscall(SYS_kill, -1, 0));
  T("kill(4194303, 0)", syscall(SYS_kill, 4194303, 0));
  T("kill(getpid(), 65)", syscall(SYS_kill, getpid(), 65));

  T("mmap(len 0)", (long)mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  T("mmap(no type)", (long)mmap(0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
  T("munmap(unaligned)", syscall(SYS_munmap, two + 1, 4096));
  T("mprotect(hole)", syscall(SYS_mprotect, two + 4096, 4096, PROT_READ));
  T("close(-1)", syscall(SYS_close, -1));
  T("dup2(0, -1)", syscall(SYS_dup2, 0, -1));
  T("fcntl(0, 9999)", syscall(SYS_fcntl, 0, 9999));

  /* more of the same: bad fds, bad pointers, bad flags, bad lengths */
  char longname[300], longpath[5000];
  memset(longname, 'a', 299); longname[299] = 0;
  memset(longpath, 'b', 4999); longpath[4999] = 0;
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/d", dir);
  char subfile[4200];
  snprintf(subfile, sizeof subfile, "%s/d/x", dir);
  int wr = open(file, O_WRONLY | O_CREAT, 0644);
  int rd = open(file, O_RDONLY);
  int pfd[2];
  pipe(pfd);
  T("read from O_WRONLY fd", syscall(SYS_read, wr, buf, 1));
  T("write to O_RDONLY fd", syscall(SYS_write, rd, buf, 1));
  T("lseek bad whence", syscall(SYS_lseek, rd, 0, 99));
  T("lseek negative result", syscall(SYS_lseek, rd, -10L, SEEK_SET));
  T("lseek on pipe", syscall(SYS_lseek, pfd[0], 0, SEEK_CUR));
  T("pread negative offset", syscall(SYS_pread64, rd, buf, 1, -1L));
  T("pread on pipe", syscall(SYS_pread64, pfd[0], buf, 1, 0));
  /* a read faulting on its first byte leaves a pipe's or stream's bytes there (a datagram is taken) */
  {
    int sp[2], dg[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
    int fds[3][2] = {{pfd[0], pfd[1]}, {sp[0], sp[1]}, {dg[0], dg[1]}};
    const char *names[3] = {"pipe", "stream socket", "datagram socket"};
    for (int i = 0; i < 3; i++) {
      char line[80], got[4] = {0};
      fcntl(fds[i][0], F_SETFL, O_NONBLOCK);
      syscall(SYS_write, fds[i][1], "abc", 3);
      snprintf(line, sizeof line, "read bad pointer from %s", names[i]);
      T(line, syscall(SYS_read, fds[i][0], (void *)8, 3));
      snprintf(line, sizeof line, "read after the fault from %s", names[i]);
      T(line, syscall(SYS_read, fds[i][0], got, 3));
      printf("  read %s\n", got);
      syscall(SYS_write, fds[i][1], "def", 3);
      snprintf(line, sizeof line, "recvfrom bad pointer from %s", names[i]);
      T(line, syscall(SYS_recvfrom, fds[i][0], (void *)8, 3, 0, 0, 0));
      snprintf(line, sizeof line, "read after the recvfrom fault from %s", names[i]);
      T(line, syscall(SYS_read, fds[i][0], got, 3));
      printf("  read %s\n", got);
    }
    close(sp[0]);
    close(sp[1]);
    close(dg[0]);
    close(dg[1]);
  }
  T("fstat bad fd", syscall(SYS_fstat, 555, &st));
  T("fstat NULL", syscall(SYS_fstat, rd, 0));
  T("dup bad fd", syscall(SYS_dup, 555));
  T("dup2 to 1<<20", syscall(SYS_dup2, rd, 1 << 20));
  T("dup3 same fd", syscall(SYS_dup3, rd, rd, 0));
  T("dup3 bad flags", syscall(SYS_dup3, rd, 50, 1));
  T("fcntl bad fd", syscall(SYS_fcntl, 555, F_GETFD));
  T("ioctl TCGETS on file", syscall(SYS_ioctl, rd, 0x5401, buf));
  T("ioctl bad fd", syscall(SYS_ioctl, 555, 0x5401, buf));
  T("ftruncate negative", syscall(SYS_ftruncate, wr, -1L));
  T("ftruncate O_RDONLY", syscall(SYS_ftruncate, rd, 0));
  T("ftruncate bad fd", syscall(SYS_ftruncate, 555, 0));
  T("open ENOENT", syscall(SYS_open, "/nonexistent/x", O_RDONLY));
  T("open name too long", syscall(SYS_open, longname, O_RDONLY));
  T("open path too long", syscall(SYS_open, longpath, O_RDONLY));
  T("open O_EXCL existing", syscall(SYS_open, file, O_CREAT | O_EXCL | O_WRONLY, 0644));
  T("open dir for writing", syscall(SYS_open, dir, O_WRONLY));
  T("open file O_DIRECTORY", syscall(SYS_open, file, O_RDONLY | O_DIRECTORY));
  T("open NULL", syscall(SYS_open, 0, O_RDONLY));
  T("openat bad dirfd", syscall(SYS_openat, 555, "x", O_RDONLY));
  T("openat file as dirfd", syscall(SYS_openat, rd, "x", O_RDONLY));
  T("mkdir", syscall(SYS_mkdir, sub, 0755));
  T("mkdir existing", syscall(SYS_mkdir, sub, 0755));
  T("mkdir under a file", syscall(SYS_mkdir, fileslash, 0755));
  close(open(subfile, O_CREAT | O_WRONLY, 0644));
  T("rmdir non-empty", syscall(SYS_rmdir, sub));
  T("rmdir a file", syscall(SYS_rmdir, subfile));
  T("unlink a dir", syscall(SYS_unlink, sub));
  T("unlink ENOENT", syscall(SYS_unlink, "/nonexistent"));
  T("readlink of a file", syscall(SYS_readlink, file, buf, sizeof buf));
  T("readlink size 0", syscall(SYS_readlink, file, buf, 0));
  T("rename ENOENT", syscall(SYS_rename, "/nonexistent/a", "/nonexistent/b"));
  T("rename dir onto file", syscall(SYS_rename, sub, file));
  T("chdir to a file", syscall(SYS_chdir, file));
  T("chdir ENOENT", syscall(SYS_chdir, "/nonexistent"));
  T("fchdir on a file", syscall(SYS_fchdir, rd));
  T("fchdir bad fd", syscall(SYS_fchdir, 555));
  T("getcwd size 1", syscall(SYS_getcwd, buf, 1));
  T("getcwd NULL", syscall(SYS_getcwd, 0, 100));
  T("getdents on a file", syscall(SYS_getdents64, rd, buf, sizeof buf));
  T("getdents bad fd", syscall(SYS_getdents64, 555, buf, sizeof buf));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  T("getdents tiny buffer", syscall(SYS_getdents64, dfd, buf, 8));
  T("getdents NULL", syscall(SYS_getdents64, dfd, 0, 4096));
  close(dfd);
  T("pipe NULL", syscall(SYS_pipe, 0));
  T("pipe2 bad flags", syscall(SYS_pipe2, pfd, 1));
  T("writev negative count", syscall(SYS_writev, 1, buf, -1));
  T("writev count 2000", syscall(SYS_writev, 1, buf, 2000));
  T("writev bad iov", syscall(SYS_writev, 1, (void *)16, 1));
  T("readv bad fd", syscall(SYS_readv, 555, buf, 1));
  struct timespec ts;
  T("clock_gettime bad clock", syscall(SYS_clock_gettime, 99, &ts));
  T("clock_gettime NULL", syscall(SYS_clock_gettime, CLOCK_REALTIME, 0));
  T("clock_getres NULL ok", syscall(SYS_clock_getres, CLOCK_REALTIME, 0));
  struct timespec neg = {-1, 0};
  T("nanosleep negative", syscall(SYS_nanosleep, &neg, 0));
  struct timespec badns = {0, 1000000000};
  T("nanosleep nsec 1e9", syscall(SYS_nanosleep, &badns, 0));
  T("nanosleep NULL", syscall(SYS_nanosleep, 0, 0));
  T("gettimeofday bad ptr", syscall(SYS_gettimeofday, (void *)16, 0));
  T("uname NULL", syscall(SYS_uname, 0));
  T("sysinfo NULL", syscall(SYS_sysinfo, 0));
  T("time(NULL)>0", syscall(SYS_time, 0) > 0);
  T("getrusage bad who", syscall(SYS_getrusage, 99, buf));
  T("rt_sigaction SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, buf, 0, 8));
  T("rt_sigaction sig 0", syscall(SYS_rt_sigaction, 0, 0, 0, 8));
  T("rt_sigaction sig 65", syscall(SYS_rt_sigaction, 65, 0, 0, 8));
  T("rt_sigaction sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, 4));
  T("rt_sigaction bad ptr", syscall(SYS_rt_sigaction, SIGUSR1, (void *)16, 0, 8));
  T("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99, buf, 0, 8));
  T("rt_sigprocmask size 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, 0, 4));
  T("rt_sigprocmask bad ptr", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)16, 0, 8));
  T("kill bad signal", syscall(SYS_kill, getpid(), 99));
  T("tgkill bad tid", syscall(SYS_tgkill, getpid(), 4194303, 0));
  T("sched_getaffinity len 4", syscall(SYS_sched_getaffinity, 0, 4, buf));
  T("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, 0));
  T("arch_prctl GET_FS NULL", syscall(SYS_arch_prctl, 0x1003, 0));
  T("set_robust_list bad len", syscall(SYS_set_robust_list, buf, 7));
  T("mremap bad flags", syscall(SYS_mremap, big, 4096, 8192, 99));
  T("mremap unmapped", syscall(SYS_mremap, two + 4096, 4096, 8192, 0));
  T("mmap bad fd", (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, 555, 0));
  T("mmap offset unaligned", (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, rd, 1));
  T("mmap write-only fd", (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, wr, 0));
  T("mmap FIXED unaligned", (long)mmap((void *)0x10001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  T("munmap len 0", syscall(SYS_munmap, big, 0));
  T("mprotect unaligned", syscall(SYS_mprotect, big + 1, 4096, PROT_READ));
  T("mprotect bad prot", syscall(SYS_mprotect, big, 4096, 0x100));
  T("access bad mode", syscall(SYS_access, file, 0x100));
  T("faccessat bad flags", syscall(SYS_faccessat2, AT_FDCWD, file, F_OK, 0x1));
  T("newfstatat bad flags", syscall(SYS_newfstatat, AT_FDCWD, file, &st, 0x1));
  T("unlinkat bad flags", syscall(SYS_unlinkat, AT_FDCWD, file, 0x1));
  T("symlink existing", syscall(SYS_symlink, "x", file));
  T("link ENOENT", syscall(SYS_link, "/nonexistent", fileslash));
  T("mmap offset overflow", (long)mmap(0, 8192, PROT_READ, MAP_PRIVATE, rd, (off_t)0xfffffffffffff000UL));
  T("mmap len ~0", (long)mmap(0, ~0UL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  T("lseek to LLONG_MAX", syscall(SYS_lseek, rd, 0x7fffffffffffffffL, SEEK_SET));
  T("lseek SEEK_END huge", syscall(SYS_lseek, rd, 0x7fffffffffffffffL, SEEK_END));
  T("lseek SEEK_DATA past end", syscall(SYS_lseek, rd, 1 << 20, 3));
  T("mkdir name too long", syscall(SYS_mkdir, longname, 0755));
  T("stat path too long", syscall(SYS_stat, longpath, &st));
  T("chdir name too long", syscall(SYS_chdir, longname));
  T("readlink path too long", syscall(SYS_readlink, longpath, buf, 10));
  {
    struct iovec iov[3] = {{data, 10}, {two + 4096, 10}, {data, 10}};
    int vf = open(file, O_RDWR);
    T("writev second iov unmapped", syscall(SYS_writev, vf, iov, 3));
    struct iovec iov2[3] = {{edge, 60}, {edge + 60, 100}, {buf, 10}};
    lseek(vf, 0, SEEK_SET);
    T("readv running into a hole", syscall(SYS_readv, vf, iov2, 3));
    T("offset after partial readv", lseek(vf, 0, SEEK_CUR));
    struct iovec iov3[1] = {{0, 10}};
    T("writev NULL base", syscall(SYS_writev, vf, iov3, 1));
    close(vf);
  }
  {
    /* lengths: Linux moves up to MAX_RW_COUNT (2 GiB - 4 KiB) in one call; access_ok checks the
     * whole range against the top of user space before anything moves (a fixed low buffer, so
     * that the cases do not depend on where mmap puts things) */
    char *huge = mmap((void *)0x200000000UL, 41 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    void *kern = (void *)0xffff880000000000UL;
    char *top = (char *)0x7ffffffff000UL - 8;
    memset(huge, 'q', 41 << 20);
    int hf = open(file, O_RDWR | O_TRUNC);
    T("write 40 MiB", syscall(SYS_write, hf, huge, 40 << 20));
    lseek(hf, 0, SEEK_SET);
    T("read 41 MiB (40 in the file)", syscall(SYS_read, hf, huge, 41 << 20));
    T("read at EOF into kernel space", syscall(SYS_read, hf, kern, 10));
    T("read 0 bytes into kernel space", syscall(SYS_read, hf, kern, 0));
    T("write 0 bytes from kernel space", syscall(SYS_write, hf, kern, 0));
    T("write len 1<<62", syscall(SYS_write, hf, huge, 1L << 62));
    T("write len -1", syscall(SYS_write, hf, huge, -1L));
    lseek(hf, 0, SEEK_SET);
    T("read len 1<<62", syscall(SYS_read, hf, huge, 1L << 62));
    T("read across the top of user space", syscall(SYS_read, hf, top, 16));
    T("pread into kernel space", syscall(SYS_pread64, hf, kern, 10, 0));
    struct iovec kv[2] = {{huge, 10}, {kern, 10}};
    T("writev, 2nd iov in kernel space", syscall(SYS_writev, hf, kv, 2));
    lseek(hf, 0, SEEK_SET);
    T("readv, 2nd iov in kernel space", syscall(SYS_readv, hf, kv, 2));
    struct iovec kz[2] = {{huge, 10}, {kern, 0}};
    T("writev, 2nd iov kernel, len 0", syscall(SYS_writev, hf, kz, 2));
    struct iovec kn[2] = {{huge, 10}, {huge, -1L}};
    T("writev, 2nd iov len -1", syscall(SYS_writev, hf, kn, 2));
    struct iovec k2[2] = {{huge, 0x7ffff000}, {huge, 0x7ffff000}};
    lseek(hf, 0, SEEK_SET);
    T("readv 2 x 2 GiB (40 MiB file)", syscall(SYS_readv, hf, k2, 2));
    T("preadv 2 x 2 GiB at 1 MiB", syscall(SYS_preadv, hf, k2, 2, 1 << 20, 0));
    close(hf);

    long sizes[] = {1, 32, 33, 256, 65537, (1 << 20) + 1, (32 << 20) - 1, 32 << 20, 40 << 20};
    for (int i = 0; i < (int)(sizeof sizes / sizeof *sizes); i++) {
      char l[64];
      snprintf(l, sizeof l, "getrandom(huge, %ld)", sizes[i]);
      T(l, syscall(SYS_getrandom, huge, sizes[i], 0));
    }
    T("getrandom(huge, 1<<62)", syscall(SYS_getrandom, huge, 1L << 62, 0));
    T("getrandom(huge, -1)", syscall(SYS_getrandom, huge, -1L, 0));
    T("getrandom(kernel, 16)", syscall(SYS_getrandom, kern, 16, 0));
    T("getrandom(kernel, 0)", syscall(SYS_getrandom, kern, 0, 0));
    T("getrandom(NULL, 0)", syscall(SYS_getrandom, 0, 0, 0));
    T("getrandom across the top", syscall(SYS_getrandom, top, 16, 0));
    char *rw = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(rw + 4096, 4096, PROT_READ);
    T("getrandom(read-only page)", syscall(SYS_getrandom, rw + 4096, 16, 0));
    T("getrandom 200 into read-only", syscall(SYS_getrandom, rw + 4000, 200, 0));
    T("getrandom 20 into read-only", syscall(SYS_getrandom, rw + 4090, 20, 0));
    T("getrandom 50 into read-only", syscall(SYS_getrandom, rw + 4090, 50, 0));
    T("getrandom flags 1<<32", syscall(SYS_getrandom, huge, 16, 1L << 32));
    T("getrandom flags 1<<31", syscall(SYS_getrandom, huge, 16, 0x80000000L));
    T("getrandom flags 7", syscall(SYS_getrandom, huge, 16, 7));
    T("getrandom flags 5", syscall(SYS_getrandom, huge, 16, 5));
    T("getrandom flags 3", syscall(SYS_getrandom, huge, 16, 3));
    T("getrandom bad flags, NULL", syscall(SYS_getrandom, 0, 16, 8));
    munmap(rw, 8192);
    munmap(huge, 41 << 20);

    /* the number is eax sign-extended: -1 is "no syscall", bit 30 is x32's (host-dependent, left out) */
    T("syscall 0xffffffff", syscall(0xffffffffL));
    T("syscall 0x1ffffffff", syscall(0x1ffffffffL));
    T("syscall 0x80000027", syscall(0x80000027L));
    T("syscall 0xffffffff00000027 getpid", syscall(0xffffffff00000027L) == getpid());
  }
  T("close twice", (close(pfd[1]), syscall(SYS_close, pfd[1])));
  unlink(subfile);
  rmdir(sub);
  close(rd);
  close(wr);
  close(fd);
  unlink(file);
  return 0;
}
