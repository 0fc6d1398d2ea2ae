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

}  // namespace strata::analyze
