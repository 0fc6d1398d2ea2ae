// Helpers shared by the language layer's Python and Node parts.
#pragma once

#include <string>
#include <vector>

#include "probe/manifest.hpp"

namespace strata::probe::lang {

// One installed copy of a package: its fact value ({"version", "location",
// ...}) and the file it was read from.
struct Installed {
  nlohmann::json value;
  std::string source;
};

// Records the first copy (the one an import or require finds) under `key`;
// the later ones go into its "shadowed" list as {"version", "location"}, so
// that a stale copy that would win on another search order shows up.
void add_with_shadowed(Facts& facts, const std::string& key, std::vector<Installed>& copies);

}  // namespace strata::probe::lang
