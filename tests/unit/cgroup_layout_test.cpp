// Finding the cgroup hierarchies from mountinfo and /proc/self/cgroup, with
// fixtures taken from v1, v2 and hybrid machines and from a container.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "isolate/cgroup/cgroup.hpp"

namespace strata {
namespace {

std::string fixture(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "cgroup" / name;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing fixture " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CgroupMounts located(const std::string& machine) {
  auto mounts = parse_cgroup_mounts(fixture("mountinfo_" + machine + ".txt"));
  EXPECT_TRUE(mounts) << mounts.error().message();
  auto hierarchies = parse_proc_cgroup(fixture("proc_cgroup_" + machine + ".txt"));
  EXPECT_TRUE(hierarchies) << hierarchies.error().message();
  return locate_own_cgroups(*mounts, *hierarchies);
}

TEST(CgroupMounts, V1OnlyWithCoMountedControllers) {
  const auto mounts = located("v1");
  EXPECT_EQ(mounts.layout, CgroupLayout::v1);
  EXPECT_TRUE(mounts.unified.empty());
  EXPECT_EQ(mounts.v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.v1.at("net_prio"), "/sys/fs/cgroup/net_cls,net_prio");
  EXPECT_EQ(mounts.v1.at("name=systemd"), "/sys/fs/cgroup/systemd");
  // Mount options that are not controllers stay out.
  EXPECT_FALSE(mounts.v1.contains("xattr"));
  EXPECT_FALSE(mounts.v1.contains("rw"));
  EXPECT_FALSE(mounts.own.contains(""));
  EXPECT_EQ(mounts.own.at("memory").dir, "/sys/fs/cgroup/memory/user.slice");
  EXPECT_EQ(mounts.own.at("memory").path, "/user.slice");
  EXPECT_EQ(mounts.own.at("cpu").dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  EXPECT_EQ(mounts.own.at("cpuacct").dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  EXPECT_EQ(mounts.own.at("freezer").dir, "/sys/fs/cgroup/freezer");
  EXPECT_EQ(mounts.own.at("name=systemd").dir,
            "/sys/fs/cgroup/systemd/user.slice/user-1000.slice/session-3.scope");
}

TEST(CgroupMounts, V2Only) {
  const auto mounts = located("v2");
  EXPECT_EQ(mounts.layout, CgroupLayout::v2);
  EXPECT_EQ(mounts.unified, "/sys/fs/cgroup");
  EXPECT_TRUE(mounts.v1.empty());
  EXPECT_EQ(mounts.own.at("").dir,
            "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/strata-dev.scope");
  EXPECT_EQ(mounts.own.at("").path,
            "/user.slice/user-1000.slice/user@1000.service/app.slice/strata-dev.scope");
}

TEST(CgroupMounts, HybridLikeUbuntu) {
  const auto mounts = located("hybrid");
  EXPECT_EQ(mounts.layout, CgroupLayout::hybrid);
  EXPECT_EQ(mounts.unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts.own.at("").dir, "/sys/fs/cgroup/unified/user.slice/user-1000.slice/session-2.scope");
  EXPECT_EQ(mounts.own.at("memory").dir, "/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-2.scope");
  EXPECT_EQ(mounts.own.at("freezer").dir, "/sys/fs/cgroup/freezer");
}

// This machine: every controller in its own v1 hierarchy, an empty v2 one,
// and a memory cgroup that is not the root.
TEST(CgroupMounts, HybridWithNestedMemoryCgroup) {
  const auto mounts = located("this_machine");
  EXPECT_EQ(mounts.layout, CgroupLayout::hybrid);
  EXPECT_EQ(mounts.unified, "/sys/fs/cgroup/unified");
  for (const char* controller :
       {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"}) {
    EXPECT_EQ(mounts.v1.at(controller), std::string("/sys/fs/cgroup/") + controller);
  }
  EXPECT_EQ(mounts.v1.at("name=systemd"), "/sys/fs/cgroup/systemd");
  EXPECT_EQ(mounts.own.at("memory").dir,
            "/sys/fs/cgroup/memory/process_api/dc9d791a9548d8db4da58bd5649ddafa");
  EXPECT_EQ(mounts.own.at("memory").path, "/process_api/dc9d791a9548d8db4da58bd5649ddafa");
  EXPECT_EQ(mounts.own.at("pids").dir, "/sys/fs/cgroup/pids");
  EXPECT_EQ(mounts.own.at("").dir, "/sys/fs/cgroup/unified");
}

// Mounts of a part of a hierarchy (root /docker/4f2a) at escaped paths.
TEST(CgroupMounts, ContainerMountsAtEscapedPaths) {
  const auto mounts = located("container");
  EXPECT_EQ(mounts.layout, CgroupLayout::hybrid);
  EXPECT_EQ(mounts.unified, "/sys/fs/cgroup\ttab\\back");
  EXPECT_EQ(mounts.v1.at("memory"), "/my cgroups/memory");
  EXPECT_EQ(mounts.roots.at("memory"), "/docker/4f2a");
  EXPECT_EQ(mounts.own.at("memory").dir, "/my cgroups/memory");
  EXPECT_EQ(mounts.own.at("memory").path, "/docker/4f2a");
  EXPECT_EQ(mounts.own.at("pids").dir, "/my cgroups/pids/inner");
  EXPECT_EQ(mounts.own.at("cpu").dir, "/my cgroups/cpu,cpuacct");
  EXPECT_EQ(mounts.own.at("").dir, "/sys/fs/cgroup\ttab\\back");
  // The freezer mount shows another part of its hierarchy: unusable.
  EXPECT_FALSE(mounts.own.contains("freezer"));
}

TEST(CgroupMounts, AMountThatShowsTheWholeHierarchyWins) {
  const auto mounts = parse_cgroup_mounts(
      "1 0 0:1 /sub /a rw - cgroup cgroup rw,memory\n"
      "2 0 0:1 / /b rw - cgroup cgroup rw,memory\n"
      "3 0 0:1 /sub /c rw - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->v1.at("memory"), "/b");
  EXPECT_EQ(mounts->roots.at("memory"), "/");
}

TEST(CgroupMounts, NoCgroupsMounted) {
  const auto mounts = parse_cgroup_mounts("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->layout, CgroupLayout::none);
  EXPECT_EQ(layout_name(mounts->layout), "none");
}

TEST(CgroupMounts, OnlyANamedV1HierarchyBesideV2IsV2) {
  const auto mounts = parse_cgroup_mounts(
      "1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
      "2 0 0:2 / /run/systemd-v1 rw - cgroup cgroup rw,name=systemd\n");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->layout, CgroupLayout::v2);
}

TEST(CgroupMounts, OptionalFieldsAreSkipped) {
  const auto mounts = parse_cgroup_mounts(
      "30 23 0:26 / /cg rw,nosuid shared:4 master:9 propagate_from:2 - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mounts);
  EXPECT_EQ(mounts->unified, "/cg");
}

TEST(CgroupMounts, MalformedLinesAreRefused) {
  for (const char* bad :
       {"garbage\n", "1 2 0:3 / /x rw - cgroup2\n", "1 2 0:3 / /x rw cgroup2 cgroup2 rw\n"}) {
    const auto mounts = parse_cgroup_mounts(bad);
    ASSERT_FALSE(mounts) << bad;
    EXPECT_EQ(mounts.error().step, "parse mountinfo line");
  }
}

TEST(ProcCgroup, ParsesHierarchiesAndNestedPaths) {
  const auto hierarchies = parse_proc_cgroup(
      "4:memory:/process_api/dc9d791a9548d8db4da58bd5649ddafa\n"
      "3:cpu,cpuacct:/user.slice\n"
      "1:name=systemd:/a:b/c\n"
      "0::/\n");
  ASSERT_TRUE(hierarchies) << hierarchies.error().message();
  EXPECT_EQ(hierarchies->size(), 4U);
  EXPECT_EQ(hierarchies->at("memory"), "/process_api/dc9d791a9548d8db4da58bd5649ddafa");
  EXPECT_EQ(hierarchies->at("cpu,cpuacct"), "/user.slice");
  EXPECT_EQ(hierarchies->at("name=systemd"), "/a:b/c");  // a ':' in a cgroup name
  EXPECT_EQ(hierarchies->at(""), "/");
}

TEST(ProcCgroup, MalformedLinesAreRefused) {
  for (const char* bad : {"memory:/x\n", "x:memory:/a\n", "4:memory:\n", "4:memory:relative\n", "4\n"}) {
    EXPECT_FALSE(parse_proc_cgroup(bad)) << bad;
  }
}

TEST(ProcCgroup, AHierarchyOutsideTheMountIsLeftOut) {
  auto mounts = parse_cgroup_mounts("1 0 0:1 /docker/a /cg rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mounts);
  // "/docker/ab" shares a prefix with the root but is not below it.
  const auto located_mounts = locate_own_cgroups(*mounts, {{"", "/docker/ab"}});
  EXPECT_FALSE(located_mounts.own.contains(""));
  const auto inside = locate_own_cgroups(*mounts, {{"", "/docker/a/x"}});
  EXPECT_EQ(inside.own.at("").dir, "/cg/x");
}

}  // namespace
}  // namespace strata
