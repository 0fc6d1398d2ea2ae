// A diff report as JSON (for tools) and as text (for people): grouped by
// layer, most fundamental first, one line per difference.
#include <fmt/format.h>

#include <algorithm>

#include "diff/diff.hpp"

namespace strata::diff {

namespace {

constexpr std::string_view kSchema = "strata.diff/v1";

// describe_value, cut to fit a line.
std::string short_value(const std::optional<nlohmann::json>& value) {
  constexpr std::size_t kWidth = 40;
  const std::string text = value ? describe_value(value) : "(absent)";
  return text.size() > kWidth ? text.substr(0, kWidth - 3) + "..." : text;
}

std::string_view marker(Severity severity) {
  switch (severity) {
    case Severity::breaks:
      return "!";
    case Severity::may_matter:
      return "~";
    case Severity::cosmetic:
      return ".";
  }
  return " ";
}

std::string paint(std::string_view text, Severity severity, bool color) {
  if (!color || severity == Severity::cosmetic) {
    return std::string(text);
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", severity == Severity::breaks ? "31" : "33", text);
}

}  // namespace

nlohmann::ordered_json to_json(const Report& report) {
  nlohmann::ordered_json differences = nlohmann::ordered_json::array();
  for (const Difference& d : report.differences) {
    differences.push_back({{"layer", probe::layer_name(d.layer)},
                           {"key", d.key},
                           {"a", d.a ? *d.a : nlohmann::json()},
                           {"b", d.b ? *d.b : nlohmann::json()},
                           {"severity", severity_name(d.severity)},
                           {"reason", d.reason}});
  }
  const auto names = [](const std::vector<probe::Layer>& layers) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (auto layer : layers) {
      out.push_back(probe::layer_name(layer));
    }
    return out;
  };
  return {
      {"schema", kSchema},
      {"matters", report.matters()},
      {"lowest_layer", report.lowest ? nlohmann::ordered_json(probe::layer_name(*report.lowest)) : nullptr},
      {"isolation", report.lowest ? nlohmann::ordered_json(isolation_for(*report.lowest)) : nullptr},
      {"verdict", report.verdict},
      {"compared", names(report.compared)},
      {"skipped", names(report.skipped)},
      {"differences", std::move(differences)}};
}

std::string to_text(const Report& report, const TextOptions& options) {
  std::string out;
  for (probe::Layer layer : report.compared) {
    std::vector<const Difference*> here;
    for (const Difference& d : report.differences) {
      if (d.layer == layer) {
        here.push_back(&d);
      }
    }
    if (here.empty()) {
      out += fmt::format("{}: same\n", probe::layer_name(layer));
      continue;
    }
    out += fmt::format("{}:\n", probe::layer_name(layer));
    // What breaks first, then what may matter, then the rest; by key within.
    for (const Severity severity : {Severity::breaks, Severity::may_matter, Severity::cosmetic}) {
      std::size_t shown = 0;
      std::size_t hidden = 0;
      for (const Difference* d : here) {
        if (d->severity != severity) {
          continue;
        }
        if (options.per_severity != 0 && shown == options.per_severity) {
          ++hidden;
          continue;
        }
        ++shown;
        const std::string line = fmt::format("  {} {}: {} -> {}", marker(d->severity), d->key,
                                             short_value(d->a), short_value(d->b));
        out += paint(line, d->severity, options.color) + "\n      " +
               std::string(severity_name(d->severity)) + ": " + d->reason + "\n";
      }
      if (hidden > 0) {
        out += fmt::format("  ... and {} more that {} (--all lists them)\n", hidden,
                           severity == Severity::breaks       ? "break compatibility"
                           : severity == Severity::may_matter ? "may matter"
                                                              : "are cosmetic");
      }
    }
  }
  for (probe::Layer layer : report.skipped) {
    out += fmt::format(
        "{}: not compared (only one side has it, e.g. a --root probe has no hardware or kernel)\n",
        probe::layer_name(layer));
  }
  out += "verdict: " + report.verdict + "\n";
  return out;
}

}  // namespace strata::diff
