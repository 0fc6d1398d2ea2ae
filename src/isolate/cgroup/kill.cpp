// Ending every process of a run. A process can leave its session and process
// group and ignore SIGTERM, but not its cgroup: cgroup.kill (Linux 5.14)
// takes the whole tree at once. Without it, freezing first keeps the members
// from forking between reading cgroup.procs and signalling what it listed.
#include <fmt/format.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "isolate/cgroup/cgroup.hpp"
#include "isolate/cgroup/cgroupfs.hpp"

namespace strata {

namespace {

constexpr auto kKillDeadline = std::chrono::seconds(10);
constexpr auto kAfterCgroupKill = std::chrono::milliseconds(1000);
constexpr auto kAfterRound = std::chrono::milliseconds(100);
constexpr auto kFreezeWait = std::chrono::milliseconds(1000);
constexpr auto kPoll = std::chrono::milliseconds(1);

struct FreezerFiles {
  const char* state;
  const char* freeze;
  const char* thaw;
};
constexpr FreezerFiles kV1Freezer{.state = "freezer.state", .freeze = "FROZEN", .thaw = "THAWED"};
constexpr FreezerFiles kV2Freezer{.state = "cgroup.freeze", .freeze = "1", .thaw = "0"};

// v1 passes through FREEZING; v2 reports the end in cgroup.events.
bool is_frozen(const CgroupDir& dir) {
  auto text = read_cgroup_file(dir.fd.get(), dir.v2 ? "cgroup.events" : "freezer.state", dir.path);
  if (!text || !*text) {
    return false;
  }
  if (dir.v2) {
    const auto events = parse_keyed(**text);
    const auto frozen = events.find("frozen");
    return frozen != events.end() && frozen->second == 1;
  }
  return (*text)->starts_with("FROZEN");
}

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its
// wrappers do not link from C++.
int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

int send_sigkill(int pidfd) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0U));
}

// Whether `pid` is (still) in one of the run's cgroups: a pid read from
// cgroup.procs may have been reaped and reused since.
bool in_run(pid_t pid, const std::vector<CgroupDir>& dirs) {
  const auto text = read_text_file(fmt::format("/proc/{}/cgroup", pid));
  const auto hierarchies = text ? parse_proc_cgroup(*text) : std::unexpected(text.error());
  if (!hierarchies) {
    return false;  // gone
  }
  return std::ranges::any_of(*hierarchies, [&dirs](const auto& entry) {
    const std::string& path = entry.second;
    return std::ranges::any_of(dirs, [&path](const CgroupDir& dir) {
      return path == dir.cgroup_path || path.starts_with(dir.cgroup_path + "/");
    });
  });
}

// The pidfd pins the process, so the check and the signal are about the same one.
Result<> kill_member(pid_t pid, const std::vector<CgroupDir>& dirs) {
  const UniqueFd pidfd(pidfd_open(pid));
  if (!pidfd) {
    return errno == ESRCH ? Result<>{} : fail_errno("open pidfd of process", std::to_string(pid));
  }
  if (in_run(pid, dirs) && send_sigkill(pidfd.get()) != 0 && errno != ESRCH) {
    return fail_errno("kill process", std::to_string(pid));
  }
  return {};
}

}  // namespace

Result<std::vector<pid_t>> RunCgroup::members() const {
  std::vector<pid_t> pids;
  for (const auto& dir : dirs_) {
    if (auto ok = collect_pids(dir.fd.get(), dir.path, pids); !ok) {
      return std::unexpected(ok.error());
    }
  }
  std::ranges::sort(pids);
  const auto [first, last] = std::ranges::unique(pids);
  pids.erase(first, last);
  return pids;
}

bool RunCgroup::wait_empty(std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = members();
    if (left && left->empty()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

Result<> RunCgroup::signal_members() const {
  auto pids = members();
  if (!pids) {
    return std::unexpected(pids.error());
  }
  for (const pid_t pid : *pids) {
    if (auto ok = kill_member(pid, dirs_); !ok) {
      return ok;
    }
  }
  return {};
}

// A frozen process keeps a SIGKILL pending until thawed, and cannot fork in
// the meantime; thawing lets all of them die at once.
Result<> RunCgroup::freeze_kill_thaw(const CgroupDir& freezer) const {
  const FreezerFiles& files = freezer.v2 ? kV2Freezer : kV1Freezer;
  if (auto ok = write_cgroup_file(freezer.fd.get(), files.state, files.freeze, freezer.path, "freeze cgroup");
      !ok) {
    return ok;
  }
  // A process in uninterruptible sleep can hold off freezing; kill what is
  // frozen by then and come round again.
  const auto deadline = std::chrono::steady_clock::now() + kFreezeWait;
  while (!is_frozen(freezer) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPoll);
  }
  auto killed = signal_members();
  auto thawed = write_cgroup_file(freezer.fd.get(), files.state, files.thaw, freezer.path, "thaw cgroup");
  return killed ? thawed : killed;
}

Result<> RunCgroup::kill_all(KillMethod method) {
  const CgroupDir* v2 = v2_dir();
  if (method == KillMethod::automatic && v2 != nullptr && has_cgroup_file(v2->fd.get(), "cgroup.kill")) {
    if (auto ok = write_cgroup_file(v2->fd.get(), "cgroup.kill", "1", v2->path, "kill cgroup"); !ok) {
      return ok;
    }
    if (wait_empty(kAfterCgroupKill)) {
      return {};
    }
  }
  // The v1 freezer is preferred where both are: it is the controller, while
  // v2's cgroup.freeze in a hybrid setup is the odd one out.
  const CgroupDir* freezer = serving("freezer", false);
  if (freezer == nullptr && v2 != nullptr && has_cgroup_file(v2->fd.get(), "cgroup.freeze")) {
    freezer = v2;
  }
  if (method == KillMethod::signals) {
    freezer = nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + kKillDeadline;
  for (;;) {
    auto left = members();
    if (!left || left->empty()) {
      return left ? Result<>{} : std::unexpected(left.error());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail("kill the processes of cgroup", dirs_.front().path,
                  fmt::format("{} still running after {}s", left->size(), kKillDeadline.count()));
    }
    if (auto ok = freezer != nullptr ? freeze_kill_thaw(*freezer) : signal_members(); !ok) {
      return ok;
    }
    (void)wait_empty(kAfterRound);
  }
}

}  // namespace strata
