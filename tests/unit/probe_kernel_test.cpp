// probe_kernel() on recorded trees (tests/fixtures/probe/kernel-*): a Debian 10
// host with systemd's hybrid cgroups and user namespaces closed, and an Arch
// host with cgroup v2 and /proc/config.gz; the parsers and the user
// namespace decision on their own; and the running machine.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>

#include "probe/kernel_config.hpp"
#include "probe/kernel_features.hpp"
#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

using nlohmann::json;

using namespace test_support;

TEST(ProbeKernel, HybridDebianTree) {
  const Facts facts = probe_tree(kFixtures / "kernel-hybrid", probe_kernel);
  EXPECT_EQ(value(facts, "release"), "4.19.0-26-amd64");
  EXPECT_EQ(source(facts, "release"), "/proc/sys/kernel/osrelease");
  EXPECT_EQ(value(facts, "version"), "#1 SMP Debian 4.19.304-1 (2024-01-09)");
  EXPECT_EQ(source(facts, "version"), "/proc/sys/kernel/version");
  EXPECT_EQ(value(facts, "hostname"), "buster-box");

  EXPECT_EQ(value(facts, "namespaces.mnt"), true);
  EXPECT_EQ(value(facts, "namespaces.user"), true);
  EXPECT_EQ(value(facts, "namespaces.time"), false);  // 5.6 and later
  EXPECT_EQ(with_prefix(facts, "namespaces.").size(), 8U);
  EXPECT_EQ(value(facts, "userns.unprivileged"), false);
  EXPECT_EQ(source(facts, "userns.unprivileged"), "/proc/sys/kernel/unprivileged_userns_clone");

  EXPECT_EQ(value(facts, "cgroup.layout"), "hybrid");
  EXPECT_EQ(value(facts, "cgroup.controllers"),
            json::array({"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "net_cls",
                         "net_prio", "perf_event", "pids", "rdma"}));
  EXPECT_EQ(source(facts, "cgroup.controllers"),
            "/proc/self/mountinfo, /sys/fs/cgroup/unified/cgroup.controllers");

  EXPECT_EQ(value(facts, "seccomp.filter"),
            json::array({"kill_process", "kill_thread", "trap", "errno", "trace", "log", "allow"}));
  EXPECT_EQ(value(facts, "seccomp.user_notify"), false);
  EXPECT_EQ(value(facts, "lsm"), json::array({"capability", "yama", "apparmor"}));
  EXPECT_FALSE(facts.contains("io_uring.enabled"));  // 4.19 has no such sysctl
  EXPECT_EQ(value(facts, "overlayfs"), true);
  EXPECT_EQ(source(facts, "overlayfs"), "/lib/modules/4.19.0-26-amd64/modules.dep");
  EXPECT_EQ(value(facts, "btf"), false);
  const json filesystems = value(facts, "filesystems");
  EXPECT_EQ(filesystems.size(), 24U);
  EXPECT_EQ(filesystems.front(), "autofs");
  EXPECT_EQ(filesystems.back(), "tracefs");

  EXPECT_EQ(with_prefix(facts, "sysctl.").size(), 12U);
  EXPECT_EQ(value(facts, "sysctl.kernel.unprivileged_userns_clone"), 0);
  EXPECT_EQ(value(facts, "sysctl.kernel.perf_event_paranoid"), 3);
  EXPECT_EQ(value(facts, "sysctl.net.ipv4.ip_unprivileged_port_start"), 1024);
  EXPECT_EQ(source(facts, "sysctl.kernel.yama.ptrace_scope"), "/proc/sys/kernel/yama/ptrace_scope");

  EXPECT_EQ(with_prefix(facts, "config.").size(), 16U);
  EXPECT_EQ(value(facts, "config.CONFIG_USER_NS"), "y");
  EXPECT_EQ(value(facts, "config.CONFIG_KVM"), "m");
  EXPECT_EQ(value(facts, "config.CONFIG_DEBUG_INFO_BTF"), "n");     // "is not set"
  EXPECT_EQ(value(facts, "config.CONFIG_SECURITY_LANDLOCK"), "n");  // not in 4.19 at all
  EXPECT_EQ(source(facts, "config.CONFIG_KVM"), "/boot/config-4.19.0-26-amd64");

  // A tree is not the running kernel: no syscall-based facts.
  EXPECT_FALSE(facts.contains("landlock.abi"));
  EXPECT_TRUE(with_prefix(facts, "rlimit.").empty());
}

