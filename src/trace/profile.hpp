// A least-privilege OCI seccomp profile for a traced workload: the calls it
// made, the baseline the filter never stopped on (allowed without being
// observed), and what strata's runtime does between loading the filter and
// exec. Everything else fails with ENOSYS, which programs read as "not on
// this kernel" and most handle.
#pragma once

#include <nlohmann/json.hpp>

#include "trace/filter.hpp"
#include "trace/record.hpp"

namespace strata::trace {

[[nodiscard]] nlohmann::json seccomp_profile(const TraceLog& log, TraceMode mode);

}  // namespace strata::trace
