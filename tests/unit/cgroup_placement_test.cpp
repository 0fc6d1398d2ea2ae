// Which hierarchies get a directory for which limits, on v1, v2 and hybrid
// machines, before anything touches cgroupfs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "isolate/cgroup/placement.hpp"

namespace strata {
namespace {

CgroupMounts located(const std::string& machine) {
  const auto read = [](const std::string& name) {
    std::ifstream in(std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "cgroup" / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  auto mounts = parse_cgroup_mounts(read("mountinfo_" + machine + ".txt"));
  auto hierarchies = parse_proc_cgroup(read("proc_cgroup_" + machine + ".txt"));
  EXPECT_TRUE(mounts && hierarchies) << machine;
  return locate_own_cgroups(*mounts, *hierarchies);
}

const std::set<std::string> kAllLimited{"cpu", "memory", "pids"};

// "v2:cpu,memory(+memory?)! /parent" per directory; "!" marks a required one.
std::string describe(const CgroupPlacement& placement) {
  std::string out;
  for (const auto& dir : placement.dirs) {
    out += dir.v2 ? "v2:" : "v1:";
    for (const auto& controller : dir.controllers) {
      out += controller + ",";
    }
    for (const auto& controller : dir.optional) {
      out += controller + "?,";
    }
    out += (dir.required ? "! " : " ") + dir.parent.dir + "\n";
  }
  return out;
}

TEST(CgroupPlacement, HybridPutsLimitsInV1AndKeepsV2ForKilling) {
  const auto placement = place_cgroups(located("this_machine"), kAllLimited, {});
  ASSERT_TRUE(placement) << placement.error().message();
  EXPECT_EQ(describe(*placement),
            "v2: /sys/fs/cgroup/unified\n"
            "v1:cpu,! /sys/fs/cgroup/cpu\n"
            "v1:cpuacct, /sys/fs/cgroup/cpuacct\n"
            "v1:freezer, /sys/fs/cgroup/freezer\n"
            "v1:memory,! /sys/fs/cgroup/memory/process_api/dc9d791a9548d8db4da58bd5649ddafa\n"
            "v1:pids,! /sys/fs/cgroup/pids\n");
  EXPECT_FALSE(placement->on_v2.at("memory"));
}

TEST(CgroupPlacement, CoMountedControllersShareADirectory) {
  const auto placement = place_cgroups(located("v1"), {"cpu"}, {});
  ASSERT_TRUE(placement) << placement.error().message();
  EXPECT_EQ(describe(*placement),
            "v1:cpu,cpuacct,! /sys/fs/cgroup/cpu,cpuacct/user.slice\n"
            "v1:freezer, /sys/fs/cgroup/freezer\n"
            "v1:memory, /sys/fs/cgroup/memory/user.slice\n");
}

TEST(CgroupPlacement, V2EnablesWhatTheLimitsNeed) {
  const auto placement = place_cgroups(located("v2"), kAllLimited, {"cpu", "io", "memory", "pids"});
  ASSERT_TRUE(placement) << placement.error().message();
  EXPECT_EQ(describe(*placement),
            "v2:cpu,memory,pids,! "
            "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/strata-dev.scope\n");
  EXPECT_TRUE(placement->on_v2.at("pids"));
}

TEST(CgroupPlacement, V2WithoutLimitsStillMeasuresMemory) {
  const auto placement = place_cgroups(located("v2"), {}, {"memory", "pids"});
  ASSERT_TRUE(placement);
  ASSERT_EQ(placement->dirs.size(), 1U);
  EXPECT_TRUE(placement->dirs[0].required);
  EXPECT_EQ(placement->dirs[0].optional, std::vector<std::string>{"memory"});
}

TEST(CgroupPlacement, AMissingControllerFailsNamingTheFile) {
  const auto placement = place_cgroups(located("v2"), {"memory", "pids"}, {"pids"});
  ASSERT_FALSE(placement);
  EXPECT_EQ(placement.error().path,
            "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/strata-dev.scope/"
            "cgroup.controllers");
  EXPECT_NE(placement.error().message().find("memory limit cannot be enforced"), std::string::npos);
}

TEST(CgroupPlacement, AControllerOutsideTheMountFails) {
  // The container's freezer mount shows another part of the hierarchy.
  const auto mounts = located("container");
  const auto without_freezer = place_cgroups(mounts, {"memory"}, {});
  ASSERT_TRUE(without_freezer) << without_freezer.error().message();
  EXPECT_EQ(describe(*without_freezer).find("freezer"), std::string::npos);
  auto no_pids = mounts;
  no_pids.own.erase("pids");
  const auto placement = place_cgroups(no_pids, {"pids"}, {});
  ASSERT_FALSE(placement);
  EXPECT_EQ(placement.error().path, "/proc/self/cgroup");
}

TEST(CgroupPlacement, NoHierarchyAtAll) {
  const auto placement = place_cgroups(CgroupMounts{}, {}, {});
  ASSERT_FALSE(placement);
  EXPECT_EQ(placement.error().path, "/proc/self/mountinfo");
}

TEST(CgroupPlacement, ControllerWords) {
  EXPECT_EQ(words("cpuset cpu io memory pids\n"),
            (std::set<std::string>{"cpu", "cpuset", "io", "memory", "pids"}));
  EXPECT_TRUE(words("\n").empty());
}

}  // namespace
}  // namespace strata
