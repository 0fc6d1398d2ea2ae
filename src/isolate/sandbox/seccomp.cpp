#include "isolate/sandbox/seccomp.hpp"

#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <span>
#include <string>

#include "base/unique_fd.hpp"

namespace strata {

namespace {

// ---------------------------------------------------------------------------
// The default policy. Docker's default profile is the reference for which
// system calls are ordinary; anything not listed gets EPERM. Each group is
// one space-separated list so that the tables read as lists.
// ---------------------------------------------------------------------------

// Files, directories and descriptors: the workload's view of the filesystem
// is already limited by the mounts and Landlock, so these add no reach.
// File handles alone grant nothing (open_by_handle_at is denied).
constexpr std::string_view kFiles =
    "access chdir chmod chown close close_range copy_file_range creat dup dup2 dup3 faccessat faccessat2 "
    "fadvise64 fallocate fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl fdatasync flock fstat "
    "fstatfs fsync ftruncate futimesat getcwd getdents getdents64 lchown link linkat lseek lstat mkdir "
    "mkdirat mknod mknodat newfstatat open openat openat2 pread64 preadv preadv2 pwrite64 pwritev pwritev2 "
    "read readahead readlink readlinkat readv rename renameat renameat2 rmdir sendfile splice stat statfs "
    "statx symlink symlinkat sync sync_file_range syncfs tee truncate umask unlink unlinkat utime utimensat "
    "utimes vmsplice write writev cachestat name_to_handle_at";

// Extended attributes: checked by the filesystem like any other write.
constexpr std::string_view kXattrs =
    "fgetxattr flistxattr fremovexattr fsetxattr getxattr lgetxattr listxattr llistxattr lremovexattr "
    "lsetxattr removexattr setxattr";

// Memory: what every allocator, loader and JIT needs. memfd_secret only
// hides the process's own pages; map_shadow_stack is x86 CET in libc.
constexpr std::string_view kMemory =
    "brk madvise membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mprotect mremap "
    "msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect remap_file_pages map_shadow_stack";

// Waiting for events on descriptors the workload already holds.
constexpr std::string_view kEvents =
    "epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old "
    "eventfd eventfd2 inotify_add_watch inotify_init inotify_init1 inotify_rm_watch poll ppoll pselect6 "
    "select pipe pipe2";

// Legacy POSIX AIO (io_uring is denied below).
constexpr std::string_view kAio = "io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents";

// Signals, to itself or to processes it may already signal (the PID
// namespace bounds which those are).
constexpr std::string_view kSignals =
    "kill tkill tgkill pause restart_syscall rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
    "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sigaltstack signalfd signalfd4 pidfd_open "
    "pidfd_send_signal";

// Reading clocks and arming timers; setting the system clock is denied.
constexpr std::string_view kTime =
    "alarm clock_getres clock_gettime clock_nanosleep getitimer setitimer gettimeofday nanosleep time times "
    "timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create timerfd_gettime "
    "timerfd_settime";

// Processes and threads. fork and vfork cannot take namespace flags; clone
// is checked below and clone3 answered with ENOSYS. ptrace and
// process_vm_* follow Docker (kernel >= 4.8): the kernel's own ptrace access
// checks apply, and the PID namespace limits whom they can reach.
constexpr std::string_view kProcesses =
    "fork vfork execve execveat exit exit_group wait4 waitid set_tid_address set_robust_list "
    "get_robust_list futex futex_waitv futex_wake futex_wait futex_requeue rseq gettid getpid getppid "
    "getpgid getpgrp getsid setsid setpgid getpriority setpriority getcpu getrusage getrlimit setrlimit "
    "prlimit64 ioprio_get ioprio_set prctl uname sysinfo getrandom process_mrelease ptrace process_vm_readv "
    "process_vm_writev sched_getaffinity sched_getattr sched_getparam sched_get_priority_max "
    "sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr "
    "sched_setparam sched_setscheduler sched_yield";

// Self-restriction: filters and Landlock rulesets can only take away.
constexpr std::string_view kSelfRestriction =
    "seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self";

// Capabilities and ids: what they can change is bounded by the capabilities
// strata left and by the user namespace's id map.
constexpr std::string_view kCredentials =
    "capget capset getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid "
    "setregid setresuid setresgid setfsuid setfsgid setgroups";

// Sockets on any family but AF_VSOCK (socket(2) itself is checked below).
// The network namespace decides what they reach. recv and send exist only
// as socketcall(2) sub-calls on i386.
constexpr std::string_view kSockets =
    "accept accept4 bind connect getpeername getsockname getsockopt setsockopt listen recvfrom recvmmsg "
    "recvmsg sendmmsg sendmsg sendto shutdown socketpair recv send";

// System V and POSIX IPC: the IPC namespace isolates both.
constexpr std::string_view kIpc =
    "msgctl msgget msgrcv msgsnd semctl semget semop semtimedop shmat shmctl shmdt shmget mq_getsetattr "
    "mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink";

// The 32-bit names (i386, and ARM where this is the native table) for
// calls already allowed above: 64-bit offsets, 32-bit ids, time64. x86_64
// has none of them and they are skipped there. "ipc" multiplexes the SysV
// calls. "socketcall" is deliberately absent: libseccomp allows its
// sub-calls for each socket call allowed above, and SYS_SOCKET must not be
// one of them (see add_argument_rules).
constexpr std::string_view kCompat32 =
    "_llseek _newselect chown32 fchown32 lchown32 fadvise64_64 fcntl64 fstat64 fstatat64 fstatfs64 "
    "ftruncate64 lstat64 mmap2 sendfile64 stat64 statfs64 truncate64 ugetrlimit waitpid sigreturn "
    "sigprocmask ipc getuid32 geteuid32 getgid32 getegid32 getresuid32 getresgid32 getgroups32 setuid32 "
    "setgid32 setreuid32 setregid32 setresuid32 setresgid32 setfsuid32 setfsgid32 setgroups32 "
    "clock_gettime64 clock_getres_time64 clock_nanosleep_time64 futex_time64 io_pgetevents_time64 "
    "mq_timedreceive_time64 mq_timedsend_time64 ppoll_time64 pselect6_time64 recvmmsg_time64 "
    "rt_sigtimedwait_time64 sched_rr_get_interval_time64 semtimedop_time64 timer_gettime64 timer_settime64 "
    "timerfd_gettime64 timerfd_settime64 utimensat_time64";

// Per-architecture thread and cache setup (TLS, segment descriptors) that
// libc, JITs and Wine need; skipped where the arch does not have them.
constexpr std::string_view kArchSpecific =
    "arch_prctl set_thread_area get_thread_area modify_ldt arm_fadvise64_64 arm_sync_file_range "
    "sync_file_range2 breakpoint cacheflush set_tls riscv_flush_icache";

constexpr auto kAllowed =
    std::to_array({kFiles, kXattrs, kMemory, kEvents, kAio, kSignals, kTime, kProcesses, kSelfRestriction,
                   kCredentials, kSockets, kIpc, kCompat32, kArchSpecific});

// Denied by the default action. Listed so that the reason is written down
// and a later edit cannot allow one of them by accident (checked below).

// Kernel attack surface a workload does not need and namespaces do not
// contain: io_uring runs operations seccomp never sees; bpf and
// perf_event_open are large, often exploited interfaces; userfaultfd stalls
// kernel copies to win races; keyrings are not namespaced.
constexpr std::string_view kDeniedAttackSurface =
    "io_uring_setup io_uring_enter io_uring_register bpf perf_event_open userfaultfd keyctl add_key "
    "request_key lookup_dcookie";

// The sandbox itself: mounts and namespaces are strata's to set up, and a
// new user namespace would hand the workload a fresh set of capabilities.
// open_by_handle_at reaches files outside the mounts ("shocker"). kcmp,
// pidfd_getfd and process_madvise need CAP_SYS_PTRACE in Docker.
constexpr std::string_view kDeniedSandboxEscape =
    "mount umount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount open_tree "
    "mount_setattr unshare setns open_by_handle_at kcmp pidfd_getfd process_madvise";

// The host: kernel code, boot, devices, clocks, names, logs and NUMA
// placement are shared with every other process on the machine.
constexpr std::string_view kDeniedHost =
    "kexec_load kexec_file_load init_module finit_module delete_module create_module get_kernel_syms "
    "query_module reboot swapon swapoff acct quotactl quotactl_fd nfsservctl uselib _sysctl ustat sysfs "
    "iopl ioperm vm86 vm86old syslog settimeofday stime clock_settime clock_settime64 adjtimex "
    "clock_adjtime clock_adjtime64 sethostname setdomainname vhangup fanotify_init fanotify_mark mbind "
    "set_mempolicy get_mempolicy set_mempolicy_home_node migrate_pages move_pages";

constexpr auto kDenied = std::to_array({kDeniedAttackSurface, kDeniedSandboxEscape, kDeniedHost});

// clone(2) may not create namespaces (the flags userns/unshare would need).
// CLONE_NEWTIME shares its bit with the exit signal in clone(2) and cannot be
// requested there; masking it only refuses exit signals above 127, which
// the kernel refuses anyway.
constexpr std::uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                          CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;

// personality(2) values Docker allows: Linux, PER_LINUX32, UNAME26 with
// either, and the query 0xffffffff. READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE
// would weaken the workload's own exploit mitigations.
constexpr auto kPersonalities = std::to_array<std::uint64_t>({0x0, 0x8, 0x20000, 0x20008, 0xffffffff});

// ioctl requests refused: both inject input into a terminal the workload
// may share with the user (TIOCSTI types commands into the parent shell).
constexpr auto kDeniedIoctls = std::to_array<std::uint32_t>({TIOCSTI, TIOCLINUX});

// Socket families refused: vsock reaches the hypervisor and host services and
// is not confined by the network namespace.
constexpr auto kDeniedFamilies = std::to_array<std::uint32_t>({AF_VSOCK});

// Answered with an errno other than EPERM: clone3 takes its flags in memory
// where seccomp cannot see them; ENOSYS makes libc fall back to clone(2).
struct ErrnoRule {
  std::string_view name;
  int err;
};
constexpr auto kErrnoRules = std::to_array<ErrnoRule>({{"clone3", ENOSYS}});

// The syscalls given argument rules in add_argument_rules.
constexpr std::string_view kWithArgumentRules = "clone personality ioctl socket";

// The next name of a space-separated list; empty at the end.
constexpr std::string_view next_name(std::string_view& rest) {
  const std::size_t start = std::min(rest.find_first_not_of(' '), rest.size());
  rest.remove_prefix(start);
  const std::string_view name = rest.substr(0, std::min(rest.find(' '), rest.size()));
  rest.remove_prefix(name.size());
  return name;
}

constexpr std::size_t count_names(std::span<const std::string_view> lists) {
  std::size_t count = 0;
  for (std::string_view rest : lists) {
    while (!next_name(rest).empty()) {
      ++count;
    }
  }
  return count;
}

constexpr std::size_t kPolicyNames =
    count_names(kAllowed) + count_names(kDenied) + count_names({&kWithArgumentRules, 1}) + kErrnoRules.size();

// Every name is in one table only, once: allowed, denied, errno or argument
// rules. (Sorted rather than searched: clang's constexpr step limit.)
constexpr bool tables_are_disjoint() {
  std::array<std::string_view, kPolicyNames> all{};
  std::size_t n = 0;
  for (const auto lists :
       {std::span<const std::string_view>(kAllowed), std::span<const std::string_view>(kDenied),
        std::span<const std::string_view>(&kWithArgumentRules, 1)}) {
    for (std::string_view rest : lists) {
      for (std::string_view name = next_name(rest); !name.empty(); name = next_name(rest)) {
        all.at(n++) = name;
      }
    }
  }
  for (const ErrnoRule& rule : kErrnoRules) {
    all.at(n++) = rule.name;
  }
  std::ranges::sort(all);
  return std::ranges::adjacent_find(all) == all.end();
}
static_assert(tables_are_disjoint(), "a system call is listed twice or in more than one policy table");

// ---------------------------------------------------------------------------
// Building the filter.
// ---------------------------------------------------------------------------

constexpr std::string_view kDefaultSource = "default profile";

// A filter context holding exactly one architecture: the policy is added arch
// by arch so that a rule can be written for one ABI only (see socket below),
// then the contexts are merged.
struct ArchContext {
  seccomp_detail::FilterContext ctx;
  std::uint32_t arch;
};

Result<ArchContext> new_arch_context(std::uint32_t arch) {
  seccomp_detail::FilterContext ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (!ctx) {
    return fail("create seccomp filter", std::string(kDefaultSource), "libseccomp could not allocate it");
  }
  // A syscall from an ABI the filter does not know cannot be judged by it.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // A binary search over syscall numbers instead of a linear list: calls
  // with argument checks (ioctl, socket) cannot use the kernel's per-syscall
  // action cache and would otherwise walk past ~300 compares each time.
  rc = rc == 0 ? seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2) : rc;
  if (rc == 0 && arch != seccomp_arch_native()) {
    rc = seccomp_arch_add(ctx.get(), arch);
    rc = rc == 0 ? seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE) : rc;
  }
  if (rc != 0) {
    return fail_errno("set up seccomp filter architecture", std::string(kDefaultSource), -rc);
  }
  return ArchContext{.ctx = std::move(ctx), .arch = arch};
}

