// The cgroup side of a run: a RunCgroup created before the clone when the
// Plan sets limits (or needs one to end a run whose processes no pid
// namespace holds), the child moved in right after, and at the end the
// figures and the reason (oom-killed, pids-limit) added to the Outcome.
#pragma once

#include <functional>
#include <optional>

#include "isolate/cgroup/cgroup.hpp"
#include "isolate/janitor.hpp"
#include "isolate/outcome.hpp"
#include "isolate/plan.hpp"
#include "isolate/supervise.hpp"

namespace strata {

class ResourceScope {
 public:
  // Creates the cgroup when the Plan needs one. Limits that cannot be
  // enforced are an error; a cgroup wanted only for killing is best effort.
  static Result<ResourceScope> prepare(const Plan& plan);

  // Moves the freshly cloned child in, before it is let go.
  Result<> adopt(pid_t child);

  // What --timeout uses to end everything: the cgroup's kill_all, else (or
  // as well) SIGKILL to the child.
  std::function<void()> killer(const Child& child);

  // Measures, removes the cgroup, and refines the Outcome's reason.
  void finish(Outcome& outcome);

 private:
  std::optional<RunCgroup> cgroup_;
  CgroupJanitor janitor_;  // cleans up if strata is SIGKILLed mid-run
};

}  // namespace strata
