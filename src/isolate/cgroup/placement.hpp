// Which hierarchies a run's cgroup needs a directory in, decided from the
// mounts before anything is created, so an unenforceable limit fails first.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "isolate/cgroup/cgroup.hpp"

namespace strata {

// One directory to create, in the v2 hierarchy or in one v1 hierarchy.
struct DirPlan {
  OwnCgroup parent;
  bool v2 = false;
  bool required = false;                 // false: skipped when it cannot be made
  std::vector<std::string> controllers;  // v1: the hierarchy's; v2: the ones to enable
  std::vector<std::string> optional;     // v2: enabled when the parent lets us
};

struct CgroupPlacement {
  std::map<std::string, bool> on_v2;  // a limited controller -> whether v2 holds it
  std::vector<DirPlan> dirs;
};

// `limited`: the controllers the limits write to. `v2_available`: the
// caller's v2 cgroup.controllers (empty without v2). Pure.
Result<CgroupPlacement> place_cgroups(const CgroupMounts& mounts, const std::set<std::string>& limited,
                                      const std::set<std::string>& v2_available);

// The space- and line-separated words of a cgroup.controllers file.
std::set<std::string> words(std::string_view text);

}  // namespace strata
