// strata's version, as --version prints it and manifests record it.
#pragma once

#include <string_view>

namespace strata {

inline constexpr std::string_view kVersion = "strata 0.1.0";

}  // namespace strata
