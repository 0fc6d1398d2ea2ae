// A trace as a strata.needs/v1 document (docs/needs.md): the static analysis
// of every program executed (files, errors, needs), the needs only a run can
// show merged into "needs", and what was seen in "trace".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analyze/resolve.hpp"
#include "trace/filter.hpp"
#include "trace/record.hpp"

namespace strata::trace {

struct TraceContext {
  std::vector<std::string> command;
  std::string isolation;  // "host", "sandbox", "container"
  TraceMode mode = TraceMode::baseline;
  int exit_code = 0;
  std::string project;                // the workload's working directory
  std::optional<std::string> rootfs;  // --rootfs: files are read in that tree
  // --bind/--ro-bind as {destination inside, source on the host}: a path
  // the workload saw under a destination is read from the source.
  std::vector<std::pair<std::string, std::string>> binds;
  bool static_analysis = true;  // false with --image: paths are the image's
  std::vector<std::string> notes;
  analyze::ResolveOptions resolve;
};

[[nodiscard]] nlohmann::json trace_document(const TraceLog& log, const TraceContext& context,
                                            const std::string& generator);

// The path on this machine of a path the workload saw (the bind it is under, else itself).
[[nodiscard]] std::string host_path(const TraceContext& context, const std::string& path);

}  // namespace strata::trace
