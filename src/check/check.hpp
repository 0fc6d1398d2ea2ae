// strata check: every need of a strata.needs/v1 document compared with a
// target's probe manifest (strata.manifest/v1), each unmet need with the
// layer it lives in, and one verdict: the lowest layer that must be
// identical and the `strata run` that provides it. Rules: docs/check.md.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "check/needs.hpp"
#include "probe/manifest.hpp"

namespace strata::check {

using probe::Layer;

// A need the target does not meet.
struct Unmet {
  Layer layer = Layer::hardware;
  std::string need;    // the needs key and item: "glibc", "library libfoo.so.1", "kernel_features io_uring"
  std::string wanted;  // "2.34", "x86-64-v3", "present"
  std::string target_has;  // "2.31", "absent"
  std::string reason;      // one sentence: why it breaks and what fixes it
  std::string provide;    // what an environment at this layer must offer: "glibc >= 2.34", "io_uring enabled"
  std::string isolation;  // what fixes it when not the layer's own (isolation_name): "wasm"
};

// Something that may matter or that no rule can judge (a hwcaps variant the
// target CPU will not load, a feature only the release can vouch for).
struct Note {
  Layer layer = Layer::hardware;
  std::string need;
  std::string text;
};

// A need the target manifest has no fact for (a --root manifest has no
// hardware or kernel layer): listed, never passed, not unmet.
struct NotChecked {
  Layer layer = Layer::hardware;
  std::string need;
  std::string reason;  // "the target manifest has no kernel layer"
};

struct Verdict {
  std::optional<Layer> layer;      // the lowest layer with an unmet need; nullopt: the target will do
  std::string isolation;           // "matching hardware", "vm", "container", "venv"; empty when satisfied
  std::string requirement;         // what KERNEL, IMAGE or the CPU must provide
  std::vector<std::string> steps;  // shell lines to run, the `strata run` last; empty for hardware
  std::string summary;             // one line
};

struct Report {
  std::string needs;                 // the needs file
  std::string target;                // the manifest file, or "live"
  bool target_live = false;          // probed live by strata check itself
  std::vector<std::string> command;  // the workload, from the needs document (empty: CMD)
  std::vector<Unmet> unmet;          // by layer, most fundamental first
  std::vector<Note> notes;
  std::vector<NotChecked> not_checked;
  std::map<Layer, std::size_t> met;  // how many needs each layer meets
  Verdict verdict;

  [[nodiscard]] bool satisfied() const { return unmet.empty(); }
};

// The whole comparison; `report.needs` is the needs' origin, `report.target`
// the manifest's target ("live" or a root), for the caller to overwrite.
[[nodiscard]] Report check(const Needs& needs, const probe::Manifest& target);

// The short name of the isolation that makes `layer` identical, as the
// verdict's "isolation": "matching hardware", "vm", "container", "venv".
[[nodiscard]] std::string_view isolation_name(Layer layer);
// The unmet need's own isolation ("wasm": an engine), else its layer's.
[[nodiscard]] std::string_view isolation_of(const Unmet& unmet);

inline constexpr std::string_view kReportSchema = "strata.check/v1";

[[nodiscard]] nlohmann::ordered_json to_json(const Report& report);

// Grouped by layer, most fundamental first: unmet needs, notes, what was
// not checked; then the verdict and its command. ANSI colour when `color`.
[[nodiscard]] std::string to_text(const Report& report, bool color);

}  // namespace strata::check
