// SECURITY.md items 11 and 12: no nested namespaces (a new user namespace
// hands the workload a full capability set over it, the entry point of most
// kernel exploits) and no changes to the mount table.
//
// The default seccomp filter answers EPERM (clone3: ENOSYS, so libc falls
// back to clone, whose flags the filter can see). The probes are chosen so
// that without a filter the kernel answers something else (see attacker.c);
// the "Unconfined" tests show that difference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

const std::vector<std::string> kNamespaceCalls{"unshare-user",  "unshare-user-mount", "unshare-mount",
                                               "unshare-net",   "unshare-pid",        "unshare-cgroup",
                                               "clone-newuser", "clone-newns",        "clone-newpid",
                                               "clone-newnet",  "clone-newcgroup",    "setns"};

const std::vector<std::string> kMountCalls{"mount",   "umount2", "pivot_root", "fsopen",    "fsconfig",
                                           "fsmount", "fspick",  "move_mount", "open_tree", "mount_setattr"};

TEST(NestedNamespaces, AreRefusedWithEperm) {
  for (const auto& call : kNamespaceCalls) {
    EXPECT_EQ(ask({}, {"syscall", call}), "errno EPERM") << call;
  }
}

TEST(NestedNamespaces, Clone3IsEnosys) {
  // ENOSYS makes libc fall back to clone(2), whose flags a filter can read;
  // clone3 passes them in memory a filter cannot.
  EXPECT_EQ(ask({}, {"syscall", "clone3"}), "errno ENOSYS");
}

TEST(NestedNamespaces, PlainForkStillWorks) {
  // The filter must not break ordinary process creation (glibc's fork is
  // clone without namespace flags, or clone3 falling back to it).
  const Finished f = attack_script({}, "/attacker exit 7 & wait $!; echo $?");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "7\n");
}

TEST(NestedNamespaces, UnconfinedTheKernelWouldAllowANestedUserNamespace) {
  // Control: shows the probes reach the kernel when nothing filters them, so
  // the EPERM above is the filter's.
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", "unshare-user"}), "ok");
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", "clone-newuser"}), "ok");
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", "setns"}), "errno EBADF");
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", "clone3"}), "errno EINVAL");
}

TEST(NestedNamespaces, WithoutTheFilterTheOtherNamespacesStillNeedCapabilities) {
  // Defence in depth: with no filter, only a user namespace can be made.
  for (const char* call : {"unshare-mount", "unshare-net", "unshare-pid", "unshare-cgroup", "clone-newns",
                           "clone-newpid", "clone-newnet", "clone-newcgroup"}) {
    EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", call}), "errno EPERM") << call;
  }
}

TEST(MountTable, MountSystemCallsAreRefusedWithEperm) {
  for (const auto& call : kMountCalls) {
    EXPECT_EQ(ask({}, {"syscall", call}), "errno EPERM") << call;
  }
}

TEST(MountTable, RealAttemptsFail) {
  // With real arguments: a new mount, a read-write remount of a read-only
  // bind (classic and mount_setattr), unmounting a mask, pivot_root, a
  // detached clone of a mount.
  const std::vector<std::vector<std::string>> attempts{
      {"mount", "tmpfs", "/tmp"},
      {"mount", "proc", "/tmp"},
      {"bind", "/usr", "/tmp"},
      {"remount-rw", "/usr"},
      {"remount-rw", "/"},
      {"setattr-rw", "/usr"},
      {"setattr-rw", "/proc/sys"},
      {"umount", "/proc/keys"},
      {"umount", "/proc/sys"},
      {"umount", "/usr"},
      {"pivot-root", "/tmp", "/tmp"},
      {"fsopen", "tmpfs"},
      {"clone-open", "/proc", "sys", "r"},
  };
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{}, {"--seccomp", "unconfined"}, {"--landlock", "off"}}) {
    for (const auto& attempt : attempts) {
      const std::string result = ask(flags, attempt);
      EXPECT_TRUE(result == "errno EPERM" || result == "errno EPERM at open_tree")
          << testing::PrintToString(attempt) << " " << testing::PrintToString(flags) << ": " << result;
    }
  }
}

TEST(MountTable, RealAttemptsFailWithSysAdminInTheSandbox) {
  // CAP_SYS_ADMIN over the sandbox's own user and mount namespaces (which own
  // every mount strata made) must not reopen the mount table either.
  const std::vector<std::vector<std::string>> attempts{
      {"mount", "tmpfs", "/tmp"},     {"remount-rw", "/usr"},         {"setattr-rw", "/usr"},
      {"setattr-rw", "/proc/sys"},    {"setattr-rw", "/sys"},         {"umount", "/proc/keys"},
      {"umount", "/proc/sys"},        {"pivot-root", "/tmp", "/tmp"}, {"clone-open", "/proc", "sys", "r"},
      {"clone-open", "/", "usr", "r"}};
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--cap-add", "SYS_ADMIN"},
           {"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--seccomp", "unconfined"}}) {
    for (const auto& attempt : attempts) {
      const std::string result = ask(flags, attempt);
      EXPECT_TRUE(result.starts_with("errno EPERM"))
          << testing::PrintToString(attempt) << " " << testing::PrintToString(flags) << ": " << result;
    }
  }
}

TEST(MountTable, SandboxMountsDoNotReachTheHost) {
  const HostState before = HostState::now();
  // Whatever the workload does with its mounts, the host's table is its own.
  const Finished f = attack_script(
      {"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--landlock", "off", "--seccomp", "unconfined"},
      "/attacker mount tmpfs /tmp; /attacker umount /proc/sys; /attacker bind /usr /tmp");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  expect_unchanged(before, "mounts made inside");
}

// CAP_SYS_ADMIN owns the sandbox's mounts; only the default filter keeps it
// from lifting them, so strata refuses it with any other filter.
TEST(MountTable, SysAdminWithoutTheDefaultFilterIsRefused) {
  const HostState before = HostState::now();
  for (const auto& filter : {"unconfined", "/dev/null"}) {
    const Finished f = strata({"run", "--cap-add", "SYS_ADMIN", "--seccomp", filter, "--", "/bin/true"});
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_NE(f.err.find("--cap-add SYS_ADMIN"), std::string::npos) << f.err;
  }
  expect_unchanged(before, "refused runs");
}

}  // namespace
}  // namespace strata::test
