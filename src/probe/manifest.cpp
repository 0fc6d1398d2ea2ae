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

Result<Manifest> manifest_from_json(std::string_view text, const std::string& origin) {
  const std::string step = "read manifest";
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const bool truncated = e.byte >= text.size();
    return fail(step, origin,
                truncated ? fmt::format("truncated JSON (ends after {} bytes)", text.size())
                          : fmt::format("not JSON (byte {}: {})", e.byte, e.what()));
  }
  if (!doc.is_object()) {
    return fail(step, origin, "not a strata manifest (top level is not an object)");
  }
  const auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string()) {
    return fail(step, origin, "not a strata manifest (no \"schema\" field)");
  }
  if (schema->get<std::string>() != kSchema) {
    return fail(step, origin,
                fmt::format("unsupported schema \"{}\" (this strata reads \"{}\")",
                            schema->get<std::string>(), kSchema));
  }
  Manifest manifest;
  manifest.generator = doc.value("generator", "");
  manifest.target = doc.value("target", "");
  manifest.redacted = doc.value("redacted", false);
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_object()) {
    return fail(step, origin, "malformed manifest (\"layers\" is missing or not an object)");
  }
  for (auto& [name, facts] : layers->items()) {
    const auto layer = parse_layer(name);
    if (!layer) {
      return fail(step, origin, fmt::format("malformed manifest (unknown layer \"{}\")", name));
    }
    if (!facts.is_object()) {
      return fail(step, origin, fmt::format("malformed manifest (layer \"{}\" is not an object)", name));
    }
    Facts& out = manifest.layers[*layer];
    // Moved, not copied, and appended in order (a JSON object's keys come
    // sorted): reading manifests is most of what `strata diff` does.
    for (auto& [key, fact] : facts.items()) {
      const auto value = fact.find("value");
      const auto source = fact.find("source");
      if (!fact.is_object() || value == fact.end() || source == fact.end() || !source->is_string()) {
        return fail(
            step, origin,
            fmt::format("malformed manifest (fact \"{}.{}\" needs \"value\" and \"source\")", name, key));
      }
      out.emplace_hint(
          out.end(), key,
          Fact{.value = std::move(*value), .source = std::move(source->get_ref<std::string&>())});
    }
  }
  return manifest;
}

}  // namespace strata::probe
