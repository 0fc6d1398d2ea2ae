// nlohmann::json's exception texts, made fit for a user's one-line error.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Drops the "[json.exception.parse_error.101] " id nlohmann puts first; what
// is left says where and why ("parse error at line 1, column 1: ...").
inline std::string json_error_text(std::string_view what) {
  if (what.starts_with('[')) {
    if (const auto end = what.find("] "); end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
  }
  return std::string(what);
}

}  // namespace strata
