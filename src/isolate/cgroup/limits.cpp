// What each limit writes, and where. The values are checked here, before any
// directory exists, so a refused limit leaves nothing behind.
#include <fmt/format.h>

#include <cmath>

#include "isolate/cgroup/cgroup.hpp"

namespace strata {

namespace {

// The CFS default period; the kernel refuses quotas under 1ms.
constexpr std::uint64_t kCpuPeriodUs = 100'000;
constexpr std::uint64_t kMinCpuQuotaUs = 1'000;
// A quota the kernel takes on any machine: cpu.max caps it near 2^44 us.
constexpr double kMaxCpus = 1'000'000;
// A cgroup under a few MiB cannot even run a shell; the kernel would take
// it and then OOM-kill at once, which looks like a strata bug.
constexpr std::uint64_t kMinMemoryBytes = 1ULL << 20;

}  // namespace

Result<CpuQuota> cpu_quota(double cpus) {
  if (!std::isfinite(cpus) || cpus <= 0 || cpus > kMaxCpus) {
    return fail("set cpu limit", fmt::format("{}", cpus), "expected a positive number of CPUs");
  }
  const auto quota = static_cast<std::uint64_t>(std::llround(cpus * static_cast<double>(kCpuPeriodUs)));
  if (quota < kMinCpuQuotaUs) {
    return fail("set cpu limit", fmt::format("{}", cpus), "below the kernel's minimum of 0.01 CPUs");
  }
  return CpuQuota{.quota_us = quota, .period_us = kCpuPeriodUs};
}

std::string cpu_max_value(const CpuQuota& quota) {
  return fmt::format("{} {}", quota.quota_us, quota.period_us);
}

Result<std::vector<LimitWrite>> limit_writes(const CgroupLimits& limits, bool v2) {
  std::vector<LimitWrite> writes;
  if (limits.memory_bytes) {
    if (*limits.memory_bytes < kMinMemoryBytes) {
      return fail("set memory limit", std::to_string(*limits.memory_bytes), "below the minimum of 1 MiB");
    }
    const std::string bytes = std::to_string(*limits.memory_bytes);
    // Without the swap limit a run could push its excess to swap and never
    // meet the limit. v1's memsw is memory+swap, so it must not be below
    // the memory limit at any moment: memory first.
    if (v2) {
      writes.push_back({.controller = "memory", .file = "memory.max", .value = bytes});
      writes.push_back({.controller = "memory", .file = "memory.swap.max", .value = "0", .required = false});
    } else {
      writes.push_back({.controller = "memory", .file = "memory.limit_in_bytes", .value = bytes});
      writes.push_back(
          {.controller = "memory", .file = "memory.memsw.limit_in_bytes", .value = bytes, .required = false});
    }
  }
  if (limits.pids) {
    if (*limits.pids == 0) {
      return fail("set pids limit", "0", "a run needs at least one process");
    }
    writes.push_back({.controller = "pids", .file = "pids.max", .value = std::to_string(*limits.pids)});
  }
  if (limits.cpus) {
    auto quota = cpu_quota(*limits.cpus);
    if (!quota) {
      return std::unexpected(quota.error());
    }
    if (v2) {
      writes.push_back({.controller = "cpu", .file = "cpu.max", .value = cpu_max_value(*quota)});
    } else {
      // The period first: the quota is checked against it.
      writes.push_back(
          {.controller = "cpu", .file = "cpu.cfs_period_us", .value = std::to_string(quota->period_us)});
      writes.push_back(
          {.controller = "cpu", .file = "cpu.cfs_quota_us", .value = std::to_string(quota->quota_us)});
    }
  }
  return writes;
}

}  // namespace strata
