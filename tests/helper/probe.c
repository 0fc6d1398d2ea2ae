/*
 * probe.c - test helper that reports what a strata sandbox looks like.
 *
 * Integration tests run this binary *inside* a sandbox and compare its
 * output with exact expected strings (in the spirit of crun's tests/init.c).
 * It is built static and depends on nothing but libc:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
 *       -o probe probe.c
 *
 * Usage: probe SUBCOMMAND [ARGS...]
 *
 * Output goes to stdout, one item per line, with no decoration.
 * Exit status is 0 on success unless a subcommand says otherwise.  An
 * unexpected failure prints "probe: <what>: <strerror>" to stderr and
 * exits 2; an unknown subcommand or missing argument also exits 2.
 *
 * Subcommands that test an access (read, write, mkdir, statfs-ro) report
 * an expected failure as "error <ERRNAME>" on stdout and exit 1.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Unexpected failure: report on stderr and exit 2. Uses errno. */
static void die(const char* what) {
  int e = errno;
  fflush(stdout);
  fprintf(stderr, "probe: %s: %s\n", what, strerror(e));
  exit(2);
}

/* Unexpected failure that has no errno. */
static void die_msg(const char* what, const char* msg) {
  fflush(stdout);
  fprintf(stderr, "probe: %s: %s\n", what, msg);
  exit(2);
}

static void* xmalloc(size_t n) {
  void* p = malloc(n ? n : 1);
  if (p == NULL) die("malloc");
  return p;
}

static void* xrealloc(void* p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (p == NULL) die("realloc");
  return p;
}

/* Parse a whole string as a decimal integer in [min, max]; die otherwise. */
static long parse_long(const char* what, const char* s, long min, long max) {
  char* end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fflush(stdout);
    fprintf(stderr, "probe: %s: invalid number '%s' (want %ld..%ld)\n", what, s, min, max);
    exit(2);
  }
  return v;
}

/* True if s is a non-empty string of decimal digits. */
static int all_digits(const char* s) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

/* clang-formats 14 and 19 disagree on a braced macro body. */
/* clang-format off */
#define ERRNAME(e) {e, #e}
/* clang-format on */
static const struct {
  int num;
  const char* name;
} errno_names[] = {
    ERRNAME(EPERM),  ERRNAME(ENOENT),     ERRNAME(ESRCH),        ERRNAME(EINTR),     ERRNAME(EIO),
    ERRNAME(ENXIO),  ERRNAME(E2BIG),      ERRNAME(ENOEXEC),      ERRNAME(EBADF),     ERRNAME(ECHILD),
    ERRNAME(EAGAIN), ERRNAME(ENOMEM),     ERRNAME(EACCES),       ERRNAME(EFAULT),    ERRNAME(EBUSY),
    ERRNAME(EEXIST), ERRNAME(EXDEV),      ERRNAME(ENODEV),       ERRNAME(ENOTDIR),   ERRNAME(EISDIR),
    ERRNAME(EINVAL), ERRNAME(ENFILE),     ERRNAME(EMFILE),       ERRNAME(ENOTTY),    ERRNAME(ETXTBSY),
    ERRNAME(EFBIG),  ERRNAME(ENOSPC),     ERRNAME(ESPIPE),       ERRNAME(EROFS),     ERRNAME(EMLINK),
    ERRNAME(EPIPE),  ERRNAME(ERANGE),     ERRNAME(ENAMETOOLONG), ERRNAME(ENOSYS),    ERRNAME(ENOTEMPTY),
    ERRNAME(ELOOP),  ERRNAME(EOPNOTSUPP), ERRNAME(EDQUOT),       ERRNAME(EOVERFLOW),
};
#undef ERRNAME

/* Symbolic errno name, or the number as text if it is not in the table. */
static const char* errno_name(int e) {
  static char buf[32];
  size_t i;

  for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
    if (errno_names[i].num == e) return errno_names[i].name;
  snprintf(buf, sizeof(buf), "%d", e);
  return buf;
}

/* Expected failure of an access test: "error <NAME>" on stdout, exit 1. */
static int report_error(int e) {
  printf("error %s\n", errno_name(e));
  return 1;
}

