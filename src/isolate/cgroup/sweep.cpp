// A strata killed with SIGKILL cannot remove its run's cgroups. The next
// run that creates cgroups removes those of runs whose strata is gone.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <set>

#include "base/log.hpp"
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
  std::set<std::string> stale;
  for (const auto& [key, own] : mounts.own) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(own.dir, ec)) {
      const std::string name = entry.path().filename().native();
      const pid_t owner = owner_of(name);
      if (owner > 0 && owner != ::getpid() && !alive(owner)) {
        stale.insert(name);
      }
    }
  }
  int removed = 0;
  for (const auto& name : stale) {
    auto cgroup = RunCgroup::reclaim(mounts, name);
    if (!cgroup) {
      continue;
    }
    if (auto ok = cgroup->remove(); ok) {
      ++removed;
    } else {
      log::debug("sweep of a dead run's cgroup: {}", ok.error().message());
    }
  }
  return removed;
}

}  // namespace strata
