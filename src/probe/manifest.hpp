// The manifest: what `strata probe` found, layer by layer, each fact with the
// place it came from. The JSON form is versioned (docs/manifest.md) and
// deterministic: layers in fixed order (most fundamental first), keys sorted.
#pragma once

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace strata::probe {

// The layers of an execution environment, most fundamental first.
enum class Layer { hardware, kernel, system, language };
inline constexpr std::array kLayers{Layer::hardware, Layer::kernel, Layer::system, Layer::language};

[[nodiscard]] std::string_view layer_name(Layer layer);
[[nodiscard]] std::optional<Layer> parse_layer(std::string_view name);

// One observation: a JSON value (string, number, bool, array or object) and
// where it came from ("/proc/cpuinfo", "uname(2)", "cpuid", "ld.so.cache").
struct Fact {
  nlohmann::json value;
  std::string source;

  friend bool operator==(const Fact&, const Fact&) = default;
};

// A layer's facts by key. Keys are dotted paths; a collection gets one fact per
// item so that a diff can name the item ("library.libssl.so.3",
// "python.package.numpy"). Key conventions per layer: docs/manifest.md.
using Facts = std::map<std::string, Fact, std::less<>>;

// Records a fact, replacing an earlier one with the same key.
void add(Facts& facts, std::string key, nlohmann::json value, std::string source);

inline constexpr std::string_view kSchema = "strata.manifest/v1";

struct Manifest {
  std::string generator;  // "strata 0.1.0"
  std::string target;     // "live" or the probed root directory
  bool redacted = false;
  std::map<Layer, Facts> layers;

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

[[nodiscard]] nlohmann::ordered_json to_json(const Manifest& manifest);

// Reads a manifest back; the error names `origin` (a file name) and the
// problem (not JSON, truncated, wrong schema, malformed fact).
[[nodiscard]] Result<Manifest> manifest_from_json(std::string_view text, const std::string& origin);

}  // namespace strata::probe