static int cmp_long(const void* a, const void* b) {
  long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

/* A growable array of longs. */
struct longs {
  long* v;
  size_t n, cap;
};

static void longs_push(struct longs* l, long x) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  l->v[l->n++] = x;
}

static void longs_print_sorted(struct longs* l) {
  size_t i;

  qsort(l->v, l->n, sizeof(*l->v), cmp_long);
  for (i = 0; i < l->n; i++) printf("%ld\n", l->v[i]);
  free(l->v);
}

/* Read fd to EOF into a malloc'd buffer (not NUL-terminated).
 * Returns NULL with errno set if read() fails. */
static char* read_all(int fd, size_t* lenp) {
  char* buf = NULL;
  size_t len = 0, cap = 0;

  for (;;) {
    ssize_t r;

    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 65536;
      buf = xrealloc(buf, cap);
    }
    r = read(fd, buf + len, cap - len);
    if (r < 0) {
      int e = errno;
      if (e == EINTR) continue;
      free(buf);
      errno = e;
      return NULL;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  *lenp = len;
  return buf;
}

/* Sleep for ms milliseconds, resuming after signal interruptions. */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static double now_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime");
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Subcommands. Each gets argv[0] = subcommand name, returns exit code. */
/* ------------------------------------------------------------------ */

static int cmd_pid(char** argv) {
  (void)argv;
  printf("%ld\n", (long)getpid());
  return 0;
}

static int cmd_ppid(char** argv) {
  (void)argv;
  printf("%ld\n", (long)getppid());
  return 0;
}

static int cmd_ps(char** argv) {
  struct longs pids = {0};
  struct dirent* de;
  DIR* d;

  (void)argv;
  d = opendir("/proc");
  if (d == NULL) die("opendir /proc");
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (all_digits(de->d_name)) longs_push(&pids, strtol(de->d_name, NULL, 10));
    errno = 0;
  }
  if (errno != 0) die("readdir /proc");
  closedir(d);
  longs_print_sorted(&pids);
  return 0;
}

static int cmd_hostname(char** argv) {
  struct utsname u;

  (void)argv;
  if (uname(&u) != 0) die("uname");
  printf("%s\n", u.nodename);
  return 0;
}

static int cmd_netifs(char** argv) {
  struct if_nameindex* ifs;
  char** names;
  size_t n = 0, i;

  (void)argv;
  ifs = if_nameindex();
  if (ifs == NULL) die("if_nameindex");
  while (ifs[n].if_index != 0 || ifs[n].if_name != NULL) n++;
  names = xmalloc(n * sizeof(*names));
  for (i = 0; i < n; i++) names[i] = ifs[i].if_name;
  qsort(names, n, sizeof(*names), cmp_str);
  for (i = 0; i < n; i++) printf("%s\n", names[i]);
  free(names);
  if_freenameindex(ifs);
  return 0;
}

static int cmd_id(char** argv) {
  int ngroups;

  (void)argv;
  ngroups = getgroups(0, NULL);
  if (ngroups < 0) die("getgroups");
  printf("uid=%ld euid=%ld gid=%ld egid=%ld groups=%d\n", (long)getuid(), (long)geteuid(), (long)getgid(),
         (long)getegid(), ngroups);
  return 0;
}

/* Print selected /proc/self/status lines verbatim, in the order below. */
static int cmd_caps(char** argv) {
  static const char* const keys[] = {
      "CapEff:", "CapPrm:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
  };
  size_t len, i;
  char* buf;
  int fd;

  (void)argv;
  fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open /proc/self/status");
  buf = read_all(fd, &len);
  if (buf == NULL) die("read /proc/self/status");
  close(fd);
  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char* line = buf;

    /* Find the line starting with keys[i]; absent keys print nothing. */
    while (line < buf + len) {
      char* nl = memchr(line, '\n', (size_t)(buf + len - line));
      size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);

      if (n >= strlen(keys[i]) && strncmp(line, keys[i], strlen(keys[i])) == 0) {
        printf("%.*s\n", (int)n, line);
        break;
      }
      line += n + 1;
    }
  }
  free(buf);
  return 0;
}

