#include "trace/profile.hpp"

#include <errno.h>
#include <seccomp.h>

#include <array>
#include <set>
#include <string>
#include <string_view>

namespace strata::trace {

namespace {

// Between install_seccomp and the workload's first instruction: signal
// dispositions and the mask reset, execve (once per PATH entry), and on
// failure the report to strata (send) and _exit. restart_syscall and
// rt_sigreturn are the kernel's own ways back into an interrupted program.
constexpr auto kRuntime =
    std::to_array<std::string_view>({"execve", "exit", "exit_group", "restart_syscall", "rt_sigaction",
                                     "rt_sigprocmask", "rt_sigreturn", "sendto", "sendmsg", "write"});

// The OCI name of the native architecture; empty for one this writer does not name.
std::string_view native_arch_name() {
  switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
      return "SCMP_ARCH_X86_64";
    case SCMP_ARCH_AARCH64:
      return "SCMP_ARCH_AARCH64";
    case SCMP_ARCH_RISCV64:
      return "SCMP_ARCH_RISCV64";
    case SCMP_ARCH_PPC64LE:
      return "SCMP_ARCH_PPC64LE";
    case SCMP_ARCH_S390X:
      return "SCMP_ARCH_S390X";
    default:
      return {};
  }
}

}  // namespace

nlohmann::json seccomp_profile(const TraceLog& log, TraceMode mode) {
  std::set<std::string> names(kRuntime.begin(), kRuntime.end());
  if (mode == TraceMode::baseline) {
    names.insert(baseline_syscalls().begin(), baseline_syscalls().end());
    names.insert(conditional_syscalls().begin(), conditional_syscalls().end());
  }
  for (const auto& [name, count] : log.syscalls) {
    if (!name.starts_with("syscall_")) {  // a number libseccomp cannot name cannot be listed
      names.insert(name);
    }
  }
  nlohmann::json rules = nlohmann::json::array();
  // In the baseline mode every clone that creates namespaces stopped: if
  // none was seen, the workload gets clone without those flags only.
  if (mode == TraceMode::baseline && !log.syscalls.contains("clone")) {
    names.erase("clone");
    rules.push_back({{"names", {"clone"}},
                     {"action", "SCMP_ACT_ALLOW"},
                     {"args",
                      {{{"index", clone_flags_argument()},
                        {"value", kCloneNamespaceFlags},
                        {"valueTwo", 0},
                        {"op", "SCMP_CMP_MASKED_EQ"}}}}});
  }
  rules.insert(rules.begin(), nlohmann::json::object({{"names", names}, {"action", "SCMP_ACT_ALLOW"}}));
  nlohmann::json profile{
      {"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", ENOSYS}, {"syscalls", std::move(rules)}};
  if (const std::string_view arch = native_arch_name(); !arch.empty()) {
    profile["architectures"] = {arch};
  }
  return profile;
}

}  // namespace strata::trace
