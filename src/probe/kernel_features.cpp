#include "probe/kernel_features.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <vector>

#include "isolate/cgroup/cgroup.hpp"
#include "isolate/sandbox/landlock.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::kern {

namespace {

using nlohmann::json;

// The settings that decide what a sandbox or a container may do.
constexpr std::array<std::string_view, 14> kSysctls{
    "fs.protected_symlinks",
    "kernel.apparmor_restrict_unprivileged_userns",
    "kernel.dmesg_restrict",
    "kernel.io_uring_disabled",
    "kernel.kptr_restrict",
    "kernel.perf_event_paranoid",
    "kernel.pid_max",
    "kernel.unprivileged_bpf_disabled",
    "kernel.unprivileged_userns_clone",
    "kernel.yama.ptrace_scope",
    "net.ipv4.ip_unprivileged_port_start",
    "user.max_user_namespaces",
    "vm.max_map_count",
    "vm.overcommit_memory",
};

constexpr std::array<std::string_view, 8> kNamespaces{"cgroup", "ipc",  "mnt",  "net",
                                                      "pid",    "time", "user", "uts"};

std::vector<std::string> words(std::string_view text, char separator = ' ') {
  std::vector<std::string> out;
  for (std::string_view line : sys::split_lines(text)) {
    while (!line.empty()) {
      const auto end = std::min(line.find_first_of(std::string{separator, '\t'}), line.size());
      if (const std::string_view word = sys::trim(line.substr(0, end)); !word.empty()) {
        out.emplace_back(word);
      }
      line.remove_prefix(std::min(end + 1, line.size()));
    }
  }
  return out;
}

std::optional<long long> sysctl_number(const Root& root, std::string_view name) {
  const auto value = read_sysctl(root, name);
  if (!value || !value->is_number_integer()) {
    return std::nullopt;
  }
  return value->get<long long>();
}

// "nodev\tsysfs" and "\text4": the name is the last word.
std::vector<std::string> filesystems(std::string_view text) {
  std::set<std::string> names;
  for (const std::string_view line : sys::split_lines(text)) {
    const auto start = line.find_last_of(" \t");
    const std::string_view name = sys::trim(start == std::string_view::npos ? line : line.substr(start + 1));
    if (!name.empty()) {
      names.emplace(name);
    }
  }
  return {names.begin(), names.end()};
}

// overlayfs registers itself on load; before the first mount autoloads it, a
// kernel that has it as a module shows it only in modules.dep.
std::optional<Fact> overlay_fact(const Root& root, const std::string& release,
                                 const std::vector<std::string>& known) {
  if (std::ranges::find(known, "overlay") != known.end()) {
    return Fact{.value = true, .source = "/proc/filesystems"};
  }
  if (root.exists("/sys/module/overlay")) {
    return Fact{.value = true, .source = "/sys/module/overlay"};
  }
  const std::string dep = "/lib/modules/" + release + "/modules.dep";
  if (!release.empty()) {
    if (const auto text = root.read(dep); text && text->find("/overlay.ko") != std::string::npos) {
      return Fact{.value = true, .source = dep};
    }
  }
  if (known.empty()) {
    return std::nullopt;
  }
  return Fact{.value = false, .source = "/proc/filesystems"};
}

}  // namespace

std::string sysctl_path(std::string_view name) {
  std::string path = "/proc/sys/" + std::string(name);
  std::ranges::replace(path, '.', '/');
  return path;
}

std::optional<json> read_sysctl(const Root& root, std::string_view name) {
  const auto text = root.read(sysctl_path(name));
  if (!text) {
    return std::nullopt;
  }
  const std::string_view value = sys::trim(*text);
  long long number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec == std::errc() && end == value.data() + value.size() && !value.empty()) {
    return number;
  }
  return std::string(value);
}

std::optional<UsernsVerdict> unprivileged_userns(const UsernsGates& gates) {
  if (gates.user_ns == false) {
    return UsernsVerdict{.allowed = false, .source = "/proc/self/ns"};
  }
  if (gates.unprivileged_clone == 0) {
    return UsernsVerdict{.allowed = false, .source = sysctl_path("kernel.unprivileged_userns_clone")};
  }
  if (gates.max_user_namespaces == 0) {
    return UsernsVerdict{.allowed = false, .source = sysctl_path("user.max_user_namespaces")};
  }
  // Ubuntu lets an unprivileged process create the namespace but drops every
  // capability in it unless an AppArmor profile allows "userns": as good as no.
  if (gates.apparmor_restrict.has_value() && *gates.apparmor_restrict != 0) {
    return UsernsVerdict{.allowed = false,
                         .source = sysctl_path("kernel.apparmor_restrict_unprivileged_userns")};
  }
  if (gates.max_user_namespaces.has_value()) {
    return UsernsVerdict{.allowed = true, .source = sysctl_path("user.max_user_namespaces")};
  }
  if (gates.unprivileged_clone.has_value()) {
    return UsernsVerdict{.allowed = true, .source = sysctl_path("kernel.unprivileged_userns_clone")};
  }
  return std::nullopt;
}

