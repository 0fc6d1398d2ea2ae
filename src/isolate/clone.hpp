// Creating the sandbox's first process in its new namespaces.
#pragma once

#include <chrono>
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

// The start every backend shares: a sync channel, the forwarded signals
// blocked (so none is lost before the supervisor runs), and the clone.
// Returns in both processes; each holds only its own end of the channel.
struct Launch {
  SyncChannel parent_end;
  SyncChannel child_end;
  ForwardedSignals signals;
  Child child;
  std::chrono::steady_clock::time_point started;

  [[nodiscard]] bool in_child() const { return child.pid == 0; }
};

Result<Launch> launch(const std::vector<Namespace>& namespaces);

}  // namespace strata
