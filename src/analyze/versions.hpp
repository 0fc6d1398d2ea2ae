// Symbol version names ("GLIBC_2.34", "GLIBCXX_3.4.29", "CXXABI_1.3.13"):
// split into a family and a number, and the newest per family.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::analyze {

struct VersionName {
  std::string family;  // "GLIBC"
  std::string number;  // "2.34"
};

// nullopt for a name without a numeric part ("GLIBC_PRIVATE", "Base").
[[nodiscard]] std::optional<VersionName> split_version(std::string_view name);

// family -> newest number ("GLIBC" -> "2.34"), numbers compared numerically.
using VersionMax = std::map<std::string, std::string, std::less<>>;

void raise_max(VersionMax& max, std::string_view name);
[[nodiscard]] VersionMax max_versions(const std::vector<std::string>& names);
// Merges `from` into `into`, keeping the newer number of each family.
void merge_max(VersionMax& into, const VersionMax& from);

}  // namespace strata::analyze
