// Landlock: the workload's filesystem access limited to what the Plan
// mounts, read-only except beneath writable mounts. Defense in depth on top
// of the mounts: it also binds files reached through a descriptor that
// leaked into the sandbox, which no mount flag does.
#pragma once

#include "isolate/plan.hpp"

namespace strata {

// The kernel's Landlock ABI version; 0 when Landlock is missing or disabled.
int landlock_abi();

// Parent side, before the clone: says (once, loudly) what the kernel's ABI
// cannot express, and refuses with --landlock=require. Returns the ABI to use
// (0 = do not apply).
Result<int> check_landlock(const Plan& plan);

// Workload side, after no_new_privs and before seccomp: builds the ruleset
// from the Plan's rules (paths inside the new root) and restricts itself.
Result<> apply_landlock(const Plan& plan, int abi);

}  // namespace strata
