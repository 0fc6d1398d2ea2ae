#include "isolate/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace strata {
namespace {

HostFacts merged_usr_host() {
  HostFacts host;
  host.uid = 1000;
  host.gid = 100;
  host.cwd = "/home/me/project";
  host.environ = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/me"}, {"SECRET", "x"}, {"TERM", "xterm"}};
  host.top_level = {{"/usr", std::nullopt},
                    {"/etc", std::nullopt},
                    {"/bin", "usr/bin"},
                    {"/lib", "usr/lib"},
                    {"/lib64", "usr/lib64"}};
  return host;
}

Spec command() {
  Spec spec;
  spec.argv = {"true"};
  return spec;
}

const MountStep* find(const Plan& plan, const std::string& destination) {
  auto it = std::ranges::find(plan.mounts, destination, &MountStep::destination);
  return it == plan.mounts.end() ? nullptr : &*it;
}

TEST(BuildPlan, DefaultRootShowsSystemDirsReadOnly) {
  const Plan plan = build_plan(command(), merged_usr_host());
  ASSERT_NE(find(plan, "/usr"), nullptr);
  EXPECT_EQ(find(plan, "/usr")->kind, StepKind::bind);
  EXPECT_TRUE(find(plan, "/usr")->read_only);
  EXPECT_TRUE(find(plan, "/etc")->read_only);
  ASSERT_NE(find(plan, "/bin"), nullptr);
  EXPECT_EQ(find(plan, "/bin")->kind, StepKind::symlink);
  EXPECT_EQ(find(plan, "/bin")->source, "usr/bin");
  EXPECT_EQ(find(plan, "/sbin"), nullptr) << "absent on the host, absent inside";
  EXPECT_FALSE(plan.rootfs);
  EXPECT_TRUE(plan.root_read_only);
}

TEST(BuildPlan, SystemMountsComeBeforeUserMountsInOrder) {
  Spec spec = command();
  spec.mounts = {parse_bind("/data:/data", MountKind::ro_bind).value(), parse_tmpfs("/data/scratch").value()};
  const Plan plan = build_plan(spec, merged_usr_host());
  const auto index = [&](const std::string& d) {
    return std::ranges::find(plan.mounts, d, &MountStep::destination) - plan.mounts.begin();
  };
  EXPECT_LT(index("/proc"), index("/data"));
  EXPECT_LT(index("/dev"), index("/dev/null"));
  EXPECT_LT(index("/dev/null"), index("/data"));
  EXPECT_LT(index("/tmp"), index("/data"));
  EXPECT_LT(index("/data"), index("/data/scratch"));
  EXPECT_TRUE(find(plan, "/data")->read_only);
  EXPECT_EQ(find(plan, "/tmp")->mode, "1777");
}

TEST(BuildPlan, SystemMountPointsRefuseSymlinks) {
  Spec spec = command();
  spec.rootfs = "/srv/rootfs";
  const Plan plan = build_plan(spec, merged_usr_host());
  EXPECT_EQ(plan.rootfs, "/srv/rootfs");
  EXPECT_EQ(find(plan, "/usr"), nullptr) << "a rootfs brings its own /usr";
  EXPECT_TRUE(find(plan, "/proc")->no_symlinks);
  EXPECT_TRUE(find(plan, "/dev")->no_symlinks);
  EXPECT_TRUE(find(plan, "/tmp")->no_symlinks);
}

TEST(BuildPlan, MinimalDev) {
  const Plan plan = build_plan(command(), merged_usr_host());
  for (const char* node :
       {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    ASSERT_NE(find(plan, node), nullptr) << node;
    EXPECT_EQ(find(plan, node)->kind, StepKind::dev_node);
  }
  EXPECT_EQ(find(plan, "/dev/pts")->kind, StepKind::devpts);
  EXPECT_EQ(find(plan, "/dev/ptmx")->source, "pts/ptmx");
  EXPECT_EQ(find(plan, "/dev/shm")->kind, StepKind::tmpfs);
}

TEST(BuildPlan, NamespacesAndSharing) {
  Plan plan = build_plan(command(), merged_usr_host());
  for (Namespace ns : {Namespace::user, Namespace::mount, Namespace::pid, Namespace::ipc, Namespace::uts,
                       Namespace::net, Namespace::cgroup}) {
    EXPECT_TRUE(plan.unshares(ns)) << to_string(ns);
  }
  EXPECT_TRUE(plan.loopback_up);
  EXPECT_EQ(plan.hostname, "strata");

  Spec spec = command();
  spec.net = NetMode::host;
  spec.shared = {Namespace::uts, Namespace::pid};
  plan = build_plan(spec, merged_usr_host());
  EXPECT_FALSE(plan.unshares(Namespace::net));
  EXPECT_FALSE(plan.unshares(Namespace::uts));
  EXPECT_FALSE(plan.unshares(Namespace::pid));
  EXPECT_FALSE(plan.loopback_up);
  EXPECT_FALSE(plan.hostname);
  EXPECT_EQ(find(plan, "/proc")->kind, StepKind::bind) << "a shared pid namespace gets the host's /proc";
}

TEST(BuildPlan, RootMapsToCallerUnlessUidGiven) {
  Plan plan = build_plan(command(), merged_usr_host());
  EXPECT_EQ(plan.uid_map.inside, 0U);
  EXPECT_EQ(plan.uid_map.outside, 1000U);
  EXPECT_EQ(plan.gid_map.outside, 100U);
  EXPECT_TRUE(plan.deny_setgroups) << "an unprivileged caller must deny setgroups";

  Spec spec = command();
  spec.uid = 1234;
  spec.gid = 55;
  HostFacts root = merged_usr_host();
  root.uid = 0;
  root.gid = 0;
  plan = build_plan(spec, root);
  EXPECT_EQ(plan.uid_map.inside, 1234U);
  EXPECT_EQ(plan.uid_map.outside, 0U);
  EXPECT_EQ(plan.process.uid, 1234U);
  EXPECT_EQ(plan.process.gid, 55U);
  EXPECT_FALSE(plan.deny_setgroups);
}

TEST(BuildEnvironment, KeepsOnlyTheSafeList) {
  const auto env = build_environment(command(), merged_usr_host());
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "TERM=xterm", "HOME=/tmp"}));
}

