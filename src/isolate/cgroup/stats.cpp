// What a run used, from the counters of whichever hierarchy has them. A
// counter the kernel lacks (memory.peak before 5.19) reads as zero.
#include "isolate/cgroup/cgroup.hpp"
#include "isolate/cgroup/cgroupfs.hpp"

namespace strata {

namespace {

using Keyed = std::map<std::string, std::uint64_t, std::less<>>;

Result<Keyed> read_keyed(const CgroupDir& dir, const std::string& file) {
  auto text = read_cgroup_file(dir.fd.get(), file, dir.path);
  if (!text) {
    return std::unexpected(text.error());
  }
  return *text ? parse_keyed(**text) : Keyed{};
}

// A file holding one number ("memory.max_usage_in_bytes").
Result<std::uint64_t> read_number(const CgroupDir& dir, const std::string& file) {
  auto text = read_cgroup_file(dir.fd.get(), file, dir.path);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return 0;
  }
  // parse_keyed wants "key value"; give the number a key.
  const auto parsed = parse_keyed("value " + **text);
  const auto value = parsed.find("value");
  if (value == parsed.end()) {
    return fail("read cgroup counter", join_path(dir.path, file), "not a number");
  }
  return value->second;
}

std::uint64_t get(const Keyed& values, std::string_view key) {
  const auto found = values.find(key);
  return found == values.end() ? 0 : found->second;
}

Result<> memory_usage(const CgroupDir& dir, CgroupUsage& usage) {
  auto peak = read_number(dir, dir.v2 ? "memory.peak" : "memory.max_usage_in_bytes");
  // v2 counts OOM kills in memory.events; v1 in memory.oom_control (4.13+).
  auto events = read_keyed(dir, dir.v2 ? "memory.events" : "memory.oom_control");
  auto failures = dir.v2 ? Result<std::uint64_t>(0) : read_number(dir, "memory.failcnt");
  if (!peak || !events || !failures) {
    return std::unexpected(!peak ? peak.error() : !events ? events.error() : failures.error());
  }
  usage.memory_peak_bytes = *peak;
  usage.oom_killed = get(*events, "oom_kill") > 0;
  usage.memory_limit_hit = (dir.v2 ? get(*events, "max") : *failures) > 0 || usage.oom_killed;
  return {};
}

}  // namespace

Result<CgroupUsage> RunCgroup::usage() const {
  if (dirs_.empty()) {
    return fail("read cgroup usage", name_, "the cgroup was removed");
  }
  CgroupUsage usage;
  if (const CgroupDir* memory = serving("memory")) {
    if (auto ok = memory_usage(*memory, usage); !ok) {
      return std::unexpected(ok.error());
    }
  }
  // v2's cpu.stat is there without the cpu controller.
  if (const CgroupDir* v2 = v2_dir()) {
    auto stat = read_keyed(*v2, "cpu.stat");
    if (!stat) {
      return std::unexpected(stat.error());
    }
    usage.cpu_usage_ns = get(*stat, "usage_usec") * 1000;
  } else if (const CgroupDir* cpuacct = serving("cpuacct")) {
    auto nanoseconds = read_number(*cpuacct, "cpuacct.usage");
    if (!nanoseconds) {
      return std::unexpected(nanoseconds.error());
    }
    usage.cpu_usage_ns = *nanoseconds;
  }
  if (const CgroupDir* pids = serving("pids")) {
    auto events = read_keyed(*pids, "pids.events");
    if (!events) {
      return std::unexpected(events.error());
    }
    usage.pids_limit_hit = get(*events, "max") > 0;
  }
  return usage;
}

}  // namespace strata
