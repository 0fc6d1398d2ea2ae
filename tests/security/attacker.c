/*
 * attacker.c - the security suite's helper: run *inside* a strata sandbox, it
 * attempts one attack per invocation and prints what happened on one line, in
 * the spirit of bubblewrap's tests/try-syscall.c.
 *
 * Built static (it needs nothing from the sandbox's root):
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
 *       -o attacker attacker.c
 *
 * Usage: attacker SUBCOMMAND [ARGS...]
 *
 * Results, on stdout:
 *   ok [DETAIL]       the attempt succeeded (for an attack: the sandbox failed)
 *   errno NAME        the attempt failed with that errno (EPERM, ENOSYS, ...)
 *   killed SIGNAME    the attempt (run in a child) was killed by a signal,
 *                     e.g. by a seccomp filter that kills (SIGSYS)
 *   skip REASON       the attempt cannot be made here (another architecture)
 * or a subcommand's own values (documented at each subcommand).
 *
 * System calls are probed without side effects: calls a filter should block
 * get harmless arguments the kernel itself would refuse with a *different*
 * errno (a bad command, a bad pointer, a bad fd), so "errno EPERM" can be
 * told apart from "the kernel saw the call". Calls that must stay allowed
 * are probed with bad pointers or fds so they fail harmlessly (EFAULT, EBADF).
 *
 * Exit status: 0 when a result was printed, 2 on a usage error or an
 * unexpected failure of the helper itself (message on stderr).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef TIOCSTI
#define TIOCSTI 0x5412
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

/* A user pointer no process has mapped: the kernel answers EFAULT. */
#define BAD_PTR 1L

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void die(const char* what) {
  int e = errno;
  fflush(stdout);
  fprintf(stderr, "attacker: %s: %s\n", what, strerror(e));
  exit(2);
}

static void die_msg(const char* what, const char* msg) {
  fflush(stdout);
  fprintf(stderr, "attacker: %s: %s\n", what, msg);
  exit(2);
}

static long parse_long(const char* what, const char* s, long min, long max) {
  char* end;
  long v;

  errno = 0;
  v = strtol(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fflush(stdout);
    fprintf(stderr, "attacker: %s: invalid number '%s' (want %ld..%ld)\n", what, s, min, max);
    exit(2);
  }
  return v;
}

/* clang-formats 14 and 19 disagree on a braced macro body. */
/* clang-format off */
#define ERRNAME(e) {e, #e}
/* clang-format on */
static const struct {
  int num;
  const char* name;
} errno_names[] = {
    ERRNAME(EPERM),
    ERRNAME(ENOENT),
    ERRNAME(ESRCH),
    ERRNAME(EINTR),
    ERRNAME(EIO),
    ERRNAME(ENXIO),
    ERRNAME(E2BIG),
    ERRNAME(ENOEXEC),
    ERRNAME(EBADF),
    ERRNAME(ECHILD),
    ERRNAME(EAGAIN),
    ERRNAME(ENOMEM),
    ERRNAME(EACCES),
    ERRNAME(EFAULT),
    ERRNAME(EBUSY),
    ERRNAME(EEXIST),
    ERRNAME(EXDEV),
    ERRNAME(ENODEV),
    ERRNAME(ENOTDIR),
    ERRNAME(EISDIR),
    ERRNAME(EINVAL),
    ERRNAME(ENFILE),
    ERRNAME(EMFILE),
    ERRNAME(ENOTTY),
    ERRNAME(ETXTBSY),
    ERRNAME(EFBIG),
    ERRNAME(ENOSPC),
    ERRNAME(ESPIPE),
    ERRNAME(EROFS),
    ERRNAME(EMLINK),
    ERRNAME(EPIPE),
    ERRNAME(ERANGE),
    ERRNAME(ENAMETOOLONG),
    ERRNAME(ENOSYS),
    ERRNAME(ENOTEMPTY),
    ERRNAME(ELOOP),
    ERRNAME(EOPNOTSUPP),
    ERRNAME(EDQUOT),
    ERRNAME(EOVERFLOW),
    ERRNAME(EAFNOSUPPORT),
    ERRNAME(EPROTONOSUPPORT),
    ERRNAME(ENOKEY),
    ERRNAME(EUSERS),
    ERRNAME(ENOTSOCK),
    ERRNAME(ESOCKTNOSUPPORT),
};
#undef ERRNAME

static const char* errno_name(int e) {
  static char buf[32];
  size_t i;

  for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
    if (errno_names[i].num == e) return errno_names[i].name;
  snprintf(buf, sizeof(buf), "%d", e);
  return buf;
}

/* clang-formats 14 and 19 disagree on a braced macro body. */
/* clang-format off */
#define SIGNAME(s) {s, #s}
/* clang-format on */
static const struct {
  int num;
  const char* name;
} signal_names[] = {
    SIGNAME(SIGHUP),  SIGNAME(SIGINT),  SIGNAME(SIGQUIT), SIGNAME(SIGILL),  SIGNAME(SIGTRAP),
    SIGNAME(SIGABRT), SIGNAME(SIGBUS),  SIGNAME(SIGFPE),  SIGNAME(SIGKILL), SIGNAME(SIGUSR1),
    SIGNAME(SIGSEGV), SIGNAME(SIGUSR2), SIGNAME(SIGPIPE), SIGNAME(SIGALRM), SIGNAME(SIGTERM),
    SIGNAME(SIGCHLD), SIGNAME(SIGXCPU), SIGNAME(SIGXFSZ), SIGNAME(SIGSYS),
};
#undef SIGNAME

static const char* signal_name(int s) {
  static char buf[32];
  size_t i;

  for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
    if (signal_names[i].num == s) return signal_names[i].name;
  snprintf(buf, sizeof(buf), "SIG%d", s);
  return buf;
}

/* "ok" for r >= 0, else "errno NAME" from errno. */
static int report(long r) {
  if (r >= 0)
    printf("ok\n");
  else
    printf("errno %s\n", errno_name(errno));
  return 0;
}

/* The same for a raw kernel return value (-errno on failure). */
static int report_raw(long r) {
  if (r >= 0 || r < -4095)
    printf("ok\n");
  else
    printf("errno %s\n", errno_name((int)-r));
  return 0;
}

