// The sandbox's filesystem: a new root assembled from the Plan's mount steps
// and entered with pivot_root, the host's root detached. Runs in the child,
// inside the new user and mount namespaces.
#pragma once

#include "isolate/plan.hpp"

namespace strata {

// Builds the new root and enters it; on return "/" is the sandbox's root and
// the host's tree is unreachable.
Result<> enter_new_root(const Plan& plan);

}  // namespace strata
