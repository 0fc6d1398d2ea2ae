// Limit values and the files they go to, for v1 and v2, and the small
// parsers for cgroup control files.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "isolate/cgroup/cgroup.hpp"
#include "isolate/cgroup/cgroupfs.hpp"

namespace strata {
namespace {

TEST(CpuQuota, HalfACpu) {
  const auto quota = cpu_quota(0.5);
  ASSERT_TRUE(quota);
  EXPECT_EQ(quota->quota_us, 50000U);
  EXPECT_EQ(quota->period_us, 100000U);
  EXPECT_EQ(cpu_max_value(*quota), "50000 100000");
}

TEST(CpuQuota, SeveralCpusAndRounding) {
  EXPECT_EQ(cpu_max_value(*cpu_quota(2)), "200000 100000");
  EXPECT_EQ(cpu_max_value(*cpu_quota(1.333333)), "133333 100000");
  EXPECT_EQ(cpu_max_value(*cpu_quota(0.01)), "1000 100000");
}

TEST(CpuQuota, RefusesWhatTheKernelWouldNot) {
  for (double bad : {0.0, -1.0, 0.005, std::numeric_limits<double>::infinity(), std::nan("")}) {
    EXPECT_FALSE(cpu_quota(bad)) << bad;
  }
}

std::string describe(const std::vector<LimitWrite>& writes) {
  std::string out;
  for (const auto& write : writes) {
    out += write.controller + ":" + write.file + "=" + write.value + (write.required ? "" : "?") + " ";
  }
  return out;
}

const CgroupLimits kAll{.memory_bytes = 64ULL << 20, .pids = 16, .cpus = 0.5};

TEST(LimitWrites, V2) {
  const auto writes = limit_writes(kAll, true);
  ASSERT_TRUE(writes);
  EXPECT_EQ(
      describe(*writes),
      "memory:memory.max=67108864 memory:memory.swap.max=0? pids:pids.max=16 cpu:cpu.max=50000 100000 ");
}

TEST(LimitWrites, V1MemoryBeforeSwapAndPeriodBeforeQuota) {
  const auto writes = limit_writes(kAll, false);
  ASSERT_TRUE(writes);
  EXPECT_EQ(describe(*writes),
            "memory:memory.limit_in_bytes=67108864 memory:memory.memsw.limit_in_bytes=67108864? "
            "pids:pids.max=16 cpu:cpu.cfs_period_us=100000 cpu:cpu.cfs_quota_us=50000 ");
}

TEST(LimitWrites, NothingRequestedWritesNothing) {
  const auto writes = limit_writes({}, true);
  ASSERT_TRUE(writes);
  EXPECT_TRUE(writes->empty());
}

TEST(LimitWrites, RefusesUnusableLimits) {
  EXPECT_FALSE(limit_writes({.pids = 0}, true));
  EXPECT_FALSE(limit_writes({.memory_bytes = 4096}, false));
  EXPECT_FALSE(limit_writes({.cpus = 0.0}, false));
}

TEST(CgroupFiles, KeyedCounters) {
  const auto events = parse_keyed("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
  EXPECT_EQ(events.at("max"), 12U);
  EXPECT_EQ(events.at("oom_kill"), 1U);
  const auto oom_control = parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  EXPECT_EQ(oom_control.at("oom_kill"), 3U);
  // Lines that are not "key number" are skipped, not misread.
  const auto odd = parse_keyed("some avg10=0.00 avg60=0.00\nfrozen 1\n\n");
  EXPECT_EQ(odd.size(), 1U);
  EXPECT_EQ(odd.at("frozen"), 1U);
}

TEST(CgroupFiles, Pids) {
  const auto pids = parse_pids("12\n345\n");
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, (std::vector<pid_t>{12, 345}));
  EXPECT_TRUE(parse_pids("")->empty());
  EXPECT_FALSE(parse_pids("12\nabc\n"));
}

TEST(CgroupFiles, JoinPath) {
  EXPECT_EQ(join_path("/", "strata-1"), "/strata-1");
  EXPECT_EQ(join_path("/a", "strata-1"), "/a/strata-1");
  EXPECT_EQ(join_path("/a/", "b"), "/a/b");
}

}  // namespace
}  // namespace strata