// libseccomp numbers the calls an ABI reaches only as sub-calls of
// socketcall(2) or ipc(2) from __PNR_socket down to __PNR_shmctl, and the
// calls an ABI lacks below that (__PNR_arch_prctl and on).
bool arch_has(std::uint32_t arch, const char* name) {
  const int nr = seccomp_syscall_resolve_name_arch(arch, name);
  return nr >= 0 || (nr <= __PNR_socket && nr >= __PNR_shmctl);
}

// Adds one rule for `name` on the context's architecture. Names that arch
// lacks (or this libseccomp does not know) are skipped rather than compiled
// into dead compares. Syscall numbers given to libseccomp are always the
// native ones; it translates them, and on i386 also allows the socketcall(2)
// or ipc(2) sub-call of the same name.
Result<> add_rule(const ArchContext& ac, std::string_view name, std::uint32_t action,
                  std::span<const scmp_arg_cmp> args = {}) {
  const std::string cname(name);
  if (!arch_has(ac.arch, cname.c_str())) {
    return {};
  }
  const int nr = seccomp_syscall_resolve_name(cname.c_str());
  const auto count = static_cast<unsigned>(args.size());
  const int rc = seccomp_rule_add_array(ac.ctx.get(), action, nr, count, args.data());
  if (rc != 0) {
    return fail_errno("add seccomp rule", cname, -rc);
  }
  return {};
}

