// SECURITY.md item 31: hostile or absurd configuration gets a clean error
// (exit 125, one line naming the problem) or a correct run, and never
// leaves partial state on the host (mount table, cgroup tree).
//
// NUL bytes cannot be tested: strata's input is argv, where a NUL ends the
// string before strata sees it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

void expect_clean_refusal(const std::vector<std::string>& args) {
  const HostState before = HostState::now();
  const Finished f = strata(args);
  const std::string context = testing::PrintToString(args);
  EXPECT_EQ(f.exit_code, 125) << context << ": " << describe(f);
  EXPECT_EQ(f.out, "") << context;
  EXPECT_EQ(lines(f.err).size(), 1U) << context << ": " << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << context << ": " << f.err;
  expect_unchanged(before, context);
}

std::vector<std::string> run_true(std::vector<std::string> flags) {
  flags.insert(flags.begin(), "run");
  flags.insert(flags.end(), {"--", "/bin/true"});
  return flags;
}

TEST(HostileConfig, EmptyCommand) {
  expect_clean_refusal({"run", "--"});
  expect_clean_refusal({"run"});
  expect_clean_refusal({"run", "--", ""});
}

TEST(HostileConfig, AbsurdIds) {
  for (const char* id : {"4294967295", "4294967296", "-1", "99999999999999999999", "0x10", "1e3", ""}) {
    expect_clean_refusal(run_true({"--uid", id}));
    expect_clean_refusal(run_true({"--gid", id}));
  }
}

TEST(HostileConfig, AbsurdCgroupLimits) {
  for (const auto& flags : std::vector<std::vector<std::string>>{{"--memory", "0"},
                                                                 {"--memory", "-1"},
                                                                 {"--memory", "1x"},
                                                                 {"--memory", "99999999999999999999999"},
                                                                 {"--memory", "1"},
                                                                 {"--pids", "0"},
                                                                 {"--pids", "-1"},
                                                                 {"--pids", "99999999999"},
                                                                 {"--cpus", "-1"},
                                                                 {"--cpus", "0"},
                                                                 {"--cpus", "nan"},
                                                                 {"--cpus", "inf"},
                                                                 {"--cpus", "1e400"}}) {
    expect_clean_refusal(run_true(flags));
  }
}

TEST(HostileConfig, AbsurdDurations) {
  for (const auto& flags : std::vector<std::vector<std::string>>{{"--timeout", "0"},
                                                                 {"--timeout", "-1s"},
                                                                 {"--timeout", "999999999999h"},
                                                                 {"--kill-after", "-1s"},
                                                                 {"--kill-after", "soon"}}) {
    expect_clean_refusal(run_true(flags));
  }
}

TEST(HostileConfig, AbsurdRlimits) {
  for (const char* limit : {"nofile=-1", "nofile=2:1", "bogus=1", "nofile", "nofile=", "fsize=1q",
                            "nofile=99999999999999999999999"}) {
    expect_clean_refusal(run_true({"--rlimit", limit}));
  }
  // Above the hard limit: refused when it is applied, still cleanly.
  expect_clean_refusal(run_true({"--rlimit", "nofile=999999999"}));
}

TEST(HostileConfig, AbsurdMountsAndFds) {
  for (const auto& flags : std::vector<std::vector<std::string>>{{"--tmpfs", "/x:0"},
                                                                 {"--tmpfs", "/x:-1"},
                                                                 {"--tmpfs", "relative"},
                                                                 {"--tmpfs", "/"},
                                                                 {"--bind", "/etc:/"},
                                                                 {"--bind", "/nonexistent-strata-src:/x"},
                                                                 {"--bind", "/tmp:relative"},
                                                                 {"--pass-fd", "-1"},
                                                                 {"--pass-fd", "2"},
                                                                 {"--pass-fd", "99999"},
                                                                 {"--hostname", ""},
                                                                 {"--hostname", std::string(65, 'h')},
                                                                 {"--cap-add", "BOGUS"},
                                                                 {"--cap-add", "CAP_SYS_ADMIN_X"},
                                                                 {"--landlock", "maybe"}}) {
    expect_clean_refusal(run_true(flags));
  }
}