/* Runs fn(arg) in a forked child that prints its own result; reports a
 * child killed by a signal (a seccomp filter's SECCOMP_RET_KILL) as
 * "killed SIGNAME". Keeps the parent alive whatever the child meets. */
static int in_child(int (*fn)(void*), void* arg) {
  pid_t child;
  int status;

  fflush(stdout);
  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    int rc = fn(arg);
    fflush(stdout);
    _exit(rc);
  }
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (WIFSIGNALED(status)) {
    printf("killed %s\n", signal_name(WTERMSIG(status)));
    return 0;
  }
  return WEXITSTATUS(status);
}

static char* read_whole(const char* path, size_t* lenp, int* err) {
  char* buf = NULL;
  size_t len = 0, cap = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    *err = errno;
    return NULL;
  }
  for (;;) {
    ssize_t r;
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 65536;
      buf = realloc(buf, cap);
      if (buf == NULL) die("realloc");
    }
    r = read(fd, buf + len, cap - len - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      close(fd);
      free(buf);
      return NULL;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  *lenp = len;
  return buf;
}

/* The value of "Key:" in /proc/self/status, whitespace trimmed, or "?". */
static void status_field(const char* status, const char* key, char* out, size_t outlen) {
  size_t klen = strlen(key);
  const char* line = status;

  snprintf(out, outlen, "?");
  while (line != NULL && *line != '\0') {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      const char* v = line + klen + 1;
      size_t n;
      while (*v == ' ' || *v == '\t') v++;
      n = strcspn(v, "\n");
      if (n >= outlen) n = outlen - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return;
    }
    line = strchr(line, '\n');
    if (line != NULL) line++;
  }
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* ------------------------------------------------------------------ */
/* System calls by name                                               */
/* ------------------------------------------------------------------ */

/* One probe: its native number, its i386 number (-1: none), and six
 * arguments; `custom` replaces the plain call where one is not enough. */
struct sys_probe {
  const char* name;
  long nr;
  long nr32;
  long args[6];
  int (*custom)(void);
};

static int clone_with(unsigned long flags) {
  long r;
  /* Raw clone: no stack switch, the child shares nothing it could corrupt
   * (fork semantics) and leaves at once. */
#if defined(__s390x__) || defined(__s390__)
  r = syscall(SYS_clone, 0L, (long)(flags | SIGCHLD), 0L, 0L, 0L);
#else
  r = syscall(SYS_clone, (long)(flags | SIGCHLD), 0L, 0L, 0L, 0L);
#endif
  if (r == 0) _exit(0);
  if (r > 0) {
    while (waitpid((pid_t)r, NULL, 0) < 0 && errno == EINTR) {
    }
    printf("ok\n");
    return 0;
  }
  return report(r);
}

static int clone_newuser(void) {
  return clone_with(CLONE_NEWUSER);
}
static int clone_newns(void) {
  return clone_with(CLONE_NEWNS);
}
static int clone_newpid(void) {
  return clone_with(CLONE_NEWPID);
}
static int clone_newnet(void) {
  return clone_with(CLONE_NEWNET);
}
static int clone_newcgroup(void) {
  return clone_with(CLONE_NEWCGROUP);
}

static int vsock_socket(void) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) close(fd);
  return report(fd);
}

static int unix_socket(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) close(fd);
  return report(fd);
}