// The masked compares whose union is "the low 32 bits of the argument are
// none of `values`". The kernel truncates int and unsigned int arguments, so
// a plain 64-bit != would let a value with high bits set through
// (CVE-2019-10063). Walks the binary trie of `values` from bit 31 down: every
// branch off the trie is one compare, at most 32 per value.
void collect_outside(std::span<const std::uint32_t> values, int bit, std::uint32_t mask, std::uint32_t prefix,
                     std::vector<std::pair<std::uint32_t, std::uint32_t>>& out) {
  if (bit < 0) {
    return;
  }
  const std::uint32_t b = 1U << bit;
  for (const std::uint32_t side : {0U, b}) {
    std::vector<std::uint32_t> below;
    for (const std::uint32_t v : values) {
      if ((v & b) == side) {
        below.push_back(v);
      }
    }
    if (below.empty()) {
      out.emplace_back(mask | b, prefix | side);
    } else {
      collect_outside(below, bit - 1, mask | b, prefix | side, out);
    }
  }
}

// Allows `name` unless the low 32 bits of argument `arg` are one of `denied`
// (those fall to the default EPERM).
Result<> allow_unless_low32_in(const ArchContext& ac, std::string_view name, unsigned arg,
                               std::span<const std::uint32_t> denied) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> cubes;
  collect_outside(denied, 31, 0, 0, cubes);
  for (const auto& [mask, value] : cubes) {
    const std::array cmp{
        scmp_arg_cmp{.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value}};
    if (auto ok = add_rule(ac, name, SCMP_ACT_ALLOW, cmp); !ok) {
      return ok;
    }
  }
  return {};
}

