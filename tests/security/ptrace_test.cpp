// SECURITY.md item 4: the runtime's helper inside the sandbox (strata's init,
// pid 1, a fork of the strata binary holding the supervisor channel) cannot
// be traced or read from the workload.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

TEST(Ptrace, InitCannotBeAttached) {
  EXPECT_EQ(ask({}, {"ptrace", "1"}), "errno EPERM");
}

TEST(Ptrace, InitsMemoryCannotBeRead) {
  // process_vm_readv checks access before it touches an address: EFAULT or
  // success would mean the check passed.
  EXPECT_EQ(ask({}, {"vm-read", "1"}), "errno EPERM");
  EXPECT_EQ(ask({}, {"open", "/proc/1/mem", "r"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"open", "/proc/1/mem", "rw"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"open", "/proc/1/environ", "r"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"open", "/proc/1/maps", "r"}), "errno EACCES");
}

TEST(Ptrace, InitStaysClosedWithSysPtraceInTheSandbox) {
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--cap-add", "SYS_PTRACE"},
           {"--cap-add", "ALL"},
           {"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--landlock", "off", "--seccomp", "unconfined"}}) {
    EXPECT_EQ(ask(flags, {"ptrace", "1"}), "errno EPERM") << testing::PrintToString(flags);
    EXPECT_EQ(ask(flags, {"vm-read", "1"}), "errno EPERM") << testing::PrintToString(flags);
  }
}

TEST(Ptrace, SupervisorCannotBeTracedWithASharedPidNamespace) {
  // --share pid makes the strata supervisor (the workload's grandparent, "^2",
  // a host process of the caller's uid) addressable.
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--share", "pid"}, {"--share", "pid", "--landlock", "off", "--seccomp", "unconfined"}}) {
    EXPECT_EQ(ask(flags, {"ptrace", "^2"}), "errno EPERM") << testing::PrintToString(flags);
    EXPECT_EQ(ask(flags, {"vm-read", "^2"}), "errno EPERM") << testing::PrintToString(flags);
  }
}

TEST(Ptrace, HostProcessOfTheSameUidCannotBeTracedWithASharedPidNamespace) {
  Process sentinel = Process::start({"/bin/sleep", "60"});
  const std::string pid = std::to_string(sentinel.pid());
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {"--share", "pid"}, {"--share", "pid", "--landlock", "off", "--seccomp", "unconfined"}}) {
    EXPECT_EQ(ask(flags, {"ptrace", pid}), "errno EPERM") << testing::PrintToString(flags);
    EXPECT_EQ(ask(flags, {"vm-read", pid}), "errno EPERM") << testing::PrintToString(flags);
    EXPECT_EQ(ask(flags, {"open", "/proc/" + pid + "/mem", "r"}), "errno EACCES");
  }
  EXPECT_TRUE(pid_alive(sentinel.pid()));
  sentinel.kill(SIGKILL);
  sentinel.wait();
}

}  // namespace
}  // namespace strata::test
