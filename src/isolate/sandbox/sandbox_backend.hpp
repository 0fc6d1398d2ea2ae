// The process sandbox: new user, mount, pid, ipc, uts, net and cgroup
// namespaces, a new root, no capabilities, strata's init as pid 1.
#pragma once

#include "isolate/backend.hpp"

namespace strata {

class SandboxBackend final : public Backend {
 public:
  Result<Outcome> run(const Plan& plan) override;
};

}  // namespace strata