static int ptrace_traceme(void) {
  /* Harmless: the caller becomes traceable by its parent (pid 1, which
   * never attaches) and exits right after. */
  return report(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load -1
#endif

static const struct sys_probe sys_probes[] = {
    /* Must be blocked by the default filter. Unfiltered kernel answers in
     * the comments (root caller, no capabilities, this sandbox). */
    {"keyctl", SYS_keyctl, 288, {0x7fffffffL, 0, 0, 0, 0, 0}, NULL},             /* EOPNOTSUPP */
    {"add_key", SYS_add_key, 286, {BAD_PTR, BAD_PTR, 0, 0, 0, 0}, NULL},         /* EFAULT */
    {"request_key", SYS_request_key, 287, {BAD_PTR, BAD_PTR, 0, 0, 0, 0}, NULL}, /* EFAULT */
    {"userfaultfd",
     SYS_userfaultfd,
     374,
     {1 /* USER_MODE_ONLY */ | 2 /* bad */, 0, 0, 0, 0, 0},
     NULL},                                                                             /* EINVAL */
    {"bpf", SYS_bpf, 357, {0 /* MAP_CREATE */, BAD_PTR, 8, 0, 0, 0}, NULL},             /* EFAULT */
    {"perf_event_open", SYS_perf_event_open, 336, {BAD_PTR, 0, -1, -1, 0, 0}, NULL},    /* EFAULT */
    {"io_uring_setup", SYS_io_uring_setup, 425, {1, BAD_PTR, 0, 0, 0, 0}, NULL},        /* EFAULT */
    {"io_uring_enter", SYS_io_uring_enter, 426, {-1, 0, 0, 0, 0, 0}, NULL},             /* EBADF */
    {"io_uring_register", SYS_io_uring_register, 427, {-1, 0, 0, 0, 0, 0}, NULL},       /* EBADF */
    {"kexec_load", SYS_kexec_load, 283, {0, 0, 0, 0, 0, 0}, NULL},                      /* EPERM */
    {"kexec_file_load", SYS_kexec_file_load, -1, {-1, -1, 0, BAD_PTR, 0, 0}, NULL},     /* EPERM */
    {"init_module", SYS_init_module, 128, {BAD_PTR, 0, BAD_PTR, 0, 0, 0}, NULL},        /* EPERM */
    {"finit_module", SYS_finit_module, 350, {-1, BAD_PTR, 0, 0, 0, 0}, NULL},           /* EPERM */
    {"delete_module", SYS_delete_module, 129, {BAD_PTR, 0, 0, 0, 0, 0}, NULL},          /* EPERM */
    {"open_by_handle_at", SYS_open_by_handle_at, 342, {-1, BAD_PTR, 0, 0, 0, 0}, NULL}, /* EBADF */
    {"mount", SYS_mount, 21, {0, 0, 0, 0, 0, 0}, NULL},                                 /* EFAULT */
    {"umount2", SYS_umount2, 52, {0, 0, 0, 0, 0, 0}, NULL},                             /* EFAULT */
    {"pivot_root", SYS_pivot_root, 217, {BAD_PTR, BAD_PTR, 0, 0, 0, 0}, NULL}, /* EPERM (no CAP_SYS_ADMIN) */
    {"fsopen", SYS_fsopen, 430, {BAD_PTR, 0, 0, 0, 0, 0}, NULL},               /* EPERM */
    {"fsconfig", SYS_fsconfig, 431, {-1, 0, 0, 0, 0, 0}, NULL},                /* EBADF */
    {"fsmount", SYS_fsmount, 432, {-1, 0, 0, 0, 0, 0}, NULL},                  /* EBADF */
    {"fspick", SYS_fspick, 433, {-1, BAD_PTR, 0, 0, 0, 0}, NULL},              /* EPERM */
    {"move_mount", SYS_move_mount, 429, {-1, BAD_PTR, -1, BAD_PTR, 0, 0}, NULL},      /* EPERM */
    {"open_tree", SYS_open_tree, 428, {-1, BAD_PTR, OPEN_TREE_CLONE, 0, 0, 0}, NULL}, /* EPERM */
    {"mount_setattr", SYS_mount_setattr, 442, {-1, BAD_PTR, 0, BAD_PTR, 0, 0}, NULL}, /* EFAULT/EINVAL */
    {"unshare-user", SYS_unshare, 310, {CLONE_NEWUSER, 0, 0, 0, 0, 0}, NULL},         /* ok */
    {"unshare-user-mount", SYS_unshare, 310, {CLONE_NEWUSER | CLONE_NEWNS, 0, 0, 0, 0, 0}, NULL}, /* ok */
    {"unshare-mount", SYS_unshare, 310, {CLONE_NEWNS, 0, 0, 0, 0, 0}, NULL},                      /* EPERM */
    {"unshare-net", SYS_unshare, 310, {CLONE_NEWNET, 0, 0, 0, 0, 0}, NULL},                       /* EPERM */
    {"unshare-pid", SYS_unshare, 310, {CLONE_NEWPID, 0, 0, 0, 0, 0}, NULL},                       /* EPERM */
    {"unshare-cgroup", SYS_unshare, 310, {CLONE_NEWCGROUP, 0, 0, 0, 0, 0}, NULL},                 /* EPERM */
    {"setns", SYS_setns, 346, {-1, 0, 0, 0, 0, 0}, NULL},                                         /* EBADF */
    {"clone3", SYS_clone3, 435, {0, 0, 0, 0, 0, 0}, NULL},                           /* EINVAL (size 0) */
    {"clone-newuser", -1, -1, {0, 0, 0, 0, 0, 0}, clone_newuser},                    /* ok */
    {"clone-newns", -1, -1, {0, 0, 0, 0, 0, 0}, clone_newns},                        /* EPERM */
    {"clone-newpid", -1, -1, {0, 0, 0, 0, 0, 0}, clone_newpid},                      /* EPERM */
    {"clone-newnet", -1, -1, {0, 0, 0, 0, 0, 0}, clone_newnet},                      /* EPERM */
    {"clone-newcgroup", -1, -1, {0, 0, 0, 0, 0, 0}, clone_newcgroup},                /* EPERM */
    {"personality", SYS_personality, 136, {READ_IMPLIES_EXEC, 0, 0, 0, 0, 0}, NULL}, /* ok */
    {"socket-vsock", -1, -1, {0, 0, 0, 0, 0, 0}, vsock_socket},                      /* ok or EAFNOSUPPORT */
    {"socket-unix", -1, -1, {0, 0, 0, 0, 0, 0}, unix_socket},                        /* ok (allowed) */
    {"personality-query", SYS_personality, 136, {0xffffffffL, 0, 0, 0, 0, 0}, NULL}, /* ok (allowed) */
    {"acct", SYS_acct, 51, {BAD_PTR, 0, 0, 0, 0, 0}, NULL},                          /* EPERM */
    {"swapon", SYS_swapon, 87, {BAD_PTR, 0, 0, 0, 0, 0}, NULL},                      /* EPERM */
    {"syslog", SYS_syslog, 103, {3 /* READ_ALL */, BAD_PTR, 16, 0, 0, 0}, NULL},     /* EPERM */
    {"lookup_dcookie", -1, 253, {0, 0, 0, 0, 0, 0}, NULL},                           /* i386 only */
    /* Must stay allowed: harmless failures prove the call reached the kernel. */
    {"read", SYS_read, 3, {-1, BAD_PTR, 1, 0, 0, 0}, NULL},                    /* EBADF */
    {"write", SYS_write, 4, {1, BAD_PTR, 1, 0, 0, 0}, NULL},                   /* EFAULT */
    {"openat", SYS_openat, 295, {AT_FDCWD, BAD_PTR, O_RDONLY, 0, 0, 0}, NULL}, /* EFAULT */
    {"getpid", SYS_getpid, 20, {0, 0, 0, 0, 0, 0}, NULL},                      /* ok */
    {"ptrace-traceme", -1, -1, {0, 0, 0, 0, 0, 0}, ptrace_traceme},            /* ok */
    {"seccomp-get-action",
     SYS_seccomp,
     354,
     {2 /* GET_ACTION_AVAIL */, 0, BAD_PTR, 0, 0, 0},
     NULL}, /* EFAULT */
};

static const struct sys_probe* find_probe(const char* name) {
  size_t i;
  for (i = 0; i < sizeof(sys_probes) / sizeof(sys_probes[0]); i++)
    if (strcmp(sys_probes[i].name, name) == 0) return &sys_probes[i];
  return NULL;
}

static const struct sys_probe* require_probe(const char* name) {
  const struct sys_probe* p = find_probe(name);
  if (p == NULL) die_msg("syscall", "unknown system call name (see the table in attacker.c)");
  return p;
}

static int run_native(void* arg) {
  const struct sys_probe* p = arg;
  if (p->custom != NULL) return p->custom();
  if (p->nr < 0) {
    printf("skip no native number\n");
    return 0;
  }
  return report(syscall(p->nr, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4], p->args[5]));
}

static int cmd_syscall(char** argv) {
  return in_child(run_native, (void*)require_probe(argv[1]));
}

#if defined(__x86_64__)
/* The i386 entry point from a 64-bit process: int $0x80 takes the number in
 * eax and arguments in ebx, ecx, edx, esi, edi; r8-r11 are clobbered. */
static long int80(long nr, long a1, long a2, long a3, long a4, long a5) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5)
                   : "memory", "cc", "r8", "r9", "r10", "r11");
  return (long)(int)ret;
}