TEST(BuildEnvironment, EnvFlagsOverrideAndClearEnvEmpties) {
  Spec spec = command();
  spec.env = {{"HOME", "/work"}, {"A", "1"}};
  EXPECT_EQ(build_environment(spec, merged_usr_host()),
            (std::vector<std::string>{"PATH=/usr/bin:/bin", "TERM=xterm", "HOME=/work", "A=1"}));
  spec.clear_env = true;
  EXPECT_EQ(build_environment(spec, merged_usr_host()), (std::vector<std::string>{"HOME=/work", "A=1"}));
}

TEST(BuildEnvironment, DefaultPathWhenCallerHasNone) {
  HostFacts host = merged_usr_host();
  host.environ.clear();
  const auto env = build_environment(command(), host);
  ASSERT_FALSE(env.empty());
  EXPECT_TRUE(env.front().starts_with("PATH=/usr/local/sbin:"));
}

TEST(BuildEnvironment, HostIsolationKeepsEverything) {
  Spec spec = command();
  spec.isolation = Isolation::host;
  const auto env = build_environment(spec, merged_usr_host());
  EXPECT_NE(std::ranges::find(env, "SECRET=x"), env.end());
  EXPECT_NE(std::ranges::find(env, "HOME=/home/me"), env.end());
}

TEST(BuildPlan, WorkdirAndPty) {
  HostFacts host = merged_usr_host();
  host.stdin_tty = true;
  Plan plan = build_plan(command(), host);
  EXPECT_EQ(plan.process.cwd, "/home/me/project");
  EXPECT_FALSE(plan.process.cwd_required);
  EXPECT_TRUE(plan.process.pty);

  Spec spec = command();
  spec.workdir = "/tmp";
  spec.pty = PtyMode::never;
  plan = build_plan(spec, host);
  EXPECT_EQ(plan.process.cwd, "/tmp");
  EXPECT_TRUE(plan.process.cwd_required);
  EXPECT_FALSE(plan.process.pty);
}

TEST(PlanText, ListsEveryStep) {
  Spec spec = command();
  spec.mounts = {parse_bind("/data:/data", MountKind::ro_bind).value()};
  const std::string text = to_text(build_plan(spec, merged_usr_host()));
  EXPECT_NE(text.find("namespaces: user mount pid ipc uts net cgroup"), std::string::npos) << text;
  EXPECT_NE(text.find("bind      /data -> /data (read-only)"), std::string::npos) << text;
  EXPECT_NE(text.find("symlink   /bin -> usr/bin"), std::string::npos) << text;
  EXPECT_NE(text.find("uid map: 0 -> 1000"), std::string::npos) << text;
  EXPECT_NE(text.find("command: true"), std::string::npos) << text;
}

}  // namespace
}  // namespace strata
