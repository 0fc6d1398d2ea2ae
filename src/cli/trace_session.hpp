// What `strata trace` and `strata advise` share: the run flags a traced
// workload takes, and one traced run of it, ending in the needs document.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "spec/spec.hpp"
#include "trace/filter.hpp"
#include "trace/needs.hpp"
#include "trace/tracer.hpp"

namespace strata::cli {

// run's flags, with --seccomp refused: the tracing filter replaces the workload's.
void add_traced_run_flags(CLI::App& command, Spec& spec);

struct TracedWorkload {
  trace::TracedRun traced;
  trace::TraceContext context;
  nlohmann::json document;  // strata.needs/v1
};

// Validates `spec` (its argv is the command), puts the tracing filter in
// place of the workload's, runs it traced as `strata run` would, and builds
// the document. Fails, before anything ran, on a Spec that does not
// validate, or when the tracer cannot start (ptrace not permitted).
[[nodiscard]] Result<TracedWorkload> trace_workload(Spec& spec, trace::TraceMode mode, std::string_view verb);

}  // namespace strata::cli
