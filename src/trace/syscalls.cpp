#include "trace/syscalls.hpp"

#include <fmt/format.h>
#include <seccomp.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

namespace strata::trace {

namespace {

// The first release of each call comes from its man page (VERSIONS) and the
// kernel's history; only calls newer than glibc's minimum kernel (3.2) or
// that show a feature are listed. libc_fallback: glibc retries another way
// on ENOSYS (clone3 -> clone, faccessat2 -> faccessat, statx -> fstatat,
// close_range in closefrom -> /proc/self/fd, rseq -> no registration,
// getrandom in malloc -> no randomness, preadv2/pwritev2/mlock2 with no
// flags -> the older call, fchmodat2 -> fchmodat). A program calling the
// new call itself through syscall(2) gets ENOSYS either way.
constexpr auto kTable = std::to_array<SyscallFacts>({
    {"bpf", {3, 18, 0}, "bpf", false},
    {"cachestat", {6, 5, 0}, "", false},
    {"clone3", {5, 3, 0}, "", true},
    {"close_range", {5, 9, 0}, "", true},
    {"copy_file_range", {4, 5, 0}, "", false},
    {"epoll_pwait2", {5, 11, 0}, "", false},
    {"execveat", {3, 19, 0}, "", false},
    {"faccessat2", {5, 8, 0}, "", true},
    {"fanotify_init", {2, 6, 37}, "fanotify", false},
    {"fchmodat2", {6, 6, 0}, "", true},
    {"finit_module", {3, 8, 0}, "", false},
    {"fsconfig", {5, 2, 0}, "mount_api", false},
    {"fsmount", {5, 2, 0}, "mount_api", false},
    {"fsopen", {5, 2, 0}, "mount_api", false},
    {"fspick", {5, 2, 0}, "mount_api", false},
    {"futex_requeue", {6, 7, 0}, "", false},
    {"futex_wait", {6, 7, 0}, "", false},
    {"futex_waitv", {5, 16, 0}, "", false},
    {"futex_wake", {6, 7, 0}, "", false},
    {"getrandom", {3, 17, 0}, "", true},
    {"io_pgetevents", {4, 18, 0}, "", false},
    {"io_uring_enter", {5, 1, 0}, "io_uring", false},
    {"io_uring_register", {5, 1, 0}, "io_uring", false},
    {"io_uring_setup", {5, 1, 0}, "io_uring", false},
    {"kcmp", {3, 5, 0}, "", false},
    {"landlock_add_rule", {5, 13, 0}, "landlock", false},
    {"landlock_create_ruleset", {5, 13, 0}, "landlock", false},
    {"landlock_restrict_self", {5, 13, 0}, "landlock", false},
    {"listmount", {6, 8, 0}, "", false},
    {"lsm_get_self_attr", {6, 8, 0}, "", false},
    {"lsm_list_modules", {6, 8, 0}, "", false},
    {"lsm_set_self_attr", {6, 8, 0}, "", false},
    {"map_shadow_stack", {6, 6, 0}, "", false},
    {"membarrier", {4, 3, 0}, "", false},
    {"memfd_create", {3, 17, 0}, "", false},
    {"memfd_secret", {5, 14, 0}, "", false},
    {"mlock2", {4, 4, 0}, "", true},
    {"mount_setattr", {5, 12, 0}, "mount_api", false},
    {"move_mount", {5, 2, 0}, "mount_api", false},
    {"mseal", {6, 10, 0}, "", false},
    {"open_tree", {5, 2, 0}, "mount_api", false},
    {"openat2", {5, 6, 0}, "", false},
    {"perf_event_open", {2, 6, 31}, "perf_event", false},
    {"pidfd_getfd", {5, 6, 0}, "pidfd", false},
    {"pidfd_open", {5, 3, 0}, "pidfd", false},
    {"pidfd_send_signal", {5, 1, 0}, "pidfd", false},
    {"pkey_alloc", {4, 9, 0}, "", false},
    {"pkey_free", {4, 9, 0}, "", false},
    {"pkey_mprotect", {4, 9, 0}, "", false},
    {"preadv2", {4, 6, 0}, "", true},
    {"process_madvise", {5, 10, 0}, "", false},
    {"process_mrelease", {5, 15, 0}, "", false},
    {"pwritev2", {4, 6, 0}, "", true},
    {"quotactl_fd", {5, 14, 0}, "", false},
    {"renameat2", {3, 15, 0}, "", false},
    {"rseq", {4, 18, 0}, "", true},
    {"sched_getattr", {3, 14, 0}, "", false},
    {"sched_setattr", {3, 14, 0}, "", false},
    {"seccomp", {3, 17, 0}, "seccomp", false},
    {"set_mempolicy_home_node", {5, 17, 0}, "", false},
    {"setns", {3, 0, 0}, "", false},
    {"statmount", {6, 8, 0}, "", false},
    {"statx", {4, 11, 0}, "", true},
    {"userfaultfd", {4, 3, 0}, "userfaultfd", false},
});

constexpr bool sorted_by_name() {
  return std::ranges::is_sorted(kTable, {}, &SyscallFacts::name) &&
         std::ranges::adjacent_find(kTable, {}, &SyscallFacts::name) == kTable.end();
}
static_assert(sorted_by_name(), "kTable must be sorted by name, each name once");

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }  // NOLINT: libseccomp allocates with malloc
};

}  // namespace

std::span<const SyscallFacts> syscall_table() {
  return kTable;
}

const SyscallFacts* syscall_facts(std::string_view name) {
  const auto* it = std::ranges::lower_bound(kTable, name, {}, &SyscallFacts::name);
  return it != kTable.end() && it->name == name ? &*it : nullptr;
}

std::string syscall_name(std::uint32_t arch, int nr) {
  const std::unique_ptr<char, FreeDeleter> name(seccomp_syscall_resolve_num_arch(arch, nr));
  if (!name) {
    return fmt::format("syscall_{}", nr);
  }
  return name.get();
}

std::string release_string(const KernelRelease& release) {
  if (release[2] == 0) {
    return fmt::format("{}.{}", release[0], release[1]);
  }
  return fmt::format("{}.{}.{}", release[0], release[1], release[2]);
}

std::optional<KernelRelease> parse_release(std::string_view text) {
  KernelRelease out{};
  std::size_t part = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (part < out.size() && p < end) {
    auto [next, ec] = std::from_chars(p, end, out.at(part));
    if (ec != std::errc{}) {
      break;
    }
    ++part;
    p = next;
    if (p == end || *p != '.') {
      break;
    }
    ++p;
  }
  if (part == 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace strata::trace
