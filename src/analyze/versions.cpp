#include "analyze/versions.hpp"

#include <cctype>

#include "diff/version.hpp"

namespace strata::analyze {

std::optional<VersionName> split_version(std::string_view name) {
  const auto underscore = name.rfind('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 == name.size()) {
    return std::nullopt;
  }
  const std::string_view number = name.substr(underscore + 1);
  for (const char c : number) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0 && c != '.') {
      return std::nullopt;
    }
  }
  return VersionName{.family = std::string(name.substr(0, underscore)), .number = std::string(number)};
}

void raise_max(VersionMax& max, std::string_view name) {
  auto split = split_version(name);
  if (!split) {
    return;
  }
  auto it = max.find(split->family);
  if (it == max.end()) {
    max.emplace(std::move(split->family), std::move(split->number));
  } else if (diff::compare_versions(split->number, it->second) > 0) {
    it->second = std::move(split->number);
  }
}

VersionMax max_versions(const std::vector<std::string>& names) {
  VersionMax max;
  for (const std::string& name : names) {
    raise_max(max, name);
  }
  return max;
}

void merge_max(VersionMax& into, const VersionMax& from) {
  for (const auto& [family, number] : from) {
    raise_max(into, std::string(family).append("_").append(number));
  }
}

}  // namespace strata::analyze
