// language: the Python distributions and Node packages the workload
// imported, by name and version. A venv (or a node_modules) with the same
// versions fixes a difference here without touching the system.
#include <fmt/format.h>

#include <cctype>

#include "check/rules.hpp"

namespace strata::check {

namespace {

// PEP 503: lower case, runs of "-", "_" and "." become one "-"; the probe
// keys python.package.<name> the same way.
std::string pep503(std::string_view name) {
  std::string out;
  for (const char ch : name) {
    const bool separator = ch == '-' || ch == '_' || ch == '.';
    if (separator) {
      if (!out.empty() && out.back() != '-') {
        out += '-';
      }
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
  }
  return out;
}

struct Ecosystem {
  std::string_view key;     // "python_packages"
  std::string_view prefix;  // "python.package."
  std::string_view fix;     // what installs the package
  std::string_view pin;     // between name and version in an install command: "==", "@"
  bool normalize = false;   // PEP 503 names
};

constexpr Ecosystem kPython{"python_packages", "python.package.", "a venv with it (pip install)", "==", true};
constexpr Ecosystem kNode{"node_packages", "node.package.", "a node_modules with it (npm install)", "@",
                          false};

void check_package(Context& c, const Ecosystem& eco, const std::string& name,
                   const std::optional<std::string>& version) {
  const std::string need = fmt::format("{} {}", eco.key, name);
  if (!c.require_layer(Layer::language, need)) {
    return;
  }
  const std::string key = std::string(eco.prefix) + (eco.normalize ? pep503(name) : name);
  const auto has = c.text(Layer::language, key);
  const bool present = c.fact(Layer::language, key) != nullptr;
  const std::string wanted = version ? "== " + *version : "present";
  const std::string provide = version ? fmt::format("{}{}{}", name, eco.pin, *version) : name;
  if (present && (!version || (has && *has == *version))) {
    c.met(Layer::language);
    return;
  }
  c.unmet({.layer = Layer::language,
           .need = need,
           .wanted = wanted,
           .target_has = present ? has.value_or("unknown version") : "absent",
           .reason = present ? fmt::format("the workload imported {} {} and the target has {}: {} runs it",
                                           name, *version, has.value_or("another version"), eco.fix)
                             : fmt::format("the workload imported {} and the target has none: {} runs it",
                                           name, eco.fix),
           .provide = provide});
}

}  // namespace

void check_language(Context& context) {
  for (const auto& [name, version] : context.needs().python_packages) {
    check_package(context, kPython, name, version);
  }
  for (const auto& [name, version] : context.needs().node_packages) {
    check_package(context, kNode, name, version);
  }
}

}  // namespace strata::check