TEST(ProbeKernel, CgroupV2ArchTree) {
  const Facts facts = probe_tree(kFixtures / "kernel-v2", probe_kernel);
  EXPECT_EQ(value(facts, "release"), "6.10.10-arch1-1");
  EXPECT_EQ(source(facts, "version"), "/proc/version");
  EXPECT_EQ(value(facts, "version").get<std::string>().substr(0, 29), "Linux version 6.10.10-arch1-1");
  EXPECT_EQ(value(facts, "namespaces.time"), true);
  EXPECT_EQ(value(facts, "userns.unprivileged"), true);
  EXPECT_EQ(source(facts, "userns.unprivileged"), "/proc/sys/user/max_user_namespaces");
  EXPECT_EQ(value(facts, "cgroup.layout"), "v2");
  EXPECT_EQ(value(facts, "cgroup.controllers"),
            json::array({"cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"}));
  EXPECT_EQ(value(facts, "seccomp.user_notify"), true);
  EXPECT_EQ(value(facts, "lsm"), json::array({"capability", "landlock", "lockdown", "yama", "bpf"}));
  EXPECT_EQ(value(facts, "io_uring.enabled"), true);
  EXPECT_EQ(value(facts, "overlayfs"), true);
  EXPECT_EQ(source(facts, "overlayfs"), "/proc/filesystems");
  EXPECT_EQ(value(facts, "btf"), true);
  EXPECT_EQ(value(facts, "sysctl.kernel.pid_max"), 4194304);
  EXPECT_EQ(value(facts, "sysctl.kernel.unprivileged_bpf_disabled"), 2);
  EXPECT_FALSE(facts.contains("sysctl.kernel.unprivileged_userns_clone"));

  // Only /proc/config.gz, which needs zlib.
  if (kern::can_gunzip()) {
    EXPECT_EQ(with_prefix(facts, "config.").size(), 16U);
    EXPECT_EQ(value(facts, "config.CONFIG_SECURITY_LANDLOCK"), "y");
    EXPECT_EQ(value(facts, "config.CONFIG_SECURITY_APPARMOR"), "n");
    EXPECT_EQ(value(facts, "config.CONFIG_OVERLAY_FS"), "m");
    EXPECT_EQ(source(facts, "config.CONFIG_OVERLAY_FS"), "/proc/config.gz");
  } else {
    EXPECT_TRUE(with_prefix(facts, "config.").empty());
  }
}

