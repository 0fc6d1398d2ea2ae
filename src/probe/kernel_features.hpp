// The kernel features sandboxes and containers depend on: namespaces and
// whether an unprivileged user may create them, the cgroup layout, seccomp,
// Landlock and the LSMs, io_uring, overlayfs, BTF, file systems, and the
// sysctls that gate them. Each reads /proc and /sys through the Root.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::kern {

// "kernel.yama.ptrace_scope" -> "/proc/sys/kernel/yama/ptrace_scope".
[[nodiscard]] std::string sysctl_path(std::string_view name);

// A sysctl's value: a number where it is one ("-1", "4194304"), else its
// trimmed text; nullopt when the file is absent or unreadable.
[[nodiscard]] std::optional<nlohmann::json> read_sysctl(const Root& root, std::string_view name);

// The gates on unprivileged user namespaces, each nullopt where this kernel
// has no such file.
struct UsernsGates {
  std::optional<bool> user_ns;                   // /proc/self/ns/user exists (CONFIG_USER_NS)
  std::optional<long long> unprivileged_clone;   // kernel.unprivileged_userns_clone (Debian's patch)
  std::optional<long long> max_user_namespaces;  // user.max_user_namespaces
  std::optional<long long> apparmor_restrict;    // kernel.apparmor_restrict_unprivileged_userns (Ubuntu)
};

struct UsernsVerdict {
  bool allowed = false;
  std::string source;  // the file that decided
};

// Pure: whether an unprivileged process may create a user namespace;
// nullopt when no gate could be read at all.
[[nodiscard]] std::optional<UsernsVerdict> unprivileged_userns(const UsernsGates& gates);

// namespaces.<name> and userns.unprivileged.
void add_namespace_facts(const Root& root, Facts& facts);
// cgroup.layout and cgroup.controllers, from /proc/self/mountinfo.
void add_cgroup_facts(const Root& root, Facts& facts);
// seccomp.filter, seccomp.user_notify, landlock.abi (live) and lsm.
void add_security_facts(const Root& root, Facts& facts);
// io_uring.enabled, overlayfs, btf and filesystems. `release` (may be
// empty) finds the kernel's modules, for an overlay module not loaded yet.
void add_feature_facts(const Root& root, const std::string& release, Facts& facts);
// sysctl.<name> for the settings in kSysctls.
void add_sysctl_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::kern