static int run_i386(void* arg) {
  const struct sys_probe* p = arg;
  if (p->nr32 < 0) {
    printf("skip no i386 number\n");
    return 0;
  }
  return report_raw(int80(p->nr32, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4]));
}

#define X32_SYSCALL_BIT 0x40000000L

static int run_x32(void* arg) {
  const struct sys_probe* p = arg;
  if (p->nr < 0 || p->custom != NULL) {
    printf("skip no x32 form\n");
    return 0;
  }
  return report(syscall(p->nr | X32_SYSCALL_BIT, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4],
                        p->args[5]));
}
#endif

static int cmd_syscall32(char** argv) {
#if defined(__x86_64__)
  return in_child(run_i386, (void*)require_probe(argv[1]));
#else
  (void)argv;
  printf("skip not x86_64\n");
  return 0;
#endif
}

static int cmd_x32(char** argv) {
#if defined(__x86_64__)
  return in_child(run_x32, (void*)require_probe(argv[1]));
#else
  (void)argv;
  printf("skip not x86_64\n");
  return 0;
#endif
}

/* ------------------------------------------------------------------ */
/* Terminals                                                          */
/* ------------------------------------------------------------------ */

/* Injects TEXT into the input queue of the terminal on FD, one byte per
 * ioctl; `high` sets bit 32 of the request (the kernel only looks at the
 * low 32 bits, a filter must too: flatpak CVE-2019-10063). */
static int sti(int fd, const char* text, int high) {
  unsigned long request = TIOCSTI;
  const char* c;
  if (high) request |= 1UL << 32;
  for (c = text; *c != '\0'; c++) {
    long r = syscall(SYS_ioctl, (long)fd, (long)request, (long)c);
    if (r < 0) return report(r);
  }
  printf("ok\n");
  return 0;
}

/* attacker tiocsti FD TEXT (FD "tty" opens /dev/tty) */
static int cmd_tiocsti(char** argv) {
  int fd;
  if (strcmp(argv[1], "tty") == 0) {
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      printf("errno %s\n", errno_name(errno));
      return 0;
    }
  } else {
    fd = (int)parse_long("fd", argv[1], 0, INT_MAX);
  }
  return sti(fd, argv[2], 0);
}

static int cmd_tiocsti_high(char** argv) {
  return sti((int)parse_long("fd", argv[1], 0, INT_MAX), argv[2], 1);
}

/* attacker tioclinux FD: TIOCL_GETSHIFTSTATE, a read-only subcode. */
static int cmd_tioclinux(char** argv) {
  char arg[2] = {6, 0};
  int fd = (int)parse_long("fd", argv[1], 0, INT_MAX);
  return report(ioctl(fd, TIOCLINUX, arg));
}

/* attacker tiocsctty FD STEAL: make FD's terminal ours. */
static int cmd_tiocsctty(char** argv) {
  int fd = (int)parse_long("fd", argv[1], 0, INT_MAX);
  return report(ioctl(fd, TIOCSCTTY, (int)parse_long("steal", argv[2], 0, 1)));
}

/* attacker isatty FD -> "yes" or "no" */
static int cmd_isatty(char** argv) {
  printf("%s\n", isatty((int)parse_long("fd", argv[1], 0, INT_MAX)) ? "yes" : "no");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Privileges                                                         */
/* ------------------------------------------------------------------ */

/* One line: "uid=R euid=E gid=G egid=EG inh=.. prm=.. eff=.. bnd=.. amb=.. nnp=N seccomp=M" */
static int cmd_caps(char** argv) {
  static const char* const keys[] = {"CapInh", "CapPrm",     "CapEff", "CapBnd",
                                     "CapAmb", "NoNewPrivs", "Seccomp"};
  static const char* const shown[] = {"inh", "prm", "eff", "bnd", "amb", "nnp", "seccomp"};
  size_t len, i;
  int err = 0;
  char* status = read_whole("/proc/self/status", &len, &err);

  (void)argv;
  if (status == NULL) {
    errno = err;
    die("read /proc/self/status");
  }
  printf("uid=%ld euid=%ld gid=%ld egid=%ld", (long)getuid(), (long)geteuid(), (long)getgid(),
         (long)getegid());
  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char value[64];
    status_field(status, keys[i], value, sizeof(value));
    printf(" %s=%s", shown[i], value);
  }
  printf("\n");
  free(status);
  return 0;
}

static int cmd_nnp(char** argv) {
  (void)argv;
  printf("%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  return 0;
}

/* attacker capset [CAP]: raise CAP (default CAP_SYS_ADMIN) in all sets. */
static int cmd_capset(char** argv) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  int cap = argv[1] != NULL ? (int)parse_long("cap", argv[1], 0, 63) : CAP_SYS_ADMIN;

  memset(data, 0, sizeof(data));
  if (syscall(SYS_capget, &hdr, data) != 0) die("capget");
  data[cap / 32].effective |= 1U << (cap % 32);
  data[cap / 32].permitted |= 1U << (cap % 32);
  data[cap / 32].inheritable |= 1U << (cap % 32);
  return report(syscall(SYS_capset, &hdr, data));
}

/* attacker ambient CAP: raise CAP in the ambient set. */
static int cmd_ambient(char** argv) {
  return report(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, parse_long("cap", argv[1], 0, 63), 0, 0));
}

/* attacker setuid UID: try to become UID. */
static int cmd_setuid(char** argv) {
  return report(setresuid((uid_t)parse_long("uid", argv[1], 0, UINT32_MAX - 1L),
                          (uid_t)parse_long("uid", argv[1], 0, UINT32_MAX - 1L),
                          (uid_t)parse_long("uid", argv[1], 0, UINT32_MAX - 1L)));
}

/* attacker exec PATH ARGS...: replaces itself (for setuid/file-cap copies). */
static int cmd_exec(char** argv) {
  execv(argv[1], argv + 1);
  printf("errno %s\n", errno_name(errno));
  return 0;
}

/* ------------------------------------------------------------------ */
/* Processes                                                          */
/* ------------------------------------------------------------------ */

static long ancestor_of_self(long steps);

/* A pid argument: a number, or "^N" for our ancestor N parents up (with
 * --share pid, "^2" is the strata supervisor). */
