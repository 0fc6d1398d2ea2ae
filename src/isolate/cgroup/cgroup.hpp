// cgroups for one run: where the hierarchies are mounted (v1, v2 or both, as
// /proc/self/mountinfo says, never assumed), and a RunCgroup that holds a
// run's processes so they can be limited, measured and killed as one.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata {

// hybrid: v1 controllers and a v2 hierarchy side by side (systemd's "hybrid"),
// where the v2 one usually holds no controllers but still tracks and kills.
enum class CgroupLayout { v1, v2, hybrid, none };

std::string_view layout_name(CgroupLayout layout);

// The caller's own cgroup in one hierarchy.
struct OwnCgroup {
  std::string dir;   // in the file system: "/sys/fs/cgroup/memory/user.slice"
  std::string path;  // as /proc/<pid>/cgroup names it: "/user.slice"
};

// Hierarchy keys: "" for v2, else a v1 controller ("memory", "name=systemd").
struct CgroupMounts {
  CgroupLayout layout = CgroupLayout::none;
  std::string unified;                       // the v2 mount point; empty when v2 is not mounted
  std::map<std::string, std::string> v1;     // v1 controller -> mount point
  std::map<std::string, std::string> roots;  // key -> the mount's root inside its hierarchy
  std::map<std::string, OwnCgroup> own;      // key -> the caller's cgroup (locate_own_cgroups)
};

// Parses /proc/self/mountinfo text. Pure: no system calls.
Result<CgroupMounts> parse_cgroup_mounts(std::string_view mountinfo);

// Parses /proc/<pid>/cgroup text into hierarchy ("memory", "cpu,cpuacct",
// "" for v2) -> cgroup path. Pure.
Result<std::map<std::string, std::string>> parse_proc_cgroup(std::string_view text);

// Fills mounts.own from parse_proc_cgroup's answer: each path below the
// mount's root, joined to the mount point. A hierarchy whose cgroup lies
// outside what its mount shows (another cgroup namespace's mount) is left out.
CgroupMounts locate_own_cgroups(CgroupMounts mounts, const std::map<std::string, std::string>& proc_cgroup);

// Reads /proc/self/mountinfo and /proc/self/cgroup.
Result<CgroupMounts> detect_cgroups();

// Removes the strata-<pid>-* cgroups, below the caller's own, of runs whose
// strata is gone (SIGKILLed before it could remove them, its janitor too),
// killing what is still in them: a dead run's processes may take a moment to
// die. Returns how many runs it cleaned up. Best effort: what it cannot
// remove it leaves.
int sweep_stale_cgroups(const CgroupMounts& mounts);

struct CgroupLimits {
  std::optional<std::uint64_t> memory_bytes;  // swap included: the run gets no swap
  std::optional<std::uint64_t> pids;
  std::optional<double> cpus;  // 0.5: half of one CPU's time per period
};

struct CgroupUsage {
  std::uint64_t memory_peak_bytes = 0;
  std::uint64_t cpu_usage_ns = 0;
  bool oom_killed = false;        // the kernel's OOM killer killed a process of the run
  bool memory_limit_hit = false;  // the limit was reached (reclaim or OOM); with a SIGKILL, an OOM kill
  bool pids_limit_hit = false;    // a fork or clone failed on the pids limit
};

// The CFS bandwidth for `cpus`: `quota_us` of CPU time every `period_us`.
struct CpuQuota {
  std::uint64_t quota_us = 0;
  std::uint64_t period_us = 0;
};
Result<CpuQuota> cpu_quota(double cpus);
std::string cpu_max_value(const CpuQuota& quota);  // cpu.max: "50000 100000"

// One control file a limit writes, in the order the kernel accepts them.
struct LimitWrite {
  std::string controller;  // "memory", "pids", "cpu"
  std::string file;        // "memory.max"
  std::string value;
  bool required = true;  // false: skipped where the kernel lacks the file (no swap accounting)
};
// The files for v2 (`v2`) or v1; refuses limits no kernel would take.
Result<std::vector<LimitWrite>> limit_writes(const CgroupLimits& limits, bool v2);

