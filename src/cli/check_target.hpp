// The target side of `strata check` and `strata advise`: a manifest file, a
// directory probed as a root tree, or this machine probed now.
#pragma once

#include <string>

#include "base/error.hpp"
#include "probe/manifest.hpp"

namespace strata::cli {

// `target`: empty or "live" (this machine), a directory, or a manifest file.
[[nodiscard]] Result<probe::Manifest> load_check_target(const std::string& target);

[[nodiscard]] inline bool is_live_target(const std::string& target) {
  return target.empty() || target == "live";
}

}  // namespace strata::cli
