// An LD_PRELOAD shim for the crash suites' power-loss simulation: it records what was made durable.
//
// It wraps fsync and fdatasync (better-sqlite3's SQLite imports fsync alone: `nm -D better_sqlite3.node`; no
// sync_file_range, no msync of the -shm, which is a cache rebuilt at open). After a successful real call it
//   1. copies a file whose path ends in "-wal" to "<path>.synced" (written beside it, then renamed over the last
//      copy, so a SIGKILL mid-copy leaves the previous one), the WAL's durable content at that moment, and
//   2. appends "<path>\t<size>\n" for the fd to the file named by CONFIDANT_FSYNC_LOG (O_APPEND, one write()).
// After a SIGKILL the test puts the WAL back to its last ".synced" copy: what a power cut would have left.
// A copy rather than a cut back to the recorded size, because after a checkpoint SQLite rewrites the WAL from
// its start without growing it, so unsynced frames can sit below the last synced size.
//
// Build: cc -shared -fPIC -O2 -o fsync-recorder.so fsync-recorder.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Copy the whole file behind fd to "<path>.synced" through a temporary name; 0 on success. */
static int snapshot(int fd, const char *path) {
  char tmp[PATH_MAX + 16], dst[PATH_MAX + 16];
  if (snprintf(tmp, sizeof tmp, "%s.synced.tmp", path) >= (int)sizeof tmp) return -1;
  if (snprintf(dst, sizeof dst, "%s.synced", path) >= (int)sizeof dst) return -1;
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return -1;
  enum { CHUNK = 1 << 16 };
  char *buf = malloc(CHUNK); // not static: Node's thread pool may fsync from several threads at once
  if (buf == NULL) {
    close(out);
    return -1;
  }
  off_t at = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, CHUNK, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      close(out);
      return -1;
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        free(buf);
        close(out);
        return -1;
      }
      done += w;
    }
    at += n;
  }
  free(buf);
  close(out);
  return rename(tmp, dst);
}

static void record(int fd) {
  const char *log = getenv("CONFIDANT_FSYNC_LOG");
  if (log == NULL || *log == '\0') return;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, path, sizeof path - 1);
  if (len < 0) return;
  path[len] = '\0';
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  // The copy first: a kill between the two leaves a copy newer than the last line, never older.
  if (S_ISREG(st.st_mode) && ends_with(path, "-wal") && snapshot(fd, path) != 0) return;
  char line[PATH_MAX + 32];
  int n = snprintf(line, sizeof line, "%s\t%lld\n", path, (long long)st.st_size);
  if (n <= 0 || n >= (int)sizeof line) return;
  int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0) return;
  ssize_t ignored = write(out, line, (size_t)n);
  (void)ignored;
  close(out);
}

int fsync(int fd) {
  if (real_fsync == NULL) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int rc = real_fsync(fd);
  if (rc == 0) {
    int saved = errno;
    record(fd);
    errno = saved;
  }
  return rc;
}

int fdatasync(int fd) {
  if (real_fdatasync == NULL) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int rc = real_fdatasync(fd);
  if (rc == 0) {
    int saved = errno;
    record(fd);
    errno = saved;
  }
  return rc;
}