static int cmd_env(char** argv) {
  char** vars;
  size_t n = 0, i;

  (void)argv;
  while (environ != NULL && environ[n] != NULL) n++;
  vars = xmalloc(n * sizeof(*vars));
  for (i = 0; i < n; i++) vars[i] = environ[i];
  qsort(vars, n, sizeof(*vars), cmp_str);
  for (i = 0; i < n; i++) printf("%s\n", vars[i]);
  free(vars);
  return 0;
}

static int cmd_fds(char** argv) {
  struct longs fds = {0};
  struct dirent* de;
  DIR* d;
  int self;

  (void)argv;
  d = opendir("/proc/self/fd");
  if (d == NULL) die("opendir /proc/self/fd");
  self = dirfd(d);
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (all_digits(de->d_name)) {
      long fd = strtol(de->d_name, NULL, 10);
      if (fd != self) longs_push(&fds, fd);
    }
    errno = 0;
  }
  if (errno != 0) die("readdir /proc/self/fd");
  closedir(d);
  longs_print_sorted(&fds);
  return 0;
}

static int cmd_cwd(char** argv) {
  char* cwd;

  (void)argv;
  cwd = getcwd(NULL, 0);
  if (cwd == NULL) die("getcwd");
  printf("%s\n", cwd);
  free(cwd);
  return 0;
}

/* "yes" if PATH exists (even as a dangling symlink), "no" if it does not. */
static int cmd_exists(char** argv) {
  struct stat st;

  if (lstat(argv[1], &st) == 0) {
    printf("yes\n");
    return 0;
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    printf("no\n");
    return 0;
  }
  fflush(stdout);
  fprintf(stderr, "probe: lstat %s: %s\n", argv[1], strerror(errno));
  return 2;
}

/* Whole file to stdout; on failure only "error <NAME>" is printed. */
static int cmd_read(char** argv) {
  size_t len;
  char* buf;
  int fd;

  fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return report_error(errno);
  buf = read_all(fd, &len);
  if (buf == NULL) {
    int e = errno;
    close(fd);
    return report_error(e);
  }
  close(fd);
  if (len > 0 && fwrite(buf, 1, len, stdout) != len) die("write stdout");
  free(buf);
  return 0;
}

/* Reads an inherited fd without reopening it (a reopen through
 * /proc/self/fd/N is a new open that Landlock may refuse). */
static int cmd_read_fd(char** argv) {
  size_t len;
  char* buf = read_all(atoi(argv[1]), &len);
  if (buf == NULL) return report_error(errno);
  if (len > 0 && fwrite(buf, 1, len, stdout) != len) die("write stdout");
  free(buf);
  return 0;
}

static int cmd_write(char** argv) {
  static const char msg[] = "ok\n";
  ssize_t w;
  int fd;

  fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return report_error(errno);
  do w = write(fd, msg, sizeof(msg) - 1);
  while (w < 0 && errno == EINTR);
  if (w < 0) {
    int e = errno;
    close(fd);
    return report_error(e);
  }
  if ((size_t)w != sizeof(msg) - 1) {
    close(fd);
    return report_error(ENOSPC); /* short write */
  }
  if (close(fd) != 0) return report_error(errno);
  printf("ok\n");
  return 0;
}

static int cmd_mkdir(char** argv) {
  if (mkdir(argv[1], 0755) != 0) return report_error(errno);
  printf("ok\n");
  return 0;
}

static int cmd_exit(char** argv) {
  return (int)parse_long("exit", argv[1], 0, 255);
}

static int cmd_kill_self(char** argv) {
  int sig = (int)parse_long("kill-self", argv[1], 1, SIGRTMAX);
  struct sigaction sa;
  struct rlimit no_core = {0, 0};
  sigset_t set;

  /* Avoid littering the sandbox with core files from SIGSEGV & co.
   * Only the soft limit is lowered; failure here does not matter. */
  if (getrlimit(RLIMIT_CORE, &no_core) == 0) {
    no_core.rlim_cur = 0;
    (void)setrlimit(RLIMIT_CORE, &no_core);
  }

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  (void)sigaction(sig, &sa, NULL); /* fails harmlessly for KILL/STOP */

  sigemptyset(&set);
  sigaddset(&set, sig);
  if (sigprocmask(SIG_UNBLOCK, &set, NULL) != 0) die("sigprocmask");

  fflush(stdout);
  if (raise(sig) != 0) die("raise");

  /* Still alive: default action is ignore/stop, or we are a pid-ns init
   * (which the kernel protects from its own default-action signals). */
  fprintf(stderr,
          "probe: kill-self: still alive after signal %d"
          " (pid %ld)\n",
          sig, (long)getpid());
  return 2;
}

