#include "trace/filter.hpp"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace strata::trace {

namespace {

// The one list of calls the tracer never sees (TraceMode::baseline). Each
// is either frequent in ordinary programs (I/O on descriptors already
// open, stat, memory, locks, signals, clocks, polling, ids, and the calls
// glibc makes once as every process starts: arch_prctl, set_tid_address,
// set_robust_list, rseq, prlimit64, getrandom) or reveals
// nothing about the environment once the open/exec/socket that produced
// its descriptor was seen. None of them is newer than glibc's minimum kernel
// without a fallback in glibc (checked by a unit test), so leaving them out
// cannot hide a kernel requirement. stat-family failures (a missing file
// probed with stat) are not seen; open failures are.
// clang-format off
constexpr auto kBaseline = std::to_array<std::string_view>({
    "access", "arch_prctl", "brk", "chdir", "clock_getres",
    "clock_gettime", "clock_nanosleep", "close", "dup", "dup2",
    "dup3", "epoll_ctl", "epoll_pwait", "epoll_wait", "exit",
    "exit_group", "faccessat", "faccessat2", "fchdir", "fcntl",
    "fstat", "fstatfs", "futex", "getcwd", "getdents",
    "getdents64", "getegid", "geteuid", "getgid", "getgroups",
    "getpgrp", "getpid", "getppid", "getrandom", "getresgid",
    "getresuid", "getrusage", "gettid", "gettimeofday", "getuid",
    "ioctl", "kill", "lseek", "lstat", "madvise",
    "mprotect", "mremap", "munmap", "nanosleep", "newfstatat",
    "pipe", "pipe2", "poll", "ppoll", "pread64",
    "preadv", "preadv2", "prlimit64", "pselect6", "pwrite64",
    "pwritev", "pwritev2", "read", "readlink", "readlinkat",
    "readv", "recvfrom", "recvmmsg", "recvmsg", "rseq",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sched_getaffinity", "sched_yield",
    "select", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
    "set_tid_address", "sigaltstack", "stat", "statfs", "statx",
    "tgkill", "time", "tkill", "umask", "wait4",
    "waitid", "write", "writev",
});
// clang-format on
static_assert(std::ranges::is_sorted(kBaseline) && std::ranges::adjacent_find(kBaseline) == kBaseline.end());

// Allowed without a stop when an argument says so: mmap unless it maps
// executable pages (a library being loaded), clone unless it creates
// namespaces (kCloneNamespaceFlags), open and openat of a directory
// (O_DIRECTORY: a listing, as find, ls and Python's import path scanning do
// by the thousand; the files that matter in it are opened themselves).
// openat2 takes its flags in memory, where the filter cannot look: it
// always stops.
constexpr auto kConditional = std::to_array<std::string_view>({"clone", "mmap", "open", "openat"});

constexpr std::string_view kSource = "tracing filter";

Result<> allow(scmp_filter_ctx ctx, std::string_view name, const scmp_arg_cmp* cmp = nullptr) {
  const std::string cname(name);
  const int nr = seccomp_syscall_resolve_name(cname.c_str());
  if (nr == __NR_SCMP_ERROR || nr < 0) {
    return {};  // not on this architecture
  }
  const int rc = cmp == nullptr ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)
                                : seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
  if (rc != 0) {
    return fail_errno("add tracing filter rule", cname, -rc);
  }
  return {};
}

Result<> add_baseline(scmp_filter_ctx ctx) {
  for (const std::string_view name : kBaseline) {
    if (auto ok = allow(ctx, name); !ok) {
      return ok;
    }
  }
  for (const auto& [name, arg] : {std::pair<std::string_view, unsigned>{"open", 1}, {"openat", 2}}) {
    const scmp_arg_cmp directory{
        .arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = O_DIRECTORY, .datum_b = O_DIRECTORY};
    if (auto ok = allow(ctx, name, &directory); !ok) {
      return ok;
    }
  }
  const scmp_arg_cmp no_exec{.arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0};
  if (auto ok = allow(ctx, "mmap", &no_exec); !ok) {
    return ok;
  }
  const scmp_arg_cmp no_namespaces{
      .arg = clone_flags_argument(), .op = SCMP_CMP_MASKED_EQ, .datum_a = kCloneNamespaceFlags, .datum_b = 0};
  return allow(ctx, "clone", &no_namespaces);
}

}  // namespace

unsigned clone_flags_argument() {
  const std::uint32_t native = seccomp_arch_native();
  return native == SCMP_ARCH_S390 || native == SCMP_ARCH_S390X ? 1 : 0;
}

std::span<const std::string_view> baseline_syscalls() {
  return kBaseline;
}

std::span<const std::string_view> conditional_syscalls() {
  return kConditional;
}

Result<SeccompProgram> compile_trace_filter(TraceMode mode) {
  const seccomp_detail::FilterContext ctx(seccomp_init(SCMP_ACT_TRACE(0)));
  if (!ctx) {
    return fail("create seccomp filter", std::string(kSource), "libseccomp could not allocate it");
  }
  // Another ABI's numbers mean other calls: stop on all of them.
  if (const int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRACE(0)); rc != 0) {
    return fail_errno("set up the tracing filter", std::string(kSource), -rc);
  }
  if (const int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0) {
    return fail_errno("set up the tracing filter", std::string(kSource), -rc);
  }
  if (mode == TraceMode::baseline) {
    if (auto ok = add_baseline(ctx.get()); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return seccomp_detail::export_program(ctx.get(), kSource);
}

}  // namespace strata::trace
