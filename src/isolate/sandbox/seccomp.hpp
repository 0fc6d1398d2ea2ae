// Seccomp: the system calls the workload may make. The filter is compiled
// with libseccomp in the parent, before the clone, into plain classic BPF;
// the child only hands those instructions to the kernel right before execve,
// so nothing in the child parses, allocates or links against policy code.
#pragma once

#include <linux/filter.h>
#include <seccomp.h>

#include <memory>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata {

// A compiled classic-BPF seccomp program, built in the parent before clone so the child only installs it.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
};

// strata's default policy, in the spirit of Docker's default profile: an
// allowlist of ordinary system calls, EPERM for everything else, and argument
// checks on clone, personality, socket and ioctl. On x86_64 it also covers the
// i386 and x32 entry points.
Result<SeccompProgram> compile_default_seccomp();

// The default policy compiled at build time (seccomp_builtin.cpp, in the
// strata binary), or nullptr where it is not linked in (tests, tools).
const SeccompProgram* builtin_seccomp_program();

// An OCI runtime-spec or Docker seccomp profile (JSON text). Unknown syscall
// names are skipped, as runc does; unknown actions, operators and
// architectures are errors naming the JSON location ("syscalls[3].action").
// `source_name` (usually the file name) is quoted in error messages.
Result<SeccompProgram> compile_seccomp_profile(std::string_view json_text, std::string_view source_name);

// Child side, right before execve: installs the program with
// seccomp(SECCOMP_SET_MODE_FILTER). no_new_privs must already be set (or the
// caller must hold CAP_SYS_ADMIN). Does not allocate. Returns 0 or an errno.
int install_seccomp(const SeccompProgram& program) noexcept;

namespace seccomp_detail {

// Shared by the default policy and the profile loader.
struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterContext = std::unique_ptr<void, ContextDeleter>;

// Exports the filter as classic BPF (libseccomp 2.5 can only write it to a
// file descriptor) and checks the kernel will accept its length.
Result<SeccompProgram> export_program(scmp_filter_ctx ctx, std::string_view source_name);

}  // namespace seccomp_detail

}  // namespace strata
