// The workload's identity and privileges: the user and group inside, no
// supplementary groups, only the capabilities the Plan keeps (none by
// default), and no_new_privs so no setuid or file-capability binary can give
// any back.
#pragma once

#include "isolate/plan.hpp"

namespace strata {

Result<> drop_privileges(const Plan& plan);

// The Plan's rlimits (setrlimit); raising a hard limit fails in a user namespace.
Result<> apply_rlimits(const ProcessPlan& process);

}  // namespace strata
