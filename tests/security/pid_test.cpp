// SECURITY.md item 21: the pid namespace shows only the sandbox, and no
// signal from inside reaches a host process.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

class HostSentinel : public testing::Test {
 protected:
  void SetUp() override {
    sentinel_ = std::make_unique<Process>(Process::start({"/bin/sleep", "120"}));
    pid_ = std::to_string(sentinel_->pid());
  }
  void TearDown() override {
    sentinel_->kill(SIGKILL);
    sentinel_->wait();
  }

  std::unique_ptr<Process> sentinel_;
  std::string pid_;
};

TEST(PidNamespace, ProcShowsOnlyTheSandbox) {
  EXPECT_EQ(ask({}, {"ps"}), "1 2");
  const Finished f = attack_script({}, "/attacker ps");
  EXPECT_EQ(answer(f), "1 2 3") << describe(f);
}

TEST_F(HostSentinel, KillAllLeavesTheHostAlone) {
  // kill(-1, SIGKILL) from inside; the helper refuses unless it is pid 2 of
  // a fresh pid namespace, so a broken sandbox cannot turn this test into a
  // host-wide kill.
  const Finished f = attack({}, {"kill-all"});
  EXPECT_EQ(answer(f), "ok SIGKILL") << describe(f);
  EXPECT_TRUE(pid_alive(sentinel_->pid())) << "the host sentinel died";
}

TEST_F(HostSentinel, HostPidsAreNotAddressable) {
  EXPECT_EQ(ask({}, {"kill", pid_, "0"}), "errno ESRCH");
  EXPECT_EQ(ask({}, {"open", "/proc/" + pid_ + "/status", "r"}), "errno ENOENT");
  EXPECT_TRUE(pid_alive(sentinel_->pid()));
}

TEST_F(HostSentinel, SharedPidNamespaceCannotSignalHostProcesses) {
  // --share pid makes host pids visible; the workload runs as the caller's
  // uid (root's, for a root caller), which the kernel lets signal every
  // process of that uid. Signal 0 probes the permission without harm.
  const std::string result = ask({"--share", "pid"}, {"kill", pid_, "0"});
  EXPECT_EQ(result, "errno EPERM") << "the sandbox may signal host pid " << pid_;
  EXPECT_TRUE(pid_alive(sentinel_->pid()));
}

TEST(PidNamespace, InitCannotBeKilledFromInside) {
  // The kernel protects a pid namespace's init from its own processes' fatal
  // signals; the workload then exits normally and its status passes through.
  // (SIGTERM would be forwarded back to the workload, like one from outside.)
  const Finished f = attack_script({}, "/attacker kill 1 9; /attacker kill 1 19; exit 7");
  EXPECT_EQ(f.exit_code, 7) << describe(f);
  // "ok": the kernel dropped the signals; "errno EPERM": Landlock's signal
  // scope (ABI 6) refused them before that.
  for (const auto& line : lines(f.out)) {
    EXPECT_TRUE(line == "ok" || line == "errno EPERM") << line;
  }
  EXPECT_EQ(lines(f.out).size(), 2U) << describe(f);
}

}  // namespace
}  // namespace strata::test
