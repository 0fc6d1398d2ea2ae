#include "diff/diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace strata::diff {

namespace {

using probe::Layer;

// Walks two sorted fact maps side by side.
void compare_layer(Layer layer, const probe::Facts& a, const probe::Facts& b, std::vector<Difference>& out) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    Difference d{.layer = layer};
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      d.key = ia->first;
      d.a = ia->second.value;
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      d.key = ib->first;
      d.b = ib->second.value;
      ++ib;
    } else {
      const bool same = ia->second.value == ib->second.value;
      d.key = ia->first;
      d.a = ia->second.value;
      d.b = ib->second.value;
      ++ia;
      ++ib;
      if (same) {
        continue;
      }
    }
    judge(d);
    out.push_back(std::move(d));
  }
}

std::size_t count(const Report& report, Layer layer, Severity severity) {
  return static_cast<std::size_t>(std::ranges::count_if(
      report.differences, [&](const Difference& d) { return d.layer == layer && d.severity == severity; }));
}

std::string verdict(const Report& report) {
  if (!report.lowest) {
    const std::size_t cosmetic = report.differences.size();
    return cosmetic == 0 ? "nothing differs: the host will do"
                         : fmt::format("only cosmetic differences ({}): the host will do", cosmetic);
  }
  const Layer layer = *report.lowest;
  const std::size_t breaking = count(report, layer, Severity::breaks);
  const std::size_t maybe = count(report, layer, Severity::may_matter);
  std::string detail = breaking > 0 ? fmt::format("{} that break compatibility", breaking) : "";
  if (maybe > 0) {
    detail += fmt::format("{}{} that may matter", detail.empty() ? "" : ", ", maybe);
  }
  return fmt::format("the lowest layer that differs in a way that matters is {} ({}): {} hides it",
                     layer_name(layer), detail, isolation_for(layer));
}

}  // namespace

std::string describe_value(const std::optional<nlohmann::json>& value) {
  if (!value) {
    return "absent";
  }
  if (value->is_string()) {
    return value->get<std::string>();
  }
  if (value->is_object() && value->contains("version") && (*value)["version"].is_string()) {
    return (*value)["version"].get<std::string>();
  }
  if (value->is_array()) {
    return fmt::format("{} items", value->size());
  }
  return value->dump();
}

std::string_view severity_name(Severity severity) {
  constexpr std::array<std::string_view, 3> kNames{"cosmetic", "may-matter", "breaks"};
  return kNames.at(static_cast<std::size_t>(severity));
}

std::string_view isolation_for(Layer layer) {
  switch (layer) {
    case Layer::hardware:
      return "only the same hardware (or an emulator) with A's CPU";
    case Layer::kernel:
      return "a VM running A's kernel";
    case Layer::system:
      return "a container with A's system layer";
    case Layer::language:
      return "a venv (or node_modules) with A's packages";
  }
  return "";
}

Report compare(const probe::Manifest& a, const probe::Manifest& b) {
  Report report;
  for (Layer layer : probe::kLayers) {
    const auto fa = a.layers.find(layer);
    const auto fb = b.layers.find(layer);
    if (fa == a.layers.end() && fb == b.layers.end()) {
      continue;
    }
    if (fa == a.layers.end() || fb == b.layers.end()) {
      report.skipped.push_back(layer);
      continue;
    }
    report.compared.push_back(layer);
    compare_layer(layer, fa->second, fb->second, report.differences);
  }
  for (const Difference& d : report.differences) {
    if (d.severity != Severity::cosmetic) {
      report.lowest = d.layer;  // differences are in layer order: the first is the lowest
      break;
    }
  }
  report.verdict = verdict(report);
  return report;
}

}  // namespace strata::diff
