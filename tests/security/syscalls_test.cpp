// SECURITY.md items 13 and 14: the default seccomp filter refuses the kernel
// interfaces containers have no use for, through every system call entry
// point (x86_64, i386 via int $0x80, x32), and lets ordinary calls through.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

// Refused by the default filter. For each, the kernel itself (no filter)
// would answer something other than EPERM or ENOSYS where the call exists
// (see the table in attacker.c), so these results are the filter's.
const std::vector<std::string> kBlocked{"keyctl",
                                        "add_key",
                                        "request_key",
                                        "userfaultfd",
                                        "bpf",
                                        "perf_event_open",
                                        "io_uring_setup",
                                        "io_uring_enter",
                                        "io_uring_register",
                                        "kexec_load",
                                        "kexec_file_load",
                                        "init_module",
                                        "finit_module",
                                        "delete_module",
                                        "open_by_handle_at",
                                        "personality",
                                        "socket-vsock",
                                        "acct",
                                        "swapon"};

// The kernel's own answers without a filter, on a kernel that has the call.
const std::vector<std::pair<std::string, std::string>> kUnfiltered{{"keyctl", "errno EOPNOTSUPP"},
                                                                   {"add_key", "errno EFAULT"},
                                                                   {"request_key", "errno EFAULT"},
                                                                   {"userfaultfd", "errno EINVAL"},
                                                                   {"bpf", "errno EFAULT"},
                                                                   {"perf_event_open", "errno EFAULT"},
                                                                   {"io_uring_setup", "errno EFAULT"},
                                                                   {"open_by_handle_at", "errno EFAULT"},
                                                                   {"personality", "ok"}};

// Must keep working under the filter: bad pointers and fds make them fail
// harmlessly, which proves they reached the kernel.
const std::vector<std::pair<std::string, std::string>> kAllowed{{"read", "errno EBADF"},
                                                                {"write", "errno EFAULT"},
                                                                {"openat", "errno EFAULT"},
                                                                {"getpid", "ok"},
                                                                {"seccomp-get-action", "errno EFAULT"}};

// Results that mean "blocked" on a non-native entry point: the filter's
// errno, ENOSYS (the ABI is refused or absent), or a kill.
bool blocked(const std::string& result) {
  return result == "errno EPERM" || result == "errno ENOSYS" || result == "killed SIGSYS";
}

TEST(Seccomp, FilterIsInstalled) {
  const std::string caps = ask({}, {"caps"});
  EXPECT_NE(caps.find(" seccomp=2"), std::string::npos) << caps;
}

TEST(Seccomp, UnconfinedInstallsNothing) {
  const std::string caps = ask({"--seccomp", "unconfined"}, {"caps"});
  EXPECT_NE(caps.find(" seccomp=0"), std::string::npos) << caps;
}

TEST(Seccomp, BlockedCallsGetEperm) {
  for (const auto& call : kBlocked) {
    EXPECT_EQ(ask({}, {"syscall", call}), "errno EPERM") << call;
  }
}

TEST(Seccomp, BlockedInChildrenToo) {
  // The filter is inherited: a grandchild of the workload meets it as well.
  const Finished f = attack_script({}, "/bin/sh -c '/attacker syscall keyctl; /attacker syscall bpf'");
  EXPECT_EQ(f.out, "errno EPERM\nerrno EPERM\n") << describe(f);
}

TEST(Seccomp, UnconfinedTheKernelSeesTheCalls) {
  // Control for the test above: the same probes reach the kernel's handlers
  // without a filter (their errno is not EPERM).
  for (const auto& [call, kernel] : kUnfiltered) {
    EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall", call}), kernel) << call;
  }
}

TEST(Seccomp, AllowedCallsStillWork) {
  for (const auto& [call, expected] : kAllowed) {
    EXPECT_EQ(ask({}, {"syscall", call}), expected) << call;
  }
}

TEST(Seccomp, PtraceOfOwnChildrenStillWorks) {
  // Debuggers and strace inside are fine (kernel >= 4.8 checks seccomp after
  // ptrace): PTRACE_TRACEME is allowed.
  EXPECT_EQ(ask({}, {"syscall", "ptrace-traceme"}), "ok");
}

// True when `int $0x80` reaches the kernel here (IA32 emulation on).
bool has_i386_entry() {
  return ask({"--seccomp", "unconfined"}, {"syscall32", "getpid"}) == "ok";
}

TEST(Seccomp, I386EntryPointIsFiltered) {
  // A filter that checks only x86_64 numbers is bypassed here: i386 keyctl
  // (288) is x86_64's accept4, i386 unshare (310) is process_vm_readv.
  if (ask({}, {"syscall32", "getpid"}).starts_with("skip")) {
    GTEST_SKIP() << "not x86_64";
  }
  if (!has_i386_entry()) {
    GTEST_SKIP() << "this kernel has no IA32 emulation (int $0x80 does not reach it)";
  }
  for (const char* call : {"keyctl", "add_key", "request_key", "userfaultfd", "bpf", "perf_event_open",
                           "io_uring_setup", "open_by_handle_at", "personality", "unshare-user", "setns",
                           "mount", "umount2", "open_tree", "move_mount", "fsopen", "clone3"}) {
    const std::string result = ask({}, {"syscall32", call});
    EXPECT_TRUE(blocked(result)) << "i386 " << call << ": " << result;
  }
}

TEST(Seccomp, I386EntryPointReachesTheKernelWhenUnconfined) {
  // Control: proves the i386 probes work (they reach the kernel's handlers).
  if (!has_i386_entry()) {
    GTEST_SKIP() << "this kernel has no IA32 emulation";
  }
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall32", "keyctl"}), "errno EOPNOTSUPP");
  EXPECT_EQ(ask({"--seccomp", "unconfined"}, {"syscall32", "unshare-user"}), "ok");
}

TEST(Seccomp, X32EntryPointIsFiltered) {
  // x32 numbers are x86_64's with bit 30 set; a filter comparing the number
  // without that bit, or allowing the x86_64 arch wholesale, lets them in.
  if (ask({}, {"x32", "getpid"}).starts_with("skip")) {
    GTEST_SKIP() << "not x86_64";
  }
  for (const char* call : {"keyctl", "add_key", "request_key", "userfaultfd", "bpf", "perf_event_open",
                           "io_uring_setup", "open_by_handle_at", "personality", "unshare-user", "setns",
                           "mount", "umount2", "open_tree", "fsopen", "clone3"}) {
    const std::string result = ask({}, {"x32", call});
    EXPECT_TRUE(blocked(result)) << "x32 " << call << ": " << result;
  }
}

TEST(Seccomp, ArgumentRulesAreNarrow) {
  // AF_VSOCK is refused by its family, not every socket; personality by its
  // persona, not the query libc makes.
  EXPECT_EQ(ask({}, {"syscall", "socket-unix"}), "ok");
  EXPECT_EQ(ask({}, {"syscall", "personality-query"}), "ok");
}

}  // namespace
}  // namespace strata::test
