// The sandbox's init (pid 1) and strata's supervisor: signals are passed on
// to the workload, orphans are reaped, stdin flows through, and the sandbox
// does not outlive strata.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace strata::test {
namespace {

using std::chrono::seconds;

struct SignalCase {
  int number;
  const char* name;
};

class ForwardedSignal : public testing::TestWithParam<SignalCase> {};

void expect_forwarded(const std::vector<std::string>& flags, int sig) {
  Process p = start_probe(flags, {"wait-signal"});
  if (const auto ready = p.read_line(seconds(20)); ready != "ready") {
    p.kill(SIGKILL);
    FAIL() << "probe did not start: " << describe(p.wait(seconds(10)));
  }
  p.kill(sig);
  const Finished f = p.wait(seconds(30));
  EXPECT_EQ(f.signal, 0) << "strata itself died of the signal: " << describe(f);
  EXPECT_EQ(f.exit_code, 100 + sig) << describe(f);
  EXPECT_EQ(f.out, "got " + std::to_string(sig) + "\n") << describe(f);
  EXPECT_EQ(f.err, "") << describe(f);
}

TEST_P(ForwardedSignal, ReachesSandboxedWorkload) {
  expect_forwarded({}, GetParam().number);
}

TEST_P(ForwardedSignal, ReachesHostWorkload) {
  expect_forwarded({"--isolation", "host"}, GetParam().number);
}

INSTANTIATE_TEST_SUITE_P(InitSignals, ForwardedSignal,
                         testing::Values(SignalCase{SIGTERM, "SIGTERM"}, SignalCase{SIGUSR1, "SIGUSR1"},
                                         SignalCase{SIGHUP, "SIGHUP"}, SignalCase{SIGINT, "SIGINT"},
                                         SignalCase{SIGQUIT, "SIGQUIT"}, SignalCase{SIGUSR2, "SIGUSR2"}),
                         [](const testing::TestParamInfo<SignalCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(InitSignals, ZombiesAreReaped) {
  const Finished f = probe({}, {"zombies", "5"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "reaped\n") << describe(f);
}

TEST(InitSignals, StdinPassesThrough) {
  const Finished f = run(probe_argv({}, {"cat"}), "hello\n");
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello\n");
  EXPECT_EQ(f.err, "");
}

TEST(InitSignals, StdinPassesThroughUnchanged) {
  // Binary data, under a pipe's capacity so the harness can write it all first.
  std::string data;
  for (int i = 0; i < 32 * 1024; ++i) {
    data += static_cast<char>((i * 7) % 256);
  }
  const Finished f = run(probe_argv({}, {"cat"}), data);
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out.size(), data.size());
  EXPECT_TRUE(f.out == data);
}

// Waits up to 5 s for every process carrying `marker` to be gone; kills and
// returns those that are not.
std::set<pid_t> survivors(const std::string& marker) {
  std::set<pid_t> left = processes_carrying(marker);
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    left = processes_carrying(marker);
  }
  for (pid_t pid : left) {
    ::kill(pid, SIGKILL);  // do not leave them behind for the other tests
  }
  return left;
}

// SIGKILLs strata while `probe sleep` runs in a sandbox with these flags, and
// expects no sandbox process to survive.
void expect_sandbox_dies_with_strata(const std::vector<std::string>& flags) {
  const std::string marker = "STRATA_MARKER_" + unique_token();
  std::vector<std::string> all{"--env", "STRATA_MARKER=" + marker};
  all.insert(all.end(), flags.begin(), flags.end());
  Process p = start_probe(all, {"sleep", "1000"});
  if (const auto ready = p.read_line(seconds(20)); ready != "ready") {
    p.kill(SIGKILL);
    survivors(marker);
    FAIL() << "probe did not start: " << describe(p.wait(seconds(10)));
  }
  // strata and the sandbox's init carry the marker in their command line,
  // the workload in its environment; so does strata's cgroup janitor (a fork
  // of strata) when the run has a cgroup, which is not part of the sandbox.
  std::set<pid_t> before = processes_carrying(marker);
  std::erase_if(before, [](pid_t pid) {
    return read_file("/proc/" + std::to_string(pid) + "/comm").value_or("") == "strata-janitor\n";
  });
  EXPECT_EQ(before.size(), 3U);
  EXPECT_TRUE(before.contains(p.pid()));

  p.kill(SIGKILL);
  const std::set<pid_t> left = survivors(marker);
  EXPECT_TRUE(left.empty()) << left.size() << " sandbox process(es) outlived strata, e.g. pid "
                            << (left.empty() ? 0 : *left.begin());
  const Finished f = p.wait(seconds(10));
  EXPECT_EQ(f.signal, SIGKILL) << describe(f);
}

TEST(InitSignals, SandboxDiesWithStrata) {
  expect_sandbox_dies_with_strata({});
}

TEST(InitSignals, SandboxSharingHostPidNamespaceDiesWithStrata) {
  // Without its own pid namespace there is no init whose death takes the
  // workload along; the README still promises that the sandbox dies with strata.
  expect_sandbox_dies_with_strata({"--share", "pid"});
}

TEST(InitSignals, BackgroundProcessesDieWithWorkload) {
  if (!path_exists("/bin/sh") || !path_exists("/usr/bin/sleep")) {
    GTEST_SKIP() << "needs the host's /bin/sh and /usr/bin/sleep";
  }
  const std::string marker = "STRATA_MARKER_" + unique_token();
  const Finished f = strata({"run", "--env", "STRATA_MARKER=" + marker, "--", "/bin/sh", "-c",
                             "/usr/bin/sleep 1000 </dev/null >/dev/null 2>&1 & exit 3"});
  EXPECT_EQ(f.exit_code, 3) << describe(f);
  const std::set<pid_t> left = survivors(marker);
  EXPECT_TRUE(left.empty()) << left.size() << " background process(es) outlived the sandbox";
}

}  // namespace
}  // namespace strata::test
