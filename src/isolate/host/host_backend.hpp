// The host backend: the workload runs as a plain child of strata, with the
// environment and working directory the Plan gives and no isolation.
#pragma once

#include "isolate/backend.hpp"

namespace strata {

class HostBackend final : public Backend {
 public:
  Result<Outcome> run(const Plan& plan) override;
};

}  // namespace strata
