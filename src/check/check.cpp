// The orchestration: each layer's rules in order (most fundamental first),
// then the verdict.
#include "check/check.hpp"

#include <fmt/format.h>

#include <cctype>

#include "check/rules.hpp"

namespace strata::check {

const probe::Facts* Context::layer(Layer layer) const {
  const auto it = target_.layers.find(layer);
  return it == target_.layers.end() ? nullptr : &it->second;
}

const nlohmann::json* Context::fact(Layer layer, std::string_view key) const {
  const probe::Facts* facts = this->layer(layer);
  if (facts == nullptr) {
    return nullptr;
  }
  const auto it = facts->find(key);
  return it == facts->end() ? nullptr : &it->second.value;
}

std::optional<std::string> Context::text(Layer layer, std::string_view key) const {
  const nlohmann::json* value = fact(layer, key);
  if (value != nullptr && value->is_object() && value->contains("version")) {
    value = &(*value)["version"];
  }
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return value->get<std::string>();
}

bool Context::require_layer(Layer layer, const std::string& need) {
  if (this->layer(layer) != nullptr) {
    return true;
  }
  not_checked(layer, need, fmt::format("the target manifest has no {} layer", probe::layer_name(layer)));
  return false;
}

std::string release_numbers(std::string_view release) {
  std::size_t n = 0;
  while (n < release.size() && (std::isdigit(static_cast<unsigned char>(release[n])) != 0 ||
                                (release[n] == '.' && n > 0 && release[n - 1] != '.'))) {
    ++n;
  }
  while (n > 0 && release[n - 1] == '.') {
    --n;
  }
  return std::string(release.substr(0, n));
}

std::string shell_quote(std::string_view word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_./=:,+@%") == std::string_view::npos;
  if (plain) {
    return std::string(word);
  }
  std::string out = "'";
  for (const char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string_view isolation_name(Layer layer) {
  switch (layer) {
    case Layer::hardware:
      return "matching hardware";
    case Layer::kernel:
      return "vm";
    case Layer::system:
      return "container";
    case Layer::language:
      return "venv";
  }
  return "";
}

std::string_view isolation_of(const Unmet& unmet) {
  return unmet.isolation.empty() ? isolation_name(unmet.layer) : std::string_view(unmet.isolation);
}

Report check(const Needs& needs, const probe::Manifest& target) {
  Report report{.needs = needs.origin, .target = target.target, .command = needs.command};
  Context context(needs, target, report);
  check_hardware(context);
  check_kernel(context);
  check_system(context);
  check_language(context);
  check_wasm(context);
  report.verdict = decide(needs, report);
  return report;
}

}  // namespace strata::check