enum class KillMethod {
  automatic,  // cgroup.kill where there is one, else the freezer, else signals
  freezer,    // freeze, SIGKILL every member, thaw (v1 freezer preferred, else v2 cgroup.freeze)
  signals,    // SIGKILL every member until none is left (racy against fork; a last resort)
};

// One directory of a RunCgroup.
struct CgroupDir {
  std::string path;                      // absolute, for messages
  std::string cgroup_path;               // as /proc/<pid>/cgroup names it
  std::vector<std::string> controllers;  // the ones that act on this directory
  bool v2 = false;
  UniqueFd parent;  // the caller's cgroup, to remove the directory from
  UniqueFd fd;
};

struct CgroupPlacement;  // which hierarchies get a directory (placement.hpp)

// One cgroup per hierarchy a run needs, all named "strata-<pid>-<random>",
// created below the caller's own cgroup. Move-only; the destructor removes
// them (killing what is left) unless remove() already did.
class RunCgroup {
 public:
  // v2: one directory, enabling controllers in the parent's subtree_control
  // when needed. v1: one per controller a limit needs (memory, pids, cpu),
  // plus freezer, cpuacct and memory when available, for kill_all and
  // usage. Hybrid: both (the v2 directory gives cgroup.kill and
  // CLONE_INTO_CGROUP). A requested limit that cannot be enforced fails
  // naming the file that says why.
  static Result<RunCgroup> create(const CgroupMounts& mounts, const CgroupLimits& limits);

  // The existing directories named `name` below the caller's own cgroups,
  // owned from now on by the caller (the sweep of a dead run's cgroups);
  // nullopt when there is none.
  static std::optional<RunCgroup> reclaim(const CgroupMounts& mounts, const std::string& name);

  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  RunCgroup(RunCgroup&& other) noexcept;
  RunCgroup& operator=(RunCgroup&& other) noexcept;
  ~RunCgroup();

  // Moves `pid` into every directory (its cgroup.procs).
  Result<> add(pid_t pid);

  // The v2 directory, for clone3's CLONE_INTO_CGROUP; -1 when there is none.
  // The child still needs add() for the v1 directories.
  [[nodiscard]] int v2_dirfd() const;

  // Kills every process in the cgroups and the cgroups nested in them,
  // setsid'd and double-forked ones included, and waits until none is left.
  Result<> kill_all(KillMethod method = KillMethod::automatic);

  // What the run used. Read it before remove().
  [[nodiscard]] Result<CgroupUsage> usage() const;

  // kill_all, then removes the directories (retrying while the kernel still
  // counts exiting processes). Does nothing in a moved-from object or in a
  // forked copy of the creating process.
  Result<> remove();

  // For a forked watcher that cleans up after a creator that died
  // (isolate/janitor.hpp): makes the calling process the owner, so remove()
  // acts, and lists the descriptors the copy must keep open.
  void take_over() { owner_ = ::getpid(); }
  [[nodiscard]] std::vector<int> descriptors() const;

  [[nodiscard]] const std::string& name() const { return name_; }
  // Every directory, absolute.
  [[nodiscard]] std::vector<std::string> directories() const;
  // The directory whose controller `controller` is, "" when none is.
  [[nodiscard]] std::string directory_for(std::string_view controller) const;

 private:
  explicit RunCgroup(std::string name);
  Result<> make_dirs(const CgroupPlacement& placement);
  Result<> write_limits(const CgroupPlacement& placement, const CgroupLimits& limits);
  [[nodiscard]] const CgroupDir* serving(std::string_view controller, std::optional<bool> v2 = {}) const;
  [[nodiscard]] const CgroupDir* v2_dir() const;
  [[nodiscard]] Result<std::vector<pid_t>> members() const;
  [[nodiscard]] bool wait_empty(std::chrono::milliseconds limit) const;
  [[nodiscard]] Result<> signal_members() const;
  [[nodiscard]] Result<> freeze_kill_thaw(const CgroupDir& freezer) const;

  std::string name_;
  std::vector<CgroupDir> dirs_;
  pid_t owner_ = 0;  // the creating process
};

}  // namespace strata
