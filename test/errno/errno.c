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
  close(fd);
  unlink(file);
  return 0;
}