TEST(ProbeKernel, UnprivilegedUsernsGates) {
  using kern::UsernsGates;
  const auto allowed = [](const UsernsGates& gates) {
    const auto verdict = kern::unprivileged_userns(gates);
    return verdict ? json(verdict->allowed) : json();
  };
  EXPECT_EQ(allowed({}), json());
  EXPECT_EQ(allowed({.user_ns = false}), false);
  EXPECT_EQ(allowed({.user_ns = true}), json());
  EXPECT_EQ(allowed({.max_user_namespaces = 15000}), true);
  EXPECT_EQ(allowed({.max_user_namespaces = 0}), false);
  EXPECT_EQ(allowed({.unprivileged_clone = 0, .max_user_namespaces = 15000}), false);
  EXPECT_EQ(allowed({.unprivileged_clone = 1, .max_user_namespaces = 15000}), true);
  EXPECT_EQ(allowed({.unprivileged_clone = 1}), true);
  // Ubuntu 24.04's default.
  const UsernsGates ubuntu{.user_ns = true, .max_user_namespaces = 63000, .apparmor_restrict = 1};
  EXPECT_EQ(allowed(ubuntu), false);
  EXPECT_EQ(kern::unprivileged_userns(ubuntu)->source,
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  EXPECT_EQ(allowed({.max_user_namespaces = 63000, .apparmor_restrict = 0}), true);
}

TEST(ProbeKernel, ParsesKernelConfig) {
  constexpr std::array<std::string_view, 4> kWanted{"CONFIG_A", "CONFIG_B", "CONFIG_C", "CONFIG_D"};
  const auto values = kern::parse_kernel_config(
      "#\n# CONFIG_B is not set\nCONFIG_A=y\nCONFIG_C=\"apparmor\"\nCONFIG_AB=m\nCONFIG_E=y\n", kWanted);
  EXPECT_EQ(values, (std::map<std::string, std::string>{
                        {"CONFIG_A", "y"}, {"CONFIG_B", "n"}, {"CONFIG_C", "apparmor"}, {"CONFIG_D", "n"}}));
}

TEST(ProbeKernel, GunzipsConfigGz) {
  if (!kern::can_gunzip()) {
    GTEST_SKIP() << "built without zlib (STRATA_HAVE_ZLIB): /proc/config.gz is not read";
  }
  auto root = Root::open((kFixtures / "kernel-v2").string());
  ASSERT_TRUE(root.has_value());
  const auto packed = root->read("/proc/config.gz");
  ASSERT_TRUE(packed.has_value());
  const auto text = kern::gunzip(*packed, 1 << 20);
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(text->starts_with("#\n# Automatically generated file; DO NOT EDIT.\n"));
  EXPECT_EQ(kern::gunzip(*packed, 100), std::nullopt);  // over the limit
  EXPECT_EQ(kern::gunzip(packed->substr(0, packed->size() / 2), 1 << 20), std::nullopt);
  EXPECT_EQ(kern::gunzip("CONFIG_A=y\n", 1 << 20), std::nullopt);
}

TEST(ProbeKernel, SysctlValues) {
  TempTree tree;
  tree.write("/proc/sys/kernel/perf_event_paranoid", "-1\n");
  tree.write("/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  auto root = Root::open(tree.path().string());
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(kern::sysctl_path("kernel.yama.ptrace_scope"), "/proc/sys/kernel/yama/ptrace_scope");
  EXPECT_EQ(kern::read_sysctl(*root, "kernel.perf_event_paranoid"), json(-1));
  EXPECT_EQ(kern::read_sysctl(*root, "net.ipv4.ip_local_port_range"), json("32768\t60999"));
  EXPECT_EQ(kern::read_sysctl(*root, "kernel.pid_max"), std::nullopt);
}

TEST(ProbeKernel, EmptyAndBrokenTrees) {
  TempTree empty;
  EXPECT_TRUE(probe_tree(empty.path(), probe_kernel).empty());

  TempTree broken;
  broken.write("/proc/self/mountinfo", "not a mountinfo line\n");
  broken.write("/proc/sys/kernel/osrelease", "6.1.0\n");
  const Facts facts = probe_tree(broken.path(), probe_kernel);
  EXPECT_FALSE(facts.contains("cgroup.layout"));
  EXPECT_EQ(value(facts, "release"), "6.1.0");
}

TEST(ProbeKernel, LiveSanity) {
  const Facts facts = probe_kernel(Root::live());
  ASSERT_TRUE(value(facts, "release").is_string());
  EXPECT_FALSE(value(facts, "release").get<std::string>().empty());
  EXPECT_EQ(source(facts, "release"), "uname(2)");
  const std::string layout = value(facts, "cgroup.layout").get<std::string>();
  EXPECT_TRUE(layout == "v1" || layout == "v2" || layout == "hybrid") << layout;
  EXPECT_TRUE(value(facts, "cgroup.controllers").is_array());
  EXPECT_EQ(value(facts, "namespaces.mnt"), true);
  EXPECT_TRUE(value(facts, "landlock.abi").is_number_integer());
  EXPECT_TRUE(value(facts, "filesystems").is_array());
  const json nofile = value(facts, "rlimit.nofile");
  EXPECT_TRUE(nofile["soft"].is_number() || nofile["soft"] == "unlimited") << nofile;
  EXPECT_TRUE(nofile["hard"].is_number() || nofile["hard"] == "unlimited") << nofile;
  EXPECT_EQ(with_prefix(facts, "rlimit.").size(), 8U);
}

}  // namespace
}  // namespace strata::probe
