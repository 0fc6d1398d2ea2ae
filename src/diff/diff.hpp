// strata diff: two manifests compared fact by fact, each difference judged
// (does it break compatibility, may it matter, or is it cosmetic) and
// explained in one line, and a verdict naming the lowest layer that differs
// in a way that matters and the isolation that would hide it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "probe/manifest.hpp"

namespace strata::diff {

enum class Severity { cosmetic, may_matter, breaks };

[[nodiscard]] std::string_view severity_name(Severity severity);

struct Difference {
  probe::Layer layer = probe::Layer::hardware;
  std::string key;
  std::optional<nlohmann::json> a;  // nullopt: the fact is absent from A
  std::optional<nlohmann::json> b;
  Severity severity = Severity::cosmetic;
  std::string reason;
};

// A fact's value in a few words: the string itself, the "version" of an
// object that has one, "N items" for a list, else the JSON; "absent" for
// nullopt. Reasons and the text report both speak of values this way.
[[nodiscard]] std::string describe_value(const std::optional<nlohmann::json>& value);

// The isolation that makes a layer identical: what to run the workload in so
// that the difference no longer reaches it.
[[nodiscard]] std::string_view isolation_for(probe::Layer layer);

struct Report {
  std::vector<Difference> differences;  // hardware first, then by key
  std::vector<probe::Layer> compared;   // the layers both manifests have
  std::vector<probe::Layer> skipped;    // layers only one manifest has
  std::optional<probe::Layer> lowest;   // the lowest layer with a difference that matters
  std::string verdict;                  // one line

  [[nodiscard]] bool matters() const { return lowest.has_value(); }
};

// A is the reference (where the program works), B the target.
[[nodiscard]] Report compare(const probe::Manifest& a, const probe::Manifest& b);

// Judges one difference (rules.cpp): severity and reason.
void judge(Difference& difference);

[[nodiscard]] nlohmann::ordered_json to_json(const Report& report);
struct TextOptions {
  bool color = false;
  // At most this many differences per severity and layer (0: all); the rest
  // are counted.
  std::size_t per_severity = 0;
};

// Grouped by layer, most fundamental first; within a layer what breaks first.
[[nodiscard]] std::string to_text(const Report& report, const TextOptions& options = {});

}  // namespace strata::diff
