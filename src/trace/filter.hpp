// The tracing filter: SECCOMP_RET_TRACE (a stop for strata trace, the
// tracer) on the system calls whose use says something about a workload's
// needs, SECCOMP_RET_ALLOW without a stop on a "baseline" of hot, ordinary
// calls. A stop costs two context switches and a few ptrace calls, so what
// every program does thousands of times (read, write, fstat, futex...) is
// never stopped on, and therefore never counted.
#pragma once

#include <sched.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "base/error.hpp"
#include "isolate/sandbox/seccomp.hpp"

namespace strata::trace {

enum class TraceMode {
  baseline,     // stop on everything but the baseline (the default)
  all_syscalls  // stop on every call: exact counts of all, strace's cost
};

// The calls never stopped on in TraceMode::baseline, sorted; and those not
// stopped on for some arguments (conditional_syscalls: mmap without
// PROT_EXEC, clone without CLONE_NEW* flags, open/openat with O_DIRECTORY).
[[nodiscard]] std::span<const std::string_view> baseline_syscalls();
[[nodiscard]] std::span<const std::string_view> conditional_syscalls();

// The clone(2) flags that create namespaces; a clone without them does not
// stop. CLONE_NEWTIME is left out: in clone(2) its bit is part of the exit
// signal.
inline constexpr std::uint64_t kCloneNamespaceFlags =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

// The argument of clone(2) that holds its flags on this architecture.
[[nodiscard]] unsigned clone_flags_argument();

// Compiles the filter with libseccomp for the native architecture. Calls from
// another ABI (i386 through int 0x80) are all stopped on.
[[nodiscard]] Result<SeccompProgram> compile_trace_filter(TraceMode mode);

}  // namespace strata::trace