void add_namespace_facts(const Root& root, Facts& facts) {
  const std::vector<std::string> present = root.list("/proc/self/ns");
  UsernsGates gates{.user_ns = std::nullopt,
                    .unprivileged_clone = sysctl_number(root, "kernel.unprivileged_userns_clone"),
                    .max_user_namespaces = sysctl_number(root, "user.max_user_namespaces"),
                    .apparmor_restrict = sysctl_number(root, "kernel.apparmor_restrict_unprivileged_userns")};
  if (!present.empty()) {
    for (const std::string_view name : kNamespaces) {
      add(facts, "namespaces." + std::string(name), std::ranges::find(present, name) != present.end(),
          "/proc/self/ns");
    }
    gates.user_ns = std::ranges::find(present, "user") != present.end();
  }
  if (const auto verdict = unprivileged_userns(gates)) {
    add(facts, "userns.unprivileged", verdict->allowed, verdict->source);
  }
}

void add_cgroup_facts(const Root& root, Facts& facts) {
  const std::string mountinfo_path = "/proc/self/mountinfo";
  const auto mountinfo = root.read(mountinfo_path);
  if (!mountinfo) {
    return;
  }
  const auto mounts = parse_cgroup_mounts(*mountinfo);
  if (!mounts) {
    return;  // a line this parser does not understand: better no fact than a wrong one
  }
  add(facts, "cgroup.layout", layout_name(mounts->layout), mountinfo_path);
  std::set<std::string> controllers;
  for (const auto& [name, point] : mounts->v1) {
    if (!name.starts_with("name=")) {
      controllers.insert(name);
    }
  }
  std::string source = mountinfo_path;
  if (!mounts->unified.empty()) {
    const std::string file = sys::join_path(mounts->unified, "cgroup.controllers");
    if (const auto text = root.read(file)) {
      const std::vector<std::string> names = words(*text);
      controllers.insert(names.begin(), names.end());
      source += ", " + file;
    }
  }
  add(facts, "cgroup.controllers", controllers, source);
}

void add_security_facts(const Root& root, Facts& facts) {
  const std::string actions_path = "/proc/sys/kernel/seccomp/actions_avail";
  if (const auto actions = root.read(actions_path)) {
    const std::vector<std::string> names = words(*actions);
    add(facts, "seccomp.filter", names, actions_path);
    add(facts, "seccomp.user_notify", std::ranges::find(names, "user_notif") != names.end(), actions_path);
  }
  if (root.is_live()) {
    add(facts, "landlock.abi", landlock_abi(), "landlock_create_ruleset(2)");
  }
  // In the kernel's order: the order LSMs stack in.
  const std::string lsm_path = "/sys/kernel/security/lsm";
  if (const auto lsm = root.read(lsm_path)) {
    add(facts, "lsm", words(*lsm, ','), lsm_path);
  }
}

void add_feature_facts(const Root& root, const std::string& release, Facts& facts) {
  // 0: everyone may; 1: only the io_uring_group and CAP_SYS_ADMIN; 2: no one.
  if (const auto disabled = read_sysctl(root, "kernel.io_uring_disabled")) {
    add(facts, "io_uring.enabled", *disabled == 0, sysctl_path("kernel.io_uring_disabled"));
  }
  const auto text = root.read("/proc/filesystems");
  const std::vector<std::string> known = text ? filesystems(*text) : std::vector<std::string>{};
  if (text) {
    add(facts, "filesystems", known, "/proc/filesystems");
  }
  if (auto overlay = overlay_fact(root, release, known)) {
    add(facts, "overlayfs", std::move(overlay->value), std::move(overlay->source));
  }
  if (root.is_dir("/sys/kernel")) {
    add(facts, "btf", root.exists("/sys/kernel/btf/vmlinux"), "/sys/kernel/btf/vmlinux");
  }
}

void add_sysctl_facts(const Root& root, Facts& facts) {
  for (const std::string_view name : kSysctls) {
    if (auto value = read_sysctl(root, name)) {
      add(facts, "sysctl." + std::string(name), std::move(*value), sysctl_path(name));
    }
  }
}

}  // namespace strata::probe::kern