static volatile sig_atomic_t caught_signal;

static void on_wait_signal(int sig) {
  if (caught_signal == 0) caught_signal = sig;
}

static void on_wait_alarm(int sig) {
  (void)sig;
  _exit(3);
}

static int cmd_wait_signal(char** argv) {
  static const int sigs[] = {
      SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
  };
  struct sigaction sa;
  sigset_t block, old, waitmask;
  size_t i;

  (void)argv;
  /* Block everything we wait for, so nothing slips in between the
   * check of caught_signal and sigsuspend(). */
  sigemptyset(&block);
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) sigaddset(&block, sigs[i]);
  sigaddset(&block, SIGALRM);
  if (sigprocmask(SIG_BLOCK, &block, &old) != 0) die("sigprocmask");

  memset(&sa, 0, sizeof(sa));
  sigfillset(&sa.sa_mask);
  sa.sa_handler = on_wait_signal;
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");
  sa.sa_handler = on_wait_alarm;
  if (sigaction(SIGALRM, &sa, NULL) != 0) die("sigaction SIGALRM");

  waitmask = old;
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) sigdelset(&waitmask, sigs[i]);
  sigdelset(&waitmask, SIGALRM);

  printf("ready\n");
  if (fflush(stdout) != 0) die("write stdout");

  alarm(30);
  while (caught_signal == 0) sigsuspend(&waitmask);
  alarm(0);

  printf("got %d\n", (int)caught_signal);
  return 100 + (int)caught_signal;
}

/* Number of processes visible in /proc whose state is 'Z'. */
static int count_zombies(void) {
  struct dirent* de;
  DIR* d;
  int count = 0;

  d = opendir("/proc");
  if (d == NULL) die("opendir /proc");
  while ((de = readdir(d)) != NULL) {
    char path[64], buf[1024], *p;
    ssize_t r;
    int fd;

    if (!all_digits(de->d_name)) continue;
    snprintf(path, sizeof(path), "/proc/%ld/stat", strtol(de->d_name, NULL, 10));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue; /* process vanished meanwhile */
    r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0) continue;
    buf[r] = '\0';
    /* "pid (comm) S ..." - comm may contain ')' so use the last one. */
    p = strrchr(buf, ')');
    if (p != NULL && p[1] == ' ' && p[2] == 'Z') count++;
  }
  closedir(d);
  return count;
}

static int cmd_zombies(char** argv) {
  long n = parse_long("zombies", argv[1], 0, 10000);
  struct sigaction sa;
  double deadline;
  pid_t child;
  int status, count;

  /* With SIGCHLD ignored, children would be auto-reaped and never
   * become zombies (and waitpid would fail). */
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) != 0) die("sigaction SIGCHLD");

  fflush(stdout);
  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    long i;

    for (i = 0; i < n; i++) {
      pid_t gc = fork();
      siginfo_t si;

      if (gc < 0) _exit(1);
      if (gc == 0) _exit(0);
      /* Wait until the grandchild is a zombie, without reaping it,
       * so it is already dead when it gets reparented. */
      while (waitid(P_PID, (id_t)gc, &si, WEXITED | WNOWAIT) != 0)
        if (errno != EINTR) _exit(1);
    }
    _exit(0);
  }

  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die_msg("zombies", "intermediate child failed to fork");

  deadline = now_seconds() + 5.0;
  for (;;) {
    count = count_zombies();
    if (count == 0) {
      printf("reaped\n");
      return 0;
    }
    if (now_seconds() >= deadline) break;
    sleep_ms(50);
  }
  printf("zombies %d\n", count);
  return 1;
}

static int cmd_sleep(char** argv) {
  unsigned int left = (unsigned int)parse_long("sleep", argv[1], 0, INT_MAX);

  printf("ready\n");
  if (fflush(stdout) != 0) die("write stdout");
  while (left > 0) left = sleep(left);
  return 0;
}

