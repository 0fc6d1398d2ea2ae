// --timeout ends the whole sandbox, daemons included, and says so.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace strata::test {
namespace {

TEST(Timeout, EndsADaemonThatIgnoresSigterm) {
  const TempDir dir;
  const std::string status = dir / "status.json";
  const std::string marker = unique_token();
  // The workload ignores SIGTERM and leaves a setsid'd grandchild that
  // ignores it too; only the pid namespace's end can take both.
  const Finished f = strata({"run", "--timeout", "500ms", "--kill-after", "300ms", "--json-status", status,
                             "--env", "MARKER=" + marker, "--", "/bin/sh", "-c",
                             "trap '' TERM; (setsid sh -c \"trap '' TERM; sleep 60\" &); sleep 60"});
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  std::ifstream in(status);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["reason"], "timeout");
  EXPECT_EQ(json["exit_code"], 124);
  EXPECT_LT(json["wall_seconds"].get<double>(), 30.0);
  EXPECT_TRUE(processes_carrying(marker).empty()) << "a process of the run outlived its timeout";
}

TEST(Timeout, AWorkloadThatHonoursSigtermEndsAtTheFirstSignal) {
  const Finished f = strata({"run", "--timeout", "300ms", "--kill-after", "60s", "--", "/bin/sleep", "60"});
  EXPECT_EQ(f.exit_code, 124) << describe(f);
}

TEST(Timeout, AFastWorkloadIsUnaffected) {
  const Finished f = strata({"run", "--timeout", "60s", "--", "/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(f.exit_code, 3) << describe(f);
}

TEST(Timeout, BadDurationsAreRefused) {
  for (const char* bad : {"0", "-1s", "soon", "10x", "1.5.2s"}) {
    const Finished f = strata({"run", "--timeout", bad, "--", "/bin/true"});
    EXPECT_EQ(f.exit_code, 125) << bad;
    EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  }
}

}  // namespace
}  // namespace strata::test