static pid_t parse_pid(const char* s) {
  if (s[0] == '^') return (pid_t)ancestor_of_self(parse_long("ancestor", s + 1, 0, 64));
  return (pid_t)parse_long("pid", s, INT_MIN, INT_MAX);
}

static int cmd_ptrace(char** argv) {
  pid_t pid = parse_pid(argv[1]);
  long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
  if (r == 0) {
    int status;
    waitpid(pid, &status, __WALL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
  }
  return report(r);
}

/* attacker vm-read PID: process_vm_readv of one byte at an address of ours
 * (static binaries share nothing, but the permission check comes first: an
 * EFAULT or success means access was granted). */
static int cmd_vm_read(char** argv) {
  static char here[16];
  char buf[1];
  pid_t pid = parse_pid(argv[1]);
  struct iovec local = {buf, sizeof(buf)};
  struct iovec remote = {here, 1};
  return report(process_vm_readv(pid, &local, 1, &remote, 1, 0));
}

/* attacker kill PID SIG */
static int cmd_kill(char** argv) {
  return report(kill(parse_pid(argv[1]), (int)parse_long("sig", argv[2], 0, 64)));
}

/* attacker kill-all: kill(-1, SIGKILL) from inside. Refuses unless it is the
 * workload of a fresh pid namespace (pid 2), so a broken sandbox cannot turn
 * the test into a host-wide kill. A child is started first so the call has
 * something to kill: "ok" then means kill(-1) worked inside. */
static int cmd_kill_all(char** argv) {
  pid_t child;
  int status;
  (void)argv;
  if (getpid() != 2) {
    printf("unsafe pid %ld: not the workload of a fresh pid namespace\n", (long)getpid());
    return 0;
  }
  fflush(stdout);
  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    for (;;) pause();
  }
  if (kill(-1, SIGKILL) != 0) return report(-1);
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  printf("ok %s\n", WIFSIGNALED(status) ? signal_name(WTERMSIG(status)) : "child not signalled");
  return 0;
}

/* attacker ps: the pids in /proc, sorted, on one line. */
static int cmp_long(const void* a, const void* b) {
  long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

static int cmd_ps(char** argv) {
  long pids[4096];
  size_t n = 0, i;
  struct dirent* de;
  DIR* d = opendir("/proc");
  (void)argv;
  if (d == NULL) die("opendir /proc");
  while ((de = readdir(d)) != NULL && n < sizeof(pids) / sizeof(pids[0]))
    if (de->d_name[0] >= '1' && de->d_name[0] <= '9') pids[n++] = strtol(de->d_name, NULL, 10);
  closedir(d);
  qsort(pids, n, sizeof(pids[0]), cmp_long);
  for (i = 0; i < n; i++) printf(i ? " %ld" : "%ld", pids[i]);
  printf("\n");
  return 0;
}

/* attacker fork-bomb [MAX]: forks children that sleep until the first
 * failure; prints "eagain after N" (or "errno X after N") and exits 1. Stops at MAX
 * (default 4096) so a missing limit cannot take the machine down:
 * "no limit after MAX". The children stay behind for teardown to end. */
static int cmd_fork_bomb(char** argv) {
  long max = argv[1] != NULL ? parse_long("max", argv[1], 1, 100000) : 4096;
  long n;
  fflush(stdout);
  for (n = 0; n < max; n++) {
    pid_t child = fork();
    if (child < 0) {
      if (errno == EAGAIN)
        printf("eagain after %ld\n", n);
      else
        printf("errno %s after %ld\n", errno_name(errno), n);
      return 1; /* like a program that fails when it cannot fork */
    }
    if (child == 0) {
      for (;;) pause();
    }
  }
  printf("no limit after %ld\n", n);
  return 0;
}

/* attacker memory-hog BYTES: allocates and touches BYTES, 1 MiB at a time;
 * "ok N" when it got them all (only a dead process prints nothing). */
static int cmd_memory_hog(char** argv) {
  long total = parse_long("bytes", argv[1], 1, LONG_MAX);
  long done = 0;
  const long chunk = 1L << 20;
  while (done < total) {
    char* p = mmap(NULL, (size_t)chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      printf("errno %s after %ld\n", errno_name(errno), done);
      return 0;
    }
    memset(p, 0x5a, (size_t)chunk);
    done += chunk;
  }
  printf("ok %ld\n", done);
  return 0;
}

static void ignore(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigaction(sig, &sa, NULL);
}

/* attacker daemonize: a grandchild in its own session, stdio on /dev/null,
 * that ignores SIGTERM, SIGINT and SIGHUP sleeps forever; the caller, ignoring them too, prints
 * "daemon PID" (the grandchild's pid) and sleeps forever as well. */
static int cmd_daemonize(char** argv) {
  int fds[2];
  pid_t child;
  long gc = 0;
  (void)argv;
  ignore(SIGTERM);
  ignore(SIGINT);
  ignore(SIGHUP);
  if (pipe(fds) != 0) die("pipe");
  fflush(stdout);
  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    pid_t grandchild;
    setsid();
    grandchild = fork();
    if (grandchild < 0) _exit(1);
    if (grandchild == 0) {
      long me = (long)getpid();
      int null = open("/dev/null", O_RDWR | O_CLOEXEC);
      /* A proper daemon: no stdio of the run's (so nothing waits on it). */
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      close(fds[0]);
      if (write(fds[1], &me, sizeof(me)) != (ssize_t)sizeof(me)) _exit(1);
      close(fds[1]);
      for (;;) pause();
    }
    _exit(0);
  }
  close(fds[1]);
  if (read(fds[0], &gc, sizeof(gc)) != (ssize_t)sizeof(gc)) die_msg("daemonize", "no grandchild");
  waitpid(child, NULL, 0);
  printf("daemon %ld\n", gc);
  fflush(stdout);
  for (;;) pause();
}

/* attacker fill PATH: writes 1 MiB blocks into a new file PATH until a write
 * fails; "errno NAME after BYTES" (or "ok BYTES" at a 4 GiB guard). */
