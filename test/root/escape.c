/* Escape attempts out of a chroot-like root. argv[1]: the host path of the directory that holds
 * "outside/secret.txt" (next to the root), as a program that knows the host layout would use it.
 * Each case prints its result (and errno); any case that reads SECRET prints LEAK. Run natively
 * under chroot(8) and under x64emu --root, the output must be the same. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char host[4096];

static void result(const char *label, int r) {
  if (r < 0) printf("%-40s -1 errno %d\n", label, errno);
  else printf("%-40s %d\n", label, r);
}

/* open and read: prints the first line of what was read */
static void try_read(const char *label, int dirfd, const char *path) {
  errno = 0;
  int fd = openat(dirfd, path, O_RDONLY);
  if (fd < 0) {
    result(label, -1);
    return;
  }
  char buf[64] = {0};
  int n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n > 0) buf[strcspn(buf, "\n")] = 0;
  printf("%-40s read \"%s\"%s\n", label, n > 0 ? buf : "", strstr(buf, "SECRET") ? " LEAK" : "");
}

static void list(const char *label, const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    result(label, -1);
    return;
  }
  int secret = 0, n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    n++;
    if (!strcmp(e->d_name, "secret.txt")) secret = 1;
  }
  closedir(d);
  printf("%-40s %d entries%s\n", label, n, secret ? " LEAK" : "");
}

int main(int argc, char **argv) {
  const char *h = argc > 1 ? argv[1] : "/tmp";
  char p[4096];
  snprintf(host, sizeof host, "%s", h);

  try_read("inside: /data/file.txt", AT_FDCWD, "/data/file.txt");
  try_read("inside: absolute link re-rooted", AT_FDCWD, "/inner-abs");
  try_read("inside: relative link", AT_FDCWD, "/data/inner-rel");
  try_read("inside: dir link, absolute", AT_FDCWD, "/datalink/file.txt");
  snprintf(p, sizeof p, "%s/outside/secret.txt", host);
  try_read("host path as given", AT_FDCWD, p);
  try_read("absolute link to host path", AT_FDCWD, "/abs-link");
  try_read("relative link climbing out", AT_FDCWD, "/rel-link");
  try_read("dir link to host dir", AT_FDCWD, "/dirlink/secret.txt");
  try_read("dir link climbing out", AT_FDCWD, "/reldir/outside/secret.txt");
  try_read("nested link chain", AT_FDCWD, "/sub/deep/secret.txt");
  try_read("dotdot chain", AT_FDCWD, "/../../../../../../outside/secret.txt");
  try_read("relative dotdot chain", AT_FDCWD, "../../../../../../../outside/secret.txt");
  try_read("symlink loop", AT_FDCWD, "/loop");
  snprintf(p, sizeof p, "../../../../../../../../..%s/outside/secret.txt", host);
  try_read("dotdot to host path", AT_FDCWD, p);

  /* links the guest makes itself */
  snprintf(p, sizeof p, "%s/outside/secret.txt", host);
  result("symlink to host path", symlink(p, "/mylink"));
  try_read("read through own abs link", AT_FDCWD, "/mylink");
  snprintf(p, sizeof p, "../../../../../../../..%s/outside", host);
  result("symlink dir climbing out", symlink(p, "/mydir"));
  try_read("read through own dir link", AT_FDCWD, "/mydir/secret.txt");
  errno = 0;
  int fd = open("/mydir/created.txt", O_CREAT | O_WRONLY, 0644);
  result("create through own dir link", fd);
  if (fd >= 0) close(fd);
  result("symlink to ../outside", symlink("../outside", "/up"));
  try_read("read through ../outside link", AT_FDCWD, "/up/secret.txt");

  /* directory fds, chdir, fchdir */
  int root = open("/", O_RDONLY | O_DIRECTORY);
  try_read("openat(/, ../outside)", root, "../outside/secret.txt");
  int dl = open("/dirlink", O_RDONLY | O_DIRECTORY);
  result("open dir link as dir", dl);
  if (dl >= 0) try_read("openat(dir link, secret)", dl, "secret.txt");
  result("chdir into dir link", chdir("/dirlink"));
  try_read("secret from cwd", AT_FDCWD, "secret.txt");
  result("chdir /sub", chdir("/sub"));
  try_read("../../outside from /sub", AT_FDCWD, "../../outside/secret.txt");
  result("chdir ..x5", chdir("../../../../.."));
  char cwd[4096];
  printf("%-40s %s\n", "getcwd after climbing", getcwd(cwd, sizeof cwd) ? cwd : "(error)");
  result("fchdir(/)", fchdir(root));
  try_read("../outside after fchdir", AT_FDCWD, "../outside/secret.txt");
  chdir("/");

  /* metadata and changes */
  struct stat st;
  result("stat through dir link", stat("/dirlink/secret.txt", &st));
  result("lstat abs link (the link itself)", lstat("/abs-link", &st) == 0 ? (int)S_ISLNK(st.st_mode) : -1);
  char t[4096] = {0};
  int n = readlink("/abs-link", t, sizeof t - 1);
  printf("%-40s %s\n", "readlink abs link is its text", n > 0 && strstr(t, "/outside/secret.txt") ? "yes" : "no");
  result("access through dir link", access("/dirlink/secret.txt", R_OK));
  list("list dir link", "/dirlink");
  list("list /..", "/..");
  snprintf(p, sizeof p, "%s/outside", host);
  list("list host dir by path", p);
  result("chmod through abs link", chmod("/abs-link", 0777));
  result("unlink through dir link", unlink("/dirlink/secret.txt"));
  result("rename into dir link", rename("/data/file2.txt", "/dirlink/moved.txt"));
  result("mkdir through dir link", mkdir("/dirlink/newdir", 0755));
  result("hard link through dir link", link("/dirlink/secret.txt", "/hard"));
  errno = 0;
  fd = open("/abs-link", O_WRONLY | O_TRUNC);
  result("truncate through abs link", fd);
  if (fd >= 0) close(fd);
  errno = 0;
  fd = open("/dirlink/new.txt", O_CREAT | O_WRONLY, 0644);
  result("create through dir link", fd);
  if (fd >= 0) close(fd);
  result("truncate() through dir link", truncate("/dirlink/secret.txt", 0));
  result("rmdir dir link target", rmdir("/dirlink/"));
  return 0;
}
