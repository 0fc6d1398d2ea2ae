// The workload's identity and privileges: the user and group inside, no
// supplementary groups, no capabilities in any set, and no_new_privs so no
// setuid or file-capability binary can give any back.
#pragma once

#include "isolate/plan.hpp"

namespace strata {

Result<> drop_privileges(const Plan& plan);

}  // namespace strata
