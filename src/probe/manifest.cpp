#include "probe/manifest.hpp"

#include <fmt/format.h>

namespace strata::probe {

namespace {

constexpr std::array<std::string_view, kLayers.size()> kLayerNames{"hardware", "kernel", "system",
                                                                   "language"};

}  // namespace

std::string_view layer_name(Layer layer) {
  return kLayerNames.at(static_cast<std::size_t>(layer));
}

std::optional<Layer> parse_layer(std::string_view name) {
  for (Layer layer : kLayers) {
    if (layer_name(layer) == name) {
      return layer;
    }
  }
  return std::nullopt;
}

void add(Facts& facts, std::string key, nlohmann::json value, std::string source) {
  facts.insert_or_assign(std::move(key), Fact{.value = std::move(value), .source = std::move(source)});
}

nlohmann::ordered_json to_json(const Manifest& manifest) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::object();
  for (const auto& [layer, facts] : manifest.layers) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [key, fact] : facts) {
      out[key] = {{"value", fact.value}, {"source", fact.source}};
    }
    layers[std::string(layer_name(layer))] = std::move(out);
  }
  return {{"schema", kSchema},
          {"generator", manifest.generator},
          {"target", manifest.target},
          {"redacted", manifest.redacted},
          {"layers", std::move(layers)}};
}

}  // namespace strata::probe
