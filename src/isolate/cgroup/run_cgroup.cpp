// Creating, joining and removing a run's cgroups, in the hierarchies
// place_cgroups chose.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>

#include "base/log.hpp"
#include "isolate/cgroup/cgroup.hpp"
#include "isolate/cgroup/cgroupfs.hpp"
#include "isolate/cgroup/placement.hpp"

namespace strata {

namespace {

std::string run_name() {
  std::uint32_t random = 0;
  if (::getrandom(&random, sizeof random, GRND_NONBLOCK) != sizeof random) {
    random = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return fmt::format("strata-{}-{:08x}", ::getpid(), random);
}

// The controllers a v2 cgroup may enable for its children.
Result<std::set<std::string>> v2_controllers(const OwnCgroup& own) {
  auto text = read_text_file(join_path(own.dir, "cgroup.controllers"));
  if (!text) {
    return std::unexpected(text.error());
  }
  return words(*text);
}

// Turns `controller` on in the parent's subtree_control, so the new child
// gets its files.
Result<> enable(int parent, const OwnCgroup& own, const std::string& controller) {
  auto enabled = read_cgroup_file(parent, "cgroup.subtree_control", own.dir);
  if (enabled && *enabled && words(**enabled).contains(controller)) {
    return {};
  }
  auto ok = write_cgroup_file(parent, "cgroup.subtree_control", "+" + controller, own.dir,
                              "enable cgroup controller " + controller + " in");
  if (!ok && ok.error().err == EBUSY) {
    ok.error().detail =
        "the cgroup holds processes itself, and cgroup v2 gives controllers only to cgroups without "
        "(run strata from a cgroup of its own, e.g. systemd-run --scope -p Delegate=yes)";
  }
  return ok;
}

Result<> enable_all(int parent, const DirPlan& plan) {
  for (const auto& controller : plan.controllers) {
    if (auto ok = enable(parent, plan.parent, controller); !ok) {
      return ok;
    }
  }
  for (const auto& controller : plan.optional) {
    // Only for usage(); a parent that refuses it just means no memory.peak.
    if (auto ok = enable(parent, plan.parent, controller); !ok) {
      log::debug("cgroup: {}", ok.error().message());
    }
  }
  return {};
}

// The controllers that act on a new v2 cgroup: the ones its parent enabled.
std::vector<std::string> active_v2(const CgroupDir& dir, const DirPlan& plan) {
  auto text = read_cgroup_file(dir.fd.get(), "cgroup.controllers", dir.path);
  if (!text || !*text) {
    return plan.controllers;
  }
  const auto active = words(**text);
  return {active.begin(), active.end()};
}

Result<CgroupDir> make_dir(const DirPlan& plan, const std::string& name) {
  auto parent = open_cgroup_dir(AT_FDCWD, plan.parent.dir, plan.parent.dir);
  if (!parent) {
    return std::unexpected(parent.error());
  }
  CgroupDir dir{.path = join_path(plan.parent.dir, name),
                .cgroup_path = join_path(plan.parent.path, name),
                .controllers = plan.controllers,
                .v2 = plan.v2,
                .parent = std::move(*parent)};
  if (plan.v2) {
    if (auto ok = enable_all(dir.parent.get(), plan); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (::mkdirat(dir.parent.get(), name.c_str(), 0755) != 0) {
    return fail_errno("create cgroup", dir.path);
  }
  auto fd = open_cgroup_dir(dir.parent.get(), name, dir.path);
  if (!fd) {
    ::unlinkat(dir.parent.get(), name.c_str(), AT_REMOVEDIR);
    return std::unexpected(fd.error());
  }
  dir.fd = std::move(*fd);
  if (plan.v2) {
    dir.controllers = active_v2(dir, plan);
  }
  return dir;
}

// Where there is no caller left to tell: a cgroup left behind is worth a line.
void warn_if_failed(const Result<>& removed) {
  if (!removed) {
    log::warn("{}", removed.error().message());
  }
}

}  // namespace

RunCgroup::RunCgroup(std::string name) : name_(std::move(name)), owner_(::getpid()) {}

RunCgroup::RunCgroup(RunCgroup&& other) noexcept
    : name_(std::move(other.name_)), dirs_(std::exchange(other.dirs_, {})), owner_(other.owner_) {}

RunCgroup& RunCgroup::operator=(RunCgroup&& other) noexcept {
  if (this != &other) {
    warn_if_failed(remove());
    name_ = std::move(other.name_);
    dirs_ = std::exchange(other.dirs_, {});
    owner_ = other.owner_;
  }
  return *this;
}

RunCgroup::~RunCgroup() {
  warn_if_failed(remove());
}

Result<RunCgroup> RunCgroup::create(const CgroupMounts& mounts, const CgroupLimits& limits) {
  auto writes = limit_writes(limits, false);
  if (!writes) {
    return std::unexpected(writes.error());
  }
  std::set<std::string> limited;
  for (const auto& write : *writes) {
    limited.insert(write.controller);
  }
  std::set<std::string> v2_available;
  if (const auto own_v2 = mounts.own.find(""); own_v2 != mounts.own.end()) {
    auto controllers = v2_controllers(own_v2->second);
    if (!controllers) {
      return std::unexpected(controllers.error());
    }
    v2_available = std::move(*controllers);
  }
  auto placement = place_cgroups(mounts, limited, v2_available);
  if (!placement) {
    return std::unexpected(placement.error());
  }
  // From here on the destructor removes whatever was made.
  RunCgroup cgroup(run_name());
  if (auto ok = cgroup.make_dirs(*placement); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = cgroup.write_limits(*placement, limits); !ok) {
    return std::unexpected(ok.error());
  }
  return cgroup;
}

std::optional<RunCgroup> RunCgroup::reclaim(const CgroupMounts& mounts, const std::string& name) {
  RunCgroup cgroup(name);
  for (const auto& [key, own] : mounts.own) {
    auto parent = open_cgroup_dir(AT_FDCWD, own.dir, own.dir);
    auto fd = parent ? open_cgroup_dir(parent->get(), name, join_path(own.dir, name))
                     : std::unexpected(parent.error());
    if (!fd) {
      continue;
    }
    CgroupDir dir{.path = join_path(own.dir, name),
                  .cgroup_path = join_path(own.path, name),
                  .v2 = key.empty(),
                  .parent = std::move(*parent),
                  .fd = std::move(*fd)};
    if (dir.v2) {
      auto active = read_cgroup_file(dir.fd.get(), "cgroup.controllers", dir.path);
      if (active && *active) {
        const auto controllers = words(**active);
        dir.controllers.assign(controllers.begin(), controllers.end());
      }
    } else {
      for (const auto controller : split(key, ',')) {
        dir.controllers.emplace_back(controller);
      }
    }
    cgroup.dirs_.push_back(std::move(dir));
  }
  if (cgroup.dirs_.empty()) {
    return std::nullopt;
  }
  return cgroup;
}

Result<> RunCgroup::make_dirs(const CgroupPlacement& placement) {
  std::optional<Error> first_error;
  for (const auto& dir_plan : placement.dirs) {
    auto dir = make_dir(dir_plan, name_);
    if (dir) {
      dirs_.push_back(std::move(*dir));
    } else if (dir_plan.required) {
      return std::unexpected(dir.error());
    } else if (!first_error) {
      first_error = dir.error();
    }
  }
  if (dirs_.empty()) {
    return first_error ? std::unexpected(*first_error)
                       : fail("create cgroup", name_, "the caller's cgroup is in no mounted hierarchy");
  }
  return {};
}

Result<> RunCgroup::write_limits(const CgroupPlacement& placement, const CgroupLimits& limits) {
  for (const bool v2 : {false, true}) {
    auto writes = limit_writes(limits, v2);
    if (!writes) {
      return std::unexpected(writes.error());
    }
    for (const auto& write : *writes) {
      if (placement.on_v2.at(write.controller) != v2) {
        continue;
      }
      const CgroupDir* dir = serving(write.controller, v2);
      if (dir == nullptr) {
        return fail("set cgroup limit", write.file,
                    "no cgroup of the run has the " + write.controller + " controller");
      }
      if (!write.required && !has_cgroup_file(dir->fd.get(), write.file)) {
        continue;
      }
      if (auto ok = write_cgroup_file(dir->fd.get(), write.file, write.value, dir->path, "set cgroup limit");
          !ok) {
        return ok;
      }
    }
  }
  return {};
}

Result<> RunCgroup::add(pid_t pid) {
  const std::string text = std::to_string(pid);
  for (const auto& dir : dirs_) {
    if (auto ok =
            write_cgroup_file(dir.fd.get(), "cgroup.procs", text, dir.path, "move process " + text + " into");
        !ok) {
      return ok;
    }
  }
  return {};
}

Result<> RunCgroup::remove() {
  if (dirs_.empty() || owner_ != ::getpid()) {
    return {};
  }
  Result<> result = kill_all();
  std::vector<CgroupDir> left;
  for (auto& dir : dirs_) {
    if (auto ok = remove_cgroup_tree(dir.parent.get(), name_, dir.path); !ok) {
      if (result) {
        result = ok;
      }
      left.push_back(std::move(dir));
    }
  }
  dirs_ = std::move(left);
  return result;
}

int RunCgroup::v2_dirfd() const {
  const CgroupDir* dir = v2_dir();
  return dir == nullptr ? -1 : dir->fd.get();
}

std::vector<int> RunCgroup::descriptors() const {
  std::vector<int> fds;
  for (const auto& dir : dirs_) {
    fds.push_back(dir.parent.get());
    fds.push_back(dir.fd.get());
  }
  return fds;
}

std::vector<std::string> RunCgroup::directories() const {
  std::vector<std::string> paths;
  paths.reserve(dirs_.size());
  for (const auto& dir : dirs_) {
    paths.push_back(dir.path);
  }
  return paths;
}

std::string RunCgroup::directory_for(std::string_view controller) const {
  const CgroupDir* dir = serving(controller);
  return dir == nullptr ? std::string() : dir->path;
}

const CgroupDir* RunCgroup::serving(std::string_view controller, std::optional<bool> v2) const {
  for (const auto& dir : dirs_) {
    if ((!v2 || dir.v2 == *v2) && std::ranges::find(dir.controllers, controller) != dir.controllers.end()) {
      return &dir;
    }
  }
  return nullptr;
}

const CgroupDir* RunCgroup::v2_dir() const {
  const auto found = std::ranges::find(dirs_, true, &CgroupDir::v2);
  return found == dirs_.end() ? nullptr : &*found;
}

}  // namespace strata