TEST(HostileConfig, MissingSeccompProfileIsRefused) {
  // Asking for a profile and silently getting no filter is the worst answer.
  expect_clean_refusal(run_true({"--seccomp", "/nonexistent/strata-profile.json"}));
  const TempDir dir;
  write_file(dir / "garbage.json", "{ this is not a seccomp profile");
  expect_clean_refusal(run_true({"--seccomp", dir / "garbage.json"}));
}

TEST(HostileConfig, EnvValueWithNewlinePassesThroughExactly) {
  const Finished f = attack({"--env", "STRATA_X=line1\nline2=3"}, {"cat", "/proc/self/environ"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find(std::string("STRATA_X=line1\nline2=3") + '\0'), std::string::npos) << f.out;
}

// Runs argv with `env` as its whole environment, a stack limit that lets the
// kernel take it (the total is capped at 6 MiB whatever the limit), and
// returns how it ended and how long it took.
std::pair<Finished, std::chrono::seconds> run_with_env(const std::vector<std::string>& argv,
                                                       std::vector<std::string>& env_text) {
  std::vector<char*> env;
  env.reserve(env_text.size() + 1);
  for (auto& e : env_text) {
    env.push_back(e.data());
  }
  env.push_back(nullptr);
  char** const whole = env.data();  // built before the fork: the child only swaps a pointer
  const auto started = std::chrono::steady_clock::now();
  Process p = Process::start(argv, {}, [whole] {
    rlimit stack{.rlim_cur = 64UL << 20, .rlim_max = 64UL << 20};
    ::setrlimit(RLIMIT_STACK, &stack);
    environ = whole;
  });
  Finished f = p.wait(std::chrono::seconds(60));
  return {f, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)};
}

void expect_handled(const Finished& f, std::chrono::seconds took, const std::string& context) {
  EXPECT_NE(f.exit_code, 127) << context << ": strata itself could not be started (E2BIG?)";
  EXPECT_TRUE(f.exit_code == 0 || (f.exit_code == 125 && lines(f.err).size() == 1U))
      << context << ": "
      << describe(Finished{f.exit_code, f.signal, f.out.substr(0, 200), f.err.substr(0, 400)});
  EXPECT_LT(took.count(), 30) << context << " took " << took.count() << " s (quadratic?)";
}

constexpr int kHugeVars = 100000;

TEST(HostileConfig, HugeCallerEnvironmentIsHandled) {
  // 100k variables in strata's own environment; it keeps only PATH, TERM and
  // LANG for the sandbox, and all of them for --isolation host.
  std::vector<std::string> env{"PATH=/usr/bin:/bin"};
  for (int i = 0; i < kHugeVars; ++i) {
    env.push_back("H" + std::to_string(i) + "=1");
  }
  for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--isolation", "host"}}) {
    std::vector<std::string> argv{strata_bin(), "run"};
    if (flags.empty()) {
      argv.insert(argv.end(), {"--ro-bind", attacker_bin() + ":/attacker", "--", "/attacker", "exit", "0"});
    } else {
      argv.insert(argv.end(), {"--isolation", "host", "--", attacker_bin(), "exit", "0"});
    }
    const auto [f, took] = run_with_env(argv, env);
    expect_handled(f, took, "caller environment " + testing::PrintToString(flags));
  }
}

TEST(HostileConfig, HugeEnvFlagsAreHandled) {
  // 100k --env flags, all passed on to the workload.
  std::vector<std::string> argv{strata_bin(), "run", "--ro-bind", attacker_bin() + ":/attacker"};
  for (int i = 0; i < kHugeVars; ++i) {
    argv.emplace_back("--env");
    argv.push_back("E" + std::to_string(i) + "=1");
  }
  argv.insert(argv.end(), {"--", "/attacker", "exit", "0"});
  std::vector<std::string> env{"PATH=/usr/bin:/bin"};
  const auto [f, took] = run_with_env(argv, env);
  expect_handled(f, took, "100k --env flags");
}

}  // namespace
}  // namespace strata::test