static int write_until_failure(const char* path, long long guard) {
  static char block[1 << 20];
  long long done = 0;
  int fd;
  ignore(SIGXFSZ); /* EFBIG instead of a signal */
  memset(block, 0x5a, sizeof(block));
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    printf("errno %s at open\n", errno_name(errno));
    return 0;
  }
  while (done < guard) {
    ssize_t w = write(fd, block, sizeof(block));
    if (w < 0) {
      if (errno == EINTR) continue;
      printf("errno %s after %lld\n", errno_name(errno), done);
      close(fd);
      return 0;
    }
    done += w; /* after a short write, the next write reports the error */
  }
  close(fd);
  printf("ok %lld\n", done);
  return 0;
}

static int cmd_fill(char** argv) {
  return write_until_failure(argv[1], 4LL << 30);
}

/* attacker big-file PATH BYTES: like fill, stopping at BYTES. */
static int cmd_big_file(char** argv) {
  return write_until_failure(argv[1], parse_long("bytes", argv[2], 1, LONG_MAX));
}

/* attacker open-files [MAX]: opens /dev/null until it fails;
 * "errno EMFILE after N" (N: fds opened by this loop). */
static int cmd_open_files(char** argv) {
  long max = argv[1] != NULL ? parse_long("max", argv[1], 1, 10000000) : 1048576;
  long n;
  for (n = 0; n < max; n++) {
    if (open("/dev/null", O_RDONLY) < 0) {
      printf("errno %s after %ld\n", errno_name(errno), n);
      return 0;
    }
  }
  printf("ok %ld\n", n);
  return 0;
}

static int cmd_exit(char** argv) {
  fflush(stdout);
  _exit((int)parse_long("code", argv[1], 0, 255));
}

/* attacker sleep SECONDS: "ready", then sleeps. */
static int cmd_sleep(char** argv) {
  long left = parse_long("seconds", argv[1], 0, INT_MAX);
  printf("ready\n");
  fflush(stdout);
  sleep_ms(left * 1000);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Files and mounts                                                   */
/* ------------------------------------------------------------------ */

static int open_flags(const char* mode) {
  if (strcmp(mode, "r") == 0) return O_RDONLY;
  if (strcmp(mode, "w") == 0) return O_WRONLY;
  if (strcmp(mode, "rw") == 0) return O_RDWR;
  if (strcmp(mode, "path") == 0) return O_PATH;
  if (strcmp(mode, "dir") == 0) return O_RDONLY | O_DIRECTORY;
  die_msg("open", "MODE is r, w, rw, path or dir");
  return 0;
}

/* attacker open PATH MODE: open only, no I/O. */
static int cmd_open(char** argv) {
  int fd = open(argv[1], open_flags(argv[2]) | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) close(fd);
  return report(fd);
}

/* attacker read PATH: "ok BYTES" or "errno NAME". */
static int cmd_read(char** argv) {
  size_t len;
  int err = 0;
  char* buf = read_whole(argv[1], &len, &err);
  if (buf == NULL) {
    printf("errno %s\n", errno_name(err));
    return 0;
  }
  printf("ok %zu\n", len);
  free(buf);
  return 0;
}

/* attacker cat PATH: the content, or "errno NAME". */
static int cmd_cat(char** argv) {
  size_t len;
  int err = 0;
  char* buf = read_whole(argv[1], &len, &err);
  if (buf == NULL) {
    printf("errno %s\n", errno_name(err));
    return 0;
  }
  fwrite(buf, 1, len, stdout);
  free(buf);
  return 0;
}

/* attacker write PATH TEXT: open(O_WRONLY) an existing file and write TEXT. */
static int cmd_write(char** argv) {
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC | O_NOCTTY);
  ssize_t w;
  if (fd < 0) return report(fd);
  w = write(fd, argv[2], strlen(argv[2]));
  close(fd);
  return report(w);
}

/* attacker create PATH: a new file (O_CREAT | O_EXCL), "ok" or errno. */
static int cmd_create(char** argv) {
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  return report(fd);
}

static int cmd_mkdir(char** argv) {
  return report(mkdir(argv[1], 0755));
}

static int cmd_unlink(char** argv) {
  return report(unlink(argv[1]));
}

static int cmd_rmdir(char** argv) {
  return report(rmdir(argv[1]));
}

static int cmd_rename(char** argv) {
  return report(rename(argv[1], argv[2]));
}

static int cmd_truncate(char** argv) {
  return report(truncate(argv[1], 0));
}

static int cmd_chmod(char** argv) {
  return report(chmod(argv[1], (mode_t)parse_long("mode", argv[2], 0, 07777)));
}

/* attacker mknod PATH c|b MAJOR MINOR */
static int cmd_mknod(char** argv) {
  mode_t type = strcmp(argv[2], "b") == 0 ? S_IFBLK : S_IFCHR;
  dev_t dev = makedev((unsigned)parse_long("major", argv[3], 0, 4095),
                      (unsigned)parse_long("minor", argv[4], 0, 1048575));
  long r = mknod(argv[1], type | 0600, dev);
  if (r == 0) unlink(argv[1]);
  return report(r);
}

static int cmd_umount(char** argv) {
  return report(umount2(argv[1], MNT_DETACH));
}

/* attacker remount-rw PATH: the classic bind remount without MS_RDONLY. */
static int cmd_remount_rw(char** argv) {
  return report(mount(NULL, argv[1], NULL, MS_REMOUNT | MS_BIND, NULL));
}

/* attacker setattr-rw PATH: mount_setattr clearing MOUNT_ATTR_RDONLY. */
static int cmd_setattr_rw(char** argv) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.attr_clr = MOUNT_ATTR_RDONLY;
  return report(syscall(SYS_mount_setattr, AT_FDCWD, argv[1], 0, &attr, sizeof(attr)));
}

/* attacker clone-open SRC REL MODE: a detached copy of the mount at SRC
 * (open_tree OPEN_TREE_CLONE, without the mounts stacked on it), then
 * openat(copy, REL, MODE): "errno NAME at open_tree", "errno NAME" or "ok". */
