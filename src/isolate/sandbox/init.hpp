// The sandbox side of a run, from clone to exec: the child's setup as a
// checklist, then strata's own init as pid 1, which starts the workload,
// reaps zombies, forwards signals and exits with the workload's status.
#pragma once

#include "isolate/exec.hpp"
#include "isolate/plan.hpp"
#include "isolate/sandbox/seccomp.hpp"
#include "isolate/sandbox/sync.hpp"

namespace strata {

// What the parent decides or compiles for the child before the clone, so the
// child neither probes nor allocates for it.
struct ChildPrep {
  int landlock_abi = 0;                     // 0: do not apply Landlock
  const SeccompProgram* seccomp = nullptr;  // nullptr: unconfined
};

// Runs in the cloned child; never returns.
[[noreturn]] void run_sandbox_child(const Plan& plan, const ExecArgs& args, const ChildPrep& prep,
                                    SyncChannel& channel);

}  // namespace strata
