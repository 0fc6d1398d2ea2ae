// User namespace id maps, written by the parent (the child cannot map its
// own ids without privileges it does not have yet).
#pragma once

#include <sys/types.h>

#include "isolate/plan.hpp"

namespace strata {

Result<> write_id_maps(pid_t child, const Plan& plan);

}  // namespace strata