static int cmd_clone_open(char** argv) {
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, argv[1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  int fd;
  if (tree < 0) {
    printf("errno %s at open_tree\n", errno_name(errno));
    return 0;
  }
  fd = openat(tree, argv[2], open_flags(argv[3]) | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) close(fd);
  close(tree);
  return report(fd);
}

/* attacker mount TYPE PATH: a new filesystem of TYPE at PATH. */
static int cmd_mount(char** argv) {
  return report(mount(argv[1], argv[2], argv[1], 0, NULL));
}

/* attacker bind SRC DST */
static int cmd_bind(char** argv) {
  return report(mount(argv[1], argv[2], NULL, MS_BIND | MS_REC, NULL));
}

static int cmd_pivot_root(char** argv) {
  return report(syscall(SYS_pivot_root, argv[1], argv[2]));
}

/* attacker fsopen TYPE */
static int cmd_fsopen(char** argv) {
  return report(syscall(SYS_fsopen, argv[1], 0));
}

/* attacker chdir PATH: "ok CWD" (getcwd after chdir) or errno. */
static int cmd_chdir(char** argv) {
  char buf[PATH_MAX];
  if (chdir(argv[1]) != 0) return report(-1);
  if (getcwd(buf, sizeof(buf)) == NULL) {
    printf("errno %s at getcwd\n", errno_name(errno));
    return 0;
  }
  printf("ok %s\n", buf);
  return 0;
}

/* attacker openat FD REL: read REL relative to the inherited directory FD:
 * its content, or "errno NAME". */
static int cmd_openat(char** argv) {
  int dir = (int)parse_long("fd", argv[1], 0, INT_MAX);
  int fd = openat(dir, argv[2], O_RDONLY | O_CLOEXEC | O_NOCTTY);
  char buf[4096];
  ssize_t r;
  if (fd < 0) return report(fd);
  r = read(fd, buf, sizeof(buf));
  close(fd);
  if (r < 0) return report(r);
  fwrite(buf, 1, (size_t)r, stdout);
  return 0;
}

/* attacker fds: the open fds (other than the one listing them), one line. */
static int cmd_fds(char** argv) {
  long fds[1024];
  size_t n = 0, i;
  struct dirent* de;
  DIR* d = opendir("/proc/self/fd");
  (void)argv;
  if (d == NULL) die("opendir /proc/self/fd");
  while ((de = readdir(d)) != NULL && n < sizeof(fds) / sizeof(fds[0])) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    if (strtol(de->d_name, NULL, 10) == dirfd(d)) continue;
    fds[n++] = strtol(de->d_name, NULL, 10);
  }
  closedir(d);
  qsort(fds, n, sizeof(fds[0]), cmp_long);
  for (i = 0; i < n; i++) printf(i ? " %ld" : "%ld", fds[i]);
  printf("\n");
  return 0;
}

/* attacker cwd */
static int cmd_cwd(char** argv) {
  char buf[PATH_MAX];
  (void)argv;
  if (getcwd(buf, sizeof(buf)) == NULL) return report(-1);
  printf("%s\n", buf);
  return 0;
}

/* attacker readlink PATH */
static int cmd_readlink(char** argv) {
  char buf[PATH_MAX];
  ssize_t n = readlink(argv[1], buf, sizeof(buf) - 1);
  if (n < 0) return report(n);
  buf[n] = '\0';
  printf("ok %s\n", buf);
  return 0;
}

/* attacker reopen-write PATH: O_PATH open of PATH, then a write reopen of
 * the magic link /proc/self/fd/N (the CVE-2019-5736 pattern). */
static int cmd_reopen_write(char** argv) {
  char link[64];
  int fd = open(argv[1], O_PATH | O_CLOEXEC);
  int w;
  if (fd < 0) {
    printf("errno %s at O_PATH open\n", errno_name(errno));
    return 0;
  }
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  w = open(link, O_WRONLY | O_CLOEXEC);
  if (w >= 0) close(w);
  close(fd);
  return report(w);
}

/* The pid of the process `steps` parents up from us, from /proc/PID/stat. */
static long ancestor_of_self(long steps) {
  long pid = (long)getpid();
  for (; steps > 0; steps--) {
    char path[64], buf[1024], *p;
    int fd;
    ssize_t r;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open /proc/PID/stat");
    r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r <= 0) die_msg("ancestor", "cannot read stat");
    buf[r] = '\0';
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 2, "%*c %ld", &pid) != 1) die_msg("ancestor", "malformed stat");
  }
  return pid;
}

/* attacker ancestor-exe STEPS: reopen-write of /proc/PID/exe of an ancestor
 * (STEPS up: 1 is our parent). With --share pid, 2 is strata's supervisor. */
static int cmd_ancestor_exe(char** argv) {
  char path[64];
  char* args[2];
  snprintf(path, sizeof(path), "/proc/%ld/exe", ancestor_of_self(parse_long("steps", argv[1], 0, 64)));
  args[0] = argv[0];
  args[1] = path;
  return cmd_reopen_write(args);
}

/* attacker ancestor STEPS: that ancestor's pid. */
static int cmd_ancestor(char** argv) {
  printf("%ld\n", ancestor_of_self(parse_long("steps", argv[1], 0, 64)));
  return 0;
}

/* attacker ls DIR: the entries (without . and ..), sorted, one line;
 * an empty line for an empty directory; or "errno NAME". */
static int cmp_str(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static int cmd_ls(char** argv) {
  char* names[4096];
  size_t n = 0, i;
  struct dirent* de;
  DIR* d = opendir(argv[1]);
  if (d == NULL) return report(-1);
  while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    names[n] = strdup(de->d_name);
    if (names[n] == NULL) die("strdup");
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof(names[0]), cmp_str);
  for (i = 0; i < n; i++) {
    printf(i ? " %s" : "%s", names[i]);
    free(names[i]);
  }
  printf("\n");
  return 0;
}

/* attacker statfs PATH: "ro" or "rw" (the mount's read-only flag). */
static int cmd_statfs(char** argv) {
  struct statvfs sv;
  if (statvfs(argv[1], &sv) != 0) return report(-1);
  printf("%s\n", (sv.f_flag & ST_RDONLY) ? "ro" : "rw");
  return 0;
}

/* attacker release-agent CONTROLLER: CVE-2022-0492 from inside. A new user,
 * mount and cgroup namespace (the kernel asks for no privilege), a non-root
 * id map if the kernel takes one (mapping root needs CAP_SETFCAP), a cgroup v1 mount of
 * CONTROLLER, then release_agent opened for writing and given back its own
 * content (so a kernel that wrongly allowed it changes nothing). Prints the
 * first step that failed, "errno NAME at STEP", or "ok" (escape possible). */
