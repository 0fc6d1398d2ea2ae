// probe(): the whole manifest for a root, for the layers asked for.
#pragma once

#include <set>
#include <string>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe {

struct ProbeOptions {
  std::set<Layer> layers;  // empty: every layer that applies to the root
  std::string cwd;         // the project directory for the language layer
};

[[nodiscard]] Manifest probe(const Root& root, const ProbeOptions& options);

}  // namespace strata::probe
