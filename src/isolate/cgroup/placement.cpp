#include "isolate/cgroup/placement.hpp"

#include <array>

#include "isolate/cgroup/cgroupfs.hpp"

namespace strata {

namespace {

// Not needed by a limit, but used when there: the freezer kills reliably
// where there is no cgroup.kill, cpuacct and memory measure the run.
constexpr std::array<std::string_view, 3> kV1Helpers{"freezer", "cpuacct", "memory"};

std::string limit_flag(const std::string& controller) {
  return controller == "cpu" ? "cpus" : controller;
}

// Puts each limited controller where the kernel has it: v1 if mounted there
// (in hybrid mode a v1-bound controller is absent from v2), else v2.
Result<std::map<std::string, bool>> place_limited(const CgroupMounts& mounts,
                                                  const std::set<std::string>& limited,
                                                  const std::set<std::string>& on_v2) {
  std::map<std::string, bool> placed;
  for (const auto& controller : limited) {
    if (mounts.layout != CgroupLayout::v2 && mounts.v1.contains(controller) &&
        mounts.own.contains(controller)) {
      placed[controller] = false;
    } else if (on_v2.contains(controller)) {
      placed[controller] = true;
    } else if (mounts.layout != CgroupLayout::v2 && mounts.v1.contains(controller)) {
      return fail("find own cgroup for controller " + controller, "/proc/self/cgroup",
                  "it lies outside what the mount at '" + mounts.v1.at(controller) + "' shows; the " +
                      limit_flag(controller) + " limit cannot be enforced");
    } else {
      const bool v2 = mounts.own.contains("");
      return fail("find cgroup controller " + controller,
                  v2 ? join_path(mounts.own.at("").dir, "cgroup.controllers") : "/proc/self/mountinfo",
                  "neither mounted as cgroup v1 nor available in cgroup v2; the " + limit_flag(controller) +
                      " limit cannot be enforced");
    }
  }
  return placed;
}

// The v1 directories, one per mounted hierarchy (cpu and cpuacct are often
// one), for the limited controllers and the helpers.
void plan_v1(const CgroupMounts& mounts, const std::map<std::string, bool>& placed,
             std::vector<DirPlan>& dirs) {
  if (mounts.layout == CgroupLayout::v2) {
    return;
  }
  std::map<std::string, DirPlan> by_mount;
  const auto want = [&](const std::string& controller, bool required) {
    if (!mounts.v1.contains(controller) || !mounts.own.contains(controller)) {
      return;
    }
    DirPlan& dir = by_mount[mounts.v1.at(controller)];
    dir.parent = mounts.own.at(controller);
    dir.required = dir.required || required;
  };
  for (const auto& [controller, v2] : placed) {
    if (!v2) {
      want(controller, true);
    }
  }
  for (const auto helper : kV1Helpers) {
    want(std::string(helper), false);
  }
  for (auto& [point, dir] : by_mount) {
    for (const auto& [controller, mounted_at] : mounts.v1) {
      if (mounted_at == point) {
        dir.controllers.push_back(controller);
      }
    }
    dirs.push_back(std::move(dir));
  }
}

}  // namespace

Result<CgroupPlacement> place_cgroups(const CgroupMounts& mounts, const std::set<std::string>& limited,
                                      const std::set<std::string>& v2_available) {
  if (mounts.layout == CgroupLayout::none) {
    return fail("find cgroup hierarchies", "/proc/self/mountinfo", "no cgroup file system is mounted");
  }
  auto placed = place_limited(mounts, limited, v2_available);
  if (!placed) {
    return std::unexpected(placed.error());
  }
  CgroupPlacement placement{.on_v2 = *placed};
  // In hybrid mode the v2 directory holds no controller, but still gives
  // cgroup.kill and CLONE_INTO_CGROUP.
  if (const auto own_v2 = mounts.own.find(""); own_v2 != mounts.own.end()) {
    DirPlan v2{.parent = own_v2->second, .v2 = true, .required = mounts.layout == CgroupLayout::v2};
    for (const auto& [controller, in_v2] : *placed) {
      if (in_v2) {
        v2.controllers.push_back(controller);
        v2.required = true;
      }
    }
    if (v2_available.contains("memory") && !placed->contains("memory")) {
      v2.optional.emplace_back("memory");  // for memory.peak and memory.events
    }
    placement.dirs.push_back(std::move(v2));
  }
  plan_v1(mounts, *placed, placement.dirs);
  return placement;
}

std::set<std::string> words(std::string_view text) {
  std::set<std::string> out;
  for (const auto line : split(text, '\n')) {
    for (const auto word : split(line, ' ')) {
      if (!word.empty()) {
        out.emplace(word);
      }
    }
  }
  return out;
}

}  // namespace strata
