#include "isolate/resources.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.hpp"

namespace strata {

namespace {

CgroupLimits limits_of(const Resources& r) {
  return CgroupLimits{.memory_bytes = r.memory_bytes, .pids = r.pids, .cpus = r.cpus};
}

bool has_limits(const Resources& r) {
  return r.memory_bytes || r.pids || r.cpus;
}

// A timeout can end a sandbox through its pid namespace; without one (host
// isolation, --share pid) only a cgroup reaches every process of the run.
// A sandbox must also die with a SIGKILLed strata: with --share pid only the
// cgroup (and the janitor watching it) can see to that.
bool needs_cgroup_to_kill(const Plan& plan) {
  if (plan.unshares(Namespace::pid)) {
    return false;
  }
  return plan.resources.timeout || plan.isolation != Isolation::host;
}

}  // namespace

Result<ResourceScope> ResourceScope::prepare(const Plan& plan) {
  ResourceScope scope;
  const bool limits = has_limits(plan.resources);
  if (!limits && !needs_cgroup_to_kill(plan)) {
    return scope;
  }
  auto mounts = detect_cgroups();
  if (mounts) {
    sweep_stale_cgroups(*mounts);
  }
  auto made = mounts ? RunCgroup::create(*mounts, limits_of(plan.resources))
                     : Result<RunCgroup>(std::unexpected(mounts.error()));
  if (!made) {
    if (limits) {
      return std::unexpected(made.error());
    }
    log::warn("no cgroup for this run ({}); {}", made.error().message(),
              plan.resources.timeout ? "--timeout may miss processes that left the workload's tree"
                                     : "with --share pid, processes the workload leaves in the background "
                                       "survive if strata is killed");
    return scope;
  }
  scope.cgroup_.emplace(std::move(*made));
  if (auto janitor = CgroupJanitor::start(*scope.cgroup_); janitor) {
    scope.janitor_ = std::move(*janitor);
  } else {
    log::warn("{}; if strata is killed the run's cgroup stays until the next run", janitor.error().message());
  }
  return scope;
}

Result<> ResourceScope::adopt(pid_t child) {
  return cgroup_ ? cgroup_->add(child) : Result<>{};
}

std::function<void()> ResourceScope::killer(const Child& child) {
  return [this, pidfd = child.pidfd.get()] {
    if (cgroup_) {
      if (auto ok = cgroup_->kill_all(); !ok) {
        log::warn("kill the run's cgroup: {}", ok.error().message());
      }
    }
    ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  };
}

void ResourceScope::finish(Outcome& outcome) {
  if (!cgroup_) {
    return;
  }
  if (auto usage = cgroup_->usage(); usage) {
    outcome.cgroup = CgroupFigures{.memory_peak_bytes = usage->memory_peak_bytes,
                                   .cpu_seconds = static_cast<double>(usage->cpu_usage_ns) / 1e9};
    const bool ended_by_workload =
        outcome.reason == EndReason::exited || outcome.reason == EndReason::signaled;
    const bool killed = outcome.reason == EndReason::signaled && outcome.signal == SIGKILL;
    if (ended_by_workload && (usage->oom_killed || (usage->memory_limit_hit && killed))) {
      outcome.reason = EndReason::oom_killed;
    } else if (ended_by_workload && usage->pids_limit_hit && outcome.exit_code != 0) {
      outcome.reason = EndReason::pids_limit;
    }
  } else {
    log::warn("measure the run's cgroup: {}", usage.error().message());
  }
  if (auto ok = cgroup_->remove(); !ok) {
    log::warn("remove the run's cgroup: {}", ok.error().message());
  }
  cgroup_.reset();
  janitor_.dismiss();
}

}  // namespace strata
