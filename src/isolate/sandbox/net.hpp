// The sandbox's network namespace.
#pragma once

#include "base/error.hpp"

namespace strata {

// Brings up the loopback interface of a new network namespace, which the
// kernel creates down.
Result<> bring_up_loopback();

}  // namespace strata
