// A trace document (needs.hpp) as the short text summary `strata trace`
// prints on stderr when neither --out nor --json is given.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace strata::trace {

[[nodiscard]] std::string summary_text(const nlohmann::json& document);

}  // namespace strata::trace