// s390 swaps clone's first two arguments.
unsigned clone_flags_arg(std::uint32_t arch) {
  return arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
}

Result<> add_plain_rules(const ArchContext& ac) {
  for (std::string_view rest : kAllowed) {
    for (std::string_view name = next_name(rest); !name.empty(); name = next_name(rest)) {
      if (auto ok = add_rule(ac, name, SCMP_ACT_ALLOW); !ok) {
        return ok;
      }
    }
  }
  for (const ErrnoRule& rule : kErrnoRules) {
    if (auto ok = add_rule(ac, rule.name, SCMP_ACT_ERRNO(static_cast<std::uint32_t>(rule.err))); !ok) {
      return ok;
    }
  }
  return {};
}

Result<> add_argument_rules(const ArchContext& ac) {
  const std::array no_namespaces{scmp_arg_cmp{
      .arg = clone_flags_arg(ac.arch), .op = SCMP_CMP_MASKED_EQ, .datum_a = kNamespaceFlags, .datum_b = 0}};
  if (auto ok = add_rule(ac, "clone", SCMP_ACT_ALLOW, no_namespaces); !ok) {
    return ok;
  }
  for (const std::uint64_t persona : kPersonalities) {
    const std::array is{scmp_arg_cmp{.arg = 0, .op = SCMP_CMP_EQ, .datum_a = persona, .datum_b = 0}};
    if (auto ok = add_rule(ac, "personality", SCMP_ACT_ALLOW, is); !ok) {
      return ok;
    }
  }
  if (auto ok = allow_unless_low32_in(ac, "ioctl", 1, kDeniedIoctls); !ok) {
    return ok;
  }
  // i386 on an x86_64 host: libseccomp 2.5 cannot add a socket(2) rule there
  // without also allowing socketcall(SYS_SOCKET), whose family sits in memory
  // where no compare can see it (and refuses an exact rule). Any 64-bit
  // program can enter through int 0x80, so rather than leave AF_VSOCK open,
  // 32-bit code cannot create sockets; it can use inherited ones and
  // socketpair(2).
  if (ac.arch == SCMP_ARCH_X86 && seccomp_arch_native() == SCMP_ARCH_X86_64) {
    return {};
  }
  return allow_unless_low32_in(ac, "socket", 0, kDeniedFamilies);
}

