// Backend: one way to run a Plan. Every isolation layer implements it and
// reports the same Outcome, so the CLI does not know which one ran.
#pragma once

#include <memory>

#include "isolate/outcome.hpp"
#include "isolate/plan.hpp"

namespace strata {

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  Backend(Backend&&) = delete;
  Backend& operator=(Backend&&) = delete;
  virtual ~Backend() = default;

  // Runs the workload to completion. An error means strata failed before or
  // while starting it; the workload's own failures are in the Outcome.
  virtual Result<Outcome> run(const Plan& plan) = 0;
};

std::unique_ptr<Backend> make_backend(Isolation isolation);

}  // namespace strata