/* Mount point (5th field) of every /proc/self/mountinfo line, in order.
 * The field is printed raw, i.e. with the kernel's octal escapes (\040). */
static int cmd_mounts(char** argv) {
  char* line = NULL;
  size_t cap = 0;
  FILE* f;

  (void)argv;
  f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) die("open /proc/self/mountinfo");
  while (getline(&line, &cap, f) != -1) {
    char *p = line, *end;
    int field;

    for (field = 1; field < 5 && p != NULL; field++) {
      p = strchr(p, ' ');
      if (p != NULL) p++;
    }
    if (p == NULL) die_msg("mounts", "malformed mountinfo line");
    end = p + strcspn(p, " \n");
    printf("%.*s\n", (int)(end - p), p);
  }
  if (ferror(f)) die("read /proc/self/mountinfo");
  fclose(f);
  free(line);
  return 0;
}

static int cmd_statfs_ro(char** argv) {
  struct statvfs sv;

  if (statvfs(argv[1], &sv) != 0) return report_error(errno);
  printf("%s\n", (sv.f_flag & ST_RDONLY) ? "ro" : "rw");
  return 0;
}

static int cmd_tty(char** argv) {
  (void)argv;
  printf("%s\n", isatty(0) ? "yes" : "no");
  return 0;
}

static int cmd_cat(char** argv) {
  char buf[65536];

  (void)argv;
  for (;;) {
    ssize_t r = read(0, buf, sizeof(buf)), off = 0;

    if (r < 0) {
      if (errno == EINTR) continue;
      die("read stdin");
    }
    if (r == 0) return 0;
    while (off < r) {
      ssize_t w = write(1, buf + off, (size_t)(r - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        die("write stdout");
      }
      off += w;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */
/* ------------------------------------------------------------------ */

static const struct command {
  const char* name;
  int min_args;           /* arguments after the subcommand name */
  int (*fn)(char** argv); /* argv[0] is the subcommand name */
  const char* args;       /* for the usage message */
} commands[] = {
    {"pid", 0, cmd_pid, ""},
    {"ppid", 0, cmd_ppid, ""},
    {"ps", 0, cmd_ps, ""},
    {"hostname", 0, cmd_hostname, ""},
    {"netifs", 0, cmd_netifs, ""},
    {"id", 0, cmd_id, ""},
    {"caps", 0, cmd_caps, ""},
    {"env", 0, cmd_env, ""},
    {"fds", 0, cmd_fds, ""},
    {"cwd", 0, cmd_cwd, ""},
    {"exists", 1, cmd_exists, " PATH"},
    {"read", 1, cmd_read, " PATH"},
    {"read-fd", 1, cmd_read_fd, " FD"},
    {"write", 1, cmd_write, " PATH"},
    {"mkdir", 1, cmd_mkdir, " PATH"},
    {"exit", 1, cmd_exit, " N"},
    {"kill-self", 1, cmd_kill_self, " SIG"},
    {"wait-signal", 0, cmd_wait_signal, ""},
    {"zombies", 1, cmd_zombies, " N"},
    {"sleep", 1, cmd_sleep, " SECONDS"},
    {"mounts", 0, cmd_mounts, ""},
    {"statfs-ro", 1, cmd_statfs_ro, " PATH"},
    {"tty", 0, cmd_tty, ""},
    {"cat", 0, cmd_cat, ""},
};

static void usage(void) {
  size_t i;

  fprintf(stderr, "usage: probe SUBCOMMAND [ARGS...]\nsubcommands:\n");
  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(stderr, "  %s%s\n", commands[i].name, commands[i].args);
}

int main(int argc, char** argv) {
  size_t i;
  int rc;

  if (argc < 2) {
    usage();
    return 2;
  }
  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    const struct command* c = &commands[i];

    if (strcmp(argv[1], c->name) != 0) continue;
    if (argc - 2 < c->min_args) {
      fprintf(stderr, "probe: %s: missing argument\nusage: probe %s%s\n", c->name, c->name, c->args);
      return 2;
    }
    rc = c->fn(argv + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) die("write stdout");
    return rc;
  }
  fprintf(stderr, "probe: unknown subcommand '%s'\n", argv[1]);
  usage();
  return 2;
}
