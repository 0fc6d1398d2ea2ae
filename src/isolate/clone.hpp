// Creating the sandbox's first process in its new namespaces.
#pragma once

#include <vector>

#include "isolate/supervise.hpp"
#include "spec/spec.hpp"

namespace strata {

// clone3 (falling back to clone where clone3 is missing or filtered) into the
// given new namespaces, with a pidfd for the child. Returns in both
// processes: the child sees pid 0.
Result<Child> clone_into(const std::vector<Namespace>& namespaces);

// The CLONE_NEW* flags for a set of namespaces.
unsigned long clone_flags(const std::vector<Namespace>& namespaces);

}  // namespace strata