static int write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  ssize_t w;
  if (fd < 0) return -1;
  w = write(fd, text, strlen(text));
  close(fd);
  return w < 0 ? -1 : 0;
}

static int cmd_release_agent(char** argv) {
  char map[64];
  char old[4096];
  ssize_t n;
  int fd;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) != 0) {
    printf("errno %s at unshare\n", errno_name(errno));
    return 0;
  }
  /* Best effort: the kernel refuses id maps to a process whose bounding set
   * was empty before the unshare; the namespace's capabilities stay. */
  snprintf(map, sizeof(map), "1000 %ld 1\n", (long)uid);
  (void)write_text("/proc/self/uid_map", map);
  (void)write_text("/proc/self/setgroups", "deny");
  snprintf(map, sizeof(map), "1000 %ld 1\n", (long)gid);
  (void)write_text("/proc/self/gid_map", map);
  if (mkdir("/tmp/strata-cgroup-attack", 0700) != 0 && errno != EEXIST) {
    printf("errno %s at mkdir\n", errno_name(errno));
    return 0;
  }
  if (mount("cgroup", "/tmp/strata-cgroup-attack", "cgroup", 0, argv[1]) != 0) {
    printf("errno %s at mount\n", errno_name(errno));
    return 0;
  }
  fd = open("/tmp/strata-cgroup-attack/release_agent", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    printf("errno %s at open\n", errno_name(errno));
    return 0;
  }
  n = read(fd, old, sizeof(old));
  if (n < 0) {
    printf("errno %s at read\n", errno_name(errno));
    return 0;
  }
  if (n == 0) old[n++] = '\n'; /* an empty write would not reach the check */
  if (pwrite(fd, old, (size_t)n, 0) < 0) {
    printf("errno %s at write\n", errno_name(errno));
    return 0;
  }
  printf("ok\n");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */
/* ------------------------------------------------------------------ */

static const struct command {
  const char* name;
  int min_args;
  int (*fn)(char** argv); /* argv[0] is the subcommand name */
  const char* args;
} commands[] = {
    {"syscall", 1, cmd_syscall, " NAME"},
    {"syscall32", 1, cmd_syscall32, " NAME"},
    {"x32", 1, cmd_x32, " NAME"},
    {"tiocsti", 2, cmd_tiocsti, " FD|tty TEXT"},
    {"tiocsti-high", 2, cmd_tiocsti_high, " FD TEXT"},
    {"tioclinux", 1, cmd_tioclinux, " FD"},
    {"tiocsctty", 2, cmd_tiocsctty, " FD STEAL"},
    {"isatty", 1, cmd_isatty, " FD"},
    {"caps", 0, cmd_caps, ""},
    {"nnp", 0, cmd_nnp, ""},
    {"capset", 0, cmd_capset, " [CAP]"},
    {"ambient", 1, cmd_ambient, " CAP"},
    {"setuid", 1, cmd_setuid, " UID"},
    {"exec", 1, cmd_exec, " PATH [ARGS...]"},
    {"ptrace", 1, cmd_ptrace, " PID"},
    {"vm-read", 1, cmd_vm_read, " PID"},
    {"kill", 2, cmd_kill, " PID SIG"},
    {"kill-all", 0, cmd_kill_all, ""},
    {"ps", 0, cmd_ps, ""},
    {"fork-bomb", 0, cmd_fork_bomb, " [MAX]"},
    {"memory-hog", 1, cmd_memory_hog, " BYTES"},
    {"daemonize", 0, cmd_daemonize, ""},
    {"fill", 1, cmd_fill, " PATH"},
    {"big-file", 2, cmd_big_file, " PATH BYTES"},
    {"open-files", 0, cmd_open_files, " [MAX]"},
    {"exit", 1, cmd_exit, " CODE"},
    {"sleep", 1, cmd_sleep, " SECONDS"},
    {"open", 2, cmd_open, " PATH r|w|rw|path|dir"},
    {"read", 1, cmd_read, " PATH"},
    {"cat", 1, cmd_cat, " PATH"},
    {"write", 2, cmd_write, " PATH TEXT"},
    {"create", 1, cmd_create, " PATH"},
    {"mkdir", 1, cmd_mkdir, " PATH"},
    {"unlink", 1, cmd_unlink, " PATH"},
    {"rmdir", 1, cmd_rmdir, " PATH"},
    {"rename", 2, cmd_rename, " FROM TO"},
    {"truncate", 1, cmd_truncate, " PATH"},
    {"chmod", 2, cmd_chmod, " PATH MODE"},
    {"mknod", 4, cmd_mknod, " PATH c|b MAJOR MINOR"},
    {"umount", 1, cmd_umount, " PATH"},
    {"remount-rw", 1, cmd_remount_rw, " PATH"},
    {"setattr-rw", 1, cmd_setattr_rw, " PATH"},
    {"clone-open", 3, cmd_clone_open, " SRC REL MODE"},
    {"mount", 2, cmd_mount, " TYPE PATH"},
    {"bind", 2, cmd_bind, " SRC DST"},
    {"pivot-root", 2, cmd_pivot_root, " NEW OLD"},
    {"fsopen", 1, cmd_fsopen, " TYPE"},
    {"chdir", 1, cmd_chdir, " PATH"},
    {"openat", 2, cmd_openat, " FD REL"},
    {"fds", 0, cmd_fds, ""},
    {"cwd", 0, cmd_cwd, ""},
    {"readlink", 1, cmd_readlink, " PATH"},
    {"reopen-write", 1, cmd_reopen_write, " PATH"},
    {"release-agent", 1, cmd_release_agent, " CONTROLLER"},
    {"ancestor", 1, cmd_ancestor, " STEPS"},
    {"ancestor-exe", 1, cmd_ancestor_exe, " STEPS"},
    {"ls", 1, cmd_ls, " DIR"},
    {"statfs", 1, cmd_statfs, " PATH"},
};

static void usage(void) {
  size_t i;
  fprintf(stderr, "usage: attacker SUBCOMMAND [ARGS...]\nsubcommands:\n");
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
      fprintf(stderr, "attacker: %s: missing argument\nusage: attacker %s%s\n", c->name, c->name, c->args);
      return 2;
    }
    rc = c->fn(argv + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) die("write stdout");
    return rc;
  }
  fprintf(stderr, "attacker: unknown subcommand '%s'\n", argv[1]);
  usage();
  return 2;
}
