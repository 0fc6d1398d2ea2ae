// SECURITY.md item 29: pid 1 inside is strata's init: it reaps zombies,
// forwards SIGTERM (the workload's death by it is 143), and passes exit
// statuses through untouched.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

TEST(Init, ReapsOrphanedZombies) {
  // The probe's helper leaves 50 dead grandchildren to init.
  const Finished f = probe({}, {"zombies", "50"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "reaped\n");
}

TEST(Init, ForwardsSigtermAndReports143) {
  const TempDir dir;
  const std::string status = dir / "status.json";
  Process p = start_attack({"--json-status", status}, {"sleep", "60"});
  ASSERT_EQ(p.read_line(), "ready");
  p.kill(SIGTERM);
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 143) << describe(f);
  const auto json = read_status(status);
  ASSERT_FALSE(json.is_null());
  EXPECT_EQ(json["reason"], "signaled") << json.dump();
  EXPECT_EQ(json["signal"], SIGTERM) << json.dump();
}

TEST(Init, ForwardsTheOtherSignals) {
  for (int sig : {SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT}) {
    Process p = start_probe({}, {"wait-signal"});
    ASSERT_EQ(p.read_line(), "ready");
    p.kill(sig);
    const Finished f = p.wait();
    EXPECT_EQ(f.exit_code, 100 + sig) << "signal " << sig << ": " << describe(f);
  }
}

TEST(Init, ExitCodesPassThrough) {
  for (int code : {0, 1, 2, 42, 123, 124, 125, 126, 127, 128, 129, 137, 143, 200, 254, 255}) {
    const Finished f = attack({}, {"exit", std::to_string(code)});
    EXPECT_EQ(f.exit_code, code) << describe(f);
    EXPECT_EQ(f.err, "") << code;
  }
}

TEST(Init, DeathBySignalIs128PlusN) {
  for (int sig : {SIGKILL, SIGSEGV, SIGABRT}) {
    const Finished f = attack_script({}, "exec /attacker kill 0 " + std::to_string(sig));
    EXPECT_EQ(f.exit_code, 128 + sig) << describe(f);
  }
}

TEST(Init, WorkloadExitEndsEverythingElse) {
  // A daemon left behind by the workload does not keep the run alive.
  const ScopedSubreaper subreaper;
  const std::string marker = "STRATA_ATTACK=" + unique_token();
  const Finished f = attack_script({"--env", marker}, "/attacker daemonize & sleep 0.2; exit 3");
  EXPECT_EQ(f.exit_code, 3) << describe(f);
  EXPECT_TRUE(eventually([&] { return processes_carrying(marker).empty(); })) << "the daemon survived";
}

}  // namespace
}  // namespace strata::test