// The ABIs the filter covers. On x86_64 a process can also enter the kernel
// through the i386 (int 0x80) and x32 entry points; each gets the same
// policy rather than being left open. Any other arch token (none exists on
// x86_64) hits the bad-arch action, KILL_PROCESS.
std::vector<std::uint32_t> default_arches() {
  const std::uint32_t native = seccomp_arch_native();
  if (native == SCMP_ARCH_X86_64) {
    return {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
  }
  return {native};
}

// Folds one architecture's filter into the combined one.
Result<> merge_into(seccomp_detail::FilterContext& merged, seccomp_detail::FilterContext part) {
  if (!merged) {
    merged = std::move(part);
    return {};
  }
  scmp_filter_ctx raw = part.release();  // seccomp_merge frees it on success
  if (const int rc = seccomp_merge(merged.get(), raw); rc != 0) {
    seccomp_release(raw);
    return fail_errno("merge seccomp filters", std::string(kDefaultSource), -rc);
  }
  return {};
}

}  // namespace

// Weak: the strata binary links seccomp_builtin.cpp, which replaces this.
__attribute__((weak)) const SeccompProgram* builtin_seccomp_program() {
  return nullptr;
}

Result<SeccompProgram> compile_default_seccomp() {
  seccomp_detail::FilterContext merged;
  for (const std::uint32_t arch : default_arches()) {
    auto ac = new_arch_context(arch);
    if (!ac) {
      return std::unexpected(ac.error());
    }
    if (auto ok = add_plain_rules(*ac); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = add_argument_rules(*ac); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = merge_into(merged, std::move(ac->ctx)); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return seccomp_detail::export_program(merged.get(), kDefaultSource);
}

namespace seccomp_detail {

Result<SeccompProgram> export_program(scmp_filter_ctx ctx, std::string_view source_name) {
  const std::string source(source_name);
  UniqueFd memfd(::memfd_create("strata-seccomp", MFD_CLOEXEC));
  if (!memfd) {
    return fail_errno("create memfd for the seccomp program", source);
  }
  if (const int rc = seccomp_export_bpf(ctx, memfd.get()); rc != 0) {
    return fail_errno("export seccomp program", source, -rc);
  }
  struct stat st = {};
  if (::fstat(memfd.get(), &st) != 0) {
    return fail_errno("stat the exported seccomp program", source);
  }
  const auto bytes = static_cast<std::size_t>(st.st_size);
  const std::size_t count = bytes / sizeof(sock_filter);
  if (bytes % sizeof(sock_filter) != 0 || count == 0) {
    return fail("export seccomp program", source, "libseccomp wrote " + std::to_string(bytes) + " bytes");
  }
  if (count > BPF_MAXINSNS) {
    return fail("compile seccomp program", source,
                "the filter has " + std::to_string(count) + " instructions, more than the kernel's " +
                    std::to_string(BPF_MAXINSNS));
  }
  SeccompProgram program;
  program.instructions.resize(count);
  auto* out = reinterpret_cast<char*>(program.instructions.data());  // NOLINT: byte view of a POD array
  std::size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(memfd.get(), out + done, bytes - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n < 0 ? fail_errno("read back the seccomp program", source)
                   : fail("read back the seccomp program", source, "unexpected end of file");
    }
    done += static_cast<std::size_t>(n);
  }
  return program;
}

}  // namespace seccomp_detail

int install_seccomp(const SeccompProgram& program) noexcept {
  const auto& insns = program.instructions;
  if (insns.empty() || insns.size() > BPF_MAXINSNS) {
    return EINVAL;
  }
  // The kernel copies the program and never writes through this pointer.
  sock_fprog fprog{.len = static_cast<unsigned short>(insns.size()),
                   .filter = const_cast<sock_filter*>(insns.data())};  // NOLINT
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    return errno;
  }
  return 0;
}

}  // namespace strata
