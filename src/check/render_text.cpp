// The report for people: per layer, most fundamental first, what is unmet
// (with why and the isolation that fixes it), then notes and what could not
// be checked; then the verdict and the commands.
#include <fmt/format.h>

#include <algorithm>

#include "check/check.hpp"

namespace strata::check {

namespace {

enum class Tone { plain, bad, warn };

std::string paint(std::string_view text, Tone tone, bool color) {
  if (!color || tone == Tone::plain) {
    return std::string(text);
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", tone == Tone::bad ? "31" : "33", text);
}

template <class Item>
std::size_t count_in(const std::vector<Item>& items, Layer layer) {
  return static_cast<std::size_t>(
      std::ranges::count_if(items, [&](const Item& i) { return i.layer == layer; }));
}

std::string heading(const Report& report, Layer layer) {
  const auto met = report.met.find(layer);
  const std::size_t unmet = count_in(report.unmet, layer);
  std::string out =
      fmt::format("{}: {} met", probe::layer_name(layer), met == report.met.end() ? 0 : met->second);
  if (unmet > 0) {
    out += fmt::format(", {} unmet", unmet);
  }
  if (const std::size_t skipped = count_in(report.not_checked, layer); skipped > 0) {
    out += fmt::format(", {} not checked", skipped);
  }
  return out + "\n";
}

std::string layer_text(const Report& report, Layer layer, bool color) {
  std::string out;
  for (const Unmet& u : report.unmet) {
    if (u.layer == layer) {
      out += paint(fmt::format("  ! {}: needs {}, the target has {}", u.need, u.wanted, u.target_has),
                   Tone::bad, color) +
             fmt::format("\n      {} (fixed by: {})\n", u.reason, isolation_of(u));
    }
  }
  for (const Note& n : report.notes) {
    if (n.layer == layer) {
      out += paint(fmt::format("  ~ {}: {}", n.need, n.text), Tone::warn, color) + "\n";
    }
  }
  for (const NotChecked& n : report.not_checked) {
    if (n.layer == layer) {
      out += fmt::format("  ? {}: not checked: {}\n", n.need, n.reason);
    }
  }
  return out;
}

}  // namespace

std::string to_text(const Report& report, bool color) {
  std::string out = fmt::format("strata check: {} against {}\n", report.needs,
                                report.target_live ? "this machine (probed live)" : report.target);
  for (const Layer layer : probe::kLayers) {
    const bool any = report.met.contains(layer) || count_in(report.unmet, layer) > 0 ||
                     count_in(report.notes, layer) > 0 || count_in(report.not_checked, layer) > 0;
    if (any) {
      out += heading(report, layer) + layer_text(report, layer, color);
    }
  }
  const Verdict& v = report.verdict;
  out += paint("verdict: " + v.summary, v.layer ? Tone::bad : Tone::plain, color) + "\n";
  for (const std::string& step : v.steps) {
    out += "  " + step + "\n";
  }
  if (v.layer == Layer::kernel) {
    out += "  where KERNEL is " + v.requirement + "\n";
  } else if (v.layer == Layer::system) {
    out += "  where IMAGE is an image with " + v.requirement + "\n";
  } else if (v.isolation == "wasm") {
    out += "  on a target with " + v.requirement + "\n";
  } else if (v.layer == Layer::hardware) {
    out += "  no strata run provides this: run it on " + v.requirement + "\n";
  }
  return out;
}

}  // namespace strata::check
