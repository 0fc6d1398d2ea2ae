// A Report as text (a tree per file that says why each library was found)
// or as the strata.needs/v1 JSON document (docs/needs.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/analyze.hpp"

namespace strata::analyze {

inline constexpr const char* kNeedsSchema = "strata.needs/v1";

[[nodiscard]] std::string to_text(const Report& report);
[[nodiscard]] nlohmann::json to_json(const Report& report, const std::string& generator);

// The document's "needs" object: what all the files together need, the
// part `strata check` compares with a manifest (docs/needs.md).
[[nodiscard]] nlohmann::json needs_json(const Report& report);

}  // namespace strata::analyze
