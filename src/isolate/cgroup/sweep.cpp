// A strata killed with SIGKILL cannot remove its run's cgroups. The next
// run that creates cgroups removes those of runs whose strata is gone.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>

#include "isolate/cgroup/cgroup.hpp"

namespace strata {

namespace {

// The pid in "strata-<pid>-<random>", or 0.
pid_t owner_of(std::string_view name) {
  static constexpr std::string_view kPrefix = "strata-";
  if (!name.starts_with(kPrefix)) {
    return 0;
  }
  name.remove_prefix(kPrefix.size());
  pid_t pid = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  return ec == std::errc() && ptr != name.data() + name.size() && *ptr == '-' ? pid : 0;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

int sweep_stale_cgroups(const CgroupMounts& mounts) {
  int removed = 0;
  for (const auto& [key, own] : mounts.own) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(own.dir, ec)) {
      const pid_t owner = owner_of(entry.path().filename().native());
      // Only empty directories of dead owners: rmdir fails on anything else.
      if (owner > 0 && owner != ::getpid() && !alive(owner) && ::rmdir(entry.path().c_str()) == 0) {
        ++removed;
      }
    }
  }
  return removed;
}

}  // namespace strata
