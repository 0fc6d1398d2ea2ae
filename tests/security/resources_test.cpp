// SECURITY.md items 25 to 28: exhaustion stays inside the caps the caller
// set, is reported, and nothing outlives the run.
//
// The attacks carry a marker in their environment (--env), so anything of
// theirs left on the host is found by scanning /proc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

class Exhaustion : public testing::Test {
 protected:
  void SetUp() override {
    marker_ = "STRATA_ATTACK=" + unique_token();
    before_ = HostState::now();
    descendants_ = descendants_of(::getpid());
  }
  void TearDown() override {
    EXPECT_TRUE(eventually([this] { return processes_carrying(marker_).empty(); }, std::chrono::seconds(5)))
        << "processes of the run outlived it";
    for (pid_t pid : processes_carrying(marker_)) {
      ::kill(pid, SIGKILL);
    }
    kill_new_descendants(descendants_);
    EXPECT_TRUE(eventually([this] { return new_cgroups(before_.cgroups).empty(); }, std::chrono::seconds(3)))
        << "cgroups left behind";
    expect_unchanged(before_, "after the run");
  }

  // FLAGS plus the marker and a status file.
  std::vector<std::string> flags(std::vector<std::string> extra) const {
    extra.insert(extra.end(), {"--env", marker_, "--json-status", status()});
    return extra;
  }
  [[nodiscard]] std::string status() const { return dir_ / "status.json"; }

  const ScopedSubreaper subreaper_;
  TempDir dir_;
  std::string marker_;
  HostState before_;
  std::set<pid_t> descendants_;
};

long number_after(const std::string& text, const std::string& prefix) {
  if (!text.starts_with(prefix)) {
    return -1;
  }
  return std::stol(text.substr(prefix.size()));
}

TEST_F(Exhaustion, ForkBombMeetsThePidsLimit) {
  // fork-bomb stops at 1000 children by itself, so a missing limit fails the
  // test without hurting the machine.
  const Finished f = attack(flags({"--pids", "64"}), {"fork-bomb", "1000"});
  const long n = number_after(answer(f), "eagain after ");
  EXPECT_GE(n, 0) << describe(f);
  EXPECT_LE(n, 64) << describe(f);
  EXPECT_EQ(f.exit_code, 1) << describe(f);
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  EXPECT_EQ(json["reason"], "pids-limit") << json.dump();
}

TEST_F(Exhaustion, MemoryHogIsOomKilledInsideItsCgroup) {
  // Twice the limit, touched page by page.
  const Finished f = attack(flags({"--memory", "64m"}), {"memory-hog", std::to_string(128L << 20)});
  EXPECT_EQ(f.out, "") << "the hog got all it asked for: " << describe(f);
  EXPECT_EQ(f.exit_code, 128 + SIGKILL) << describe(f);
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  EXPECT_EQ(json["reason"], "oom-killed") << json.dump();
}

TEST_F(Exhaustion, FillingTmpIsBoundByTheMemoryLimit) {
  // /tmp is a tmpfs without a size: its pages are charged to the run's memory
  // cgroup, so filling it stops near --memory (ENOSPC/ENOMEM, or an OOM kill),
  // never at the host's RAM. The helper stops itself at 256 MiB.
  const Finished f =
      attack(flags({"--memory", "64m"}), {"big-file", "/tmp/fill", std::to_string(256L << 20)});
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  if (json["reason"] == "oom-killed") {
    EXPECT_EQ(f.exit_code, 128 + SIGKILL) << describe(f);
    return;
  }
  const std::string out = answer(f);
  EXPECT_TRUE(out.starts_with("errno ENOSPC after ") || out.starts_with("errno ENOMEM after "))
      << describe(f);
  const auto at = out.rfind(' ');
  EXPECT_LE(std::stol(out.substr(at + 1)), 64L << 20) << out;
}

TEST_F(Exhaustion, SizedTmpfsFillsUpAtItsSize) {
  const Finished f = attack(flags({"--tmpfs", "/data:8m"}), {"fill", "/data/fill"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "errno ENOSPC after " + std::to_string(8L << 20));
}

TEST_F(Exhaustion, FileSizeLimitGivesEfbig) {
  const Finished f =
      attack(flags({"--rlimit", "fsize=1m"}), {"big-file", "/tmp/big", std::to_string(8L << 20)});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "errno EFBIG after " + std::to_string(1L << 20));
}

TEST_F(Exhaustion, FdLimitGivesEmfile) {
  const Finished f = attack(flags({"--rlimit", "nofile=32"}), {"open-files"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "errno EMFILE after 29");  // 3..31
}

TEST_F(Exhaustion, HardLimitsCannotBeRaisedFromInside) {
  const Finished f = attack_script(flags({"--rlimit", "nofile=32"}), "ulimit -n 4096; echo rc=$?");
  EXPECT_NE(f.out, "rc=0\n") << describe(f);
}

TEST_F(Exhaustion, TimeoutEndsADaemonThatIgnoresSigterm) {
  // setsid, double fork, SIGTERM ignored, in a pid namespace.
  Process p = Process::start(attack_argv(flags({"--timeout", "1s", "--kill-after", "500ms"}), {"daemonize"}));
  const auto line = p.read_line(std::chrono::seconds(20));
  EXPECT_TRUE(line && line->starts_with("daemon ")) << (line ? *line : "no line");
  const Finished f = p.wait(std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  EXPECT_EQ(json["reason"], "timeout") << json.dump();
  EXPECT_TRUE(processes_carrying(marker_).empty()) << "a process of the run outlived the deadline";
}

TEST_F(Exhaustion, TimeoutEndsADaemonWithASharedPidNamespace) {
  // Without a pid namespace of its own only a cgroup (or init, if it is
  // still alive) can find the daemon: strata's init is SIGKILLed at the
  // deadline, so the daemon must be ended by other means.
  Process p = Process::start(
      attack_argv(flags({"--share", "pid", "--timeout", "1s", "--kill-after", "500ms"}), {"daemonize"}));
  const auto line = p.read_line(std::chrono::seconds(20));
  EXPECT_TRUE(line && line->starts_with("daemon ")) << (line ? *line : "no line");
  const Finished f = p.wait(std::chrono::seconds(30));
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  EXPECT_EQ(json["reason"], "timeout") << json.dump();
  EXPECT_TRUE(eventually([this] { return processes_carrying(marker_).empty(); }, std::chrono::seconds(3)))
      << "the daemon outlived the deadline";
}

TEST_F(Exhaustion, CpuLimitedSpinnerIsStillEndedByTheTimeout) {
  const Finished f = attack_script(flags({"--cpus", "0.1", "--timeout", "1s", "--kill-after", "500ms"}),
                                   "trap '' TERM; while :; do :; done");
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  const auto json = read_status(status());
  ASSERT_FALSE(json.is_null()) << describe(f);
  EXPECT_EQ(json["reason"], "timeout") << json.dump();
}

}  // namespace
}  // namespace strata::test
