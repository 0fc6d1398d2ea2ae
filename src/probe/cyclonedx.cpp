#include "probe/cyclonedx.hpp"

#include <fmt/format.h>

#include "base/sha256.hpp"

namespace strata::probe {

namespace {

using ojson = nlohmann::ordered_json;

std::string text_of(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The value of `key` in `facts` as text, "" when absent.
std::string fact_text(const Facts& facts, std::string_view key, std::string_view field = {}) {
  const auto it = facts.find(key);
  if (it == facts.end()) {
    return "";
  }
  const auto& value = it->second.value;
  if (!field.empty()) {
    return value.is_object() && value.contains(field) && !value[std::string(field)].is_null()
               ? text_of(value[std::string(field)])
               : "";
  }
  return text_of(value);
}

// A name-based UUID (version 5 layout over SHA-256): same content, same serial.
std::string content_uuid(const std::string& content) {
  std::string hex = sha256_hex(content).substr(0, 32);
  hex[12] = '5';                                                      // version 5
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 0x3];  // RFC 4122 variant
  return fmt::format("urn:uuid:{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

ojson property(std::string_view layer, const std::string& key, const nlohmann::json& value) {
  return {{"name", fmt::format("strata:{}:{}", layer, key)}, {"value", text_of(value)}};
}

// Every fact of a layer as a property, except those a component carries.
ojson properties(Layer layer, const Facts& facts, std::string_view skip_prefix = {}) {
  ojson out = ojson::array();
  for (const auto& [key, fact] : facts) {
    if (!skip_prefix.empty() && key.starts_with(skip_prefix)) {
      continue;
    }
    out.push_back(property(layer_name(layer), key, fact.value));
  }
  return out;
}

// One library component per collection fact (library.X, python.package.X, ...).
void add_packages(const Facts& facts, std::string_view prefix, std::string_view purl_type,
                  ojson& components) {
  for (auto it = facts.lower_bound(prefix); it != facts.end() && it->first.starts_with(prefix); ++it) {
    const std::string name = it->first.substr(prefix.size());
    const auto& value = it->second.value;
    const std::string version = value.is_object() && value.contains("version") && value["version"].is_string()
                                    ? value["version"].get<std::string>()
                                : value.is_string() ? value.get<std::string>()
                                                    : "";
    ojson component{{"type", "library"}, {"bom-ref", std::string(prefix) + name}, {"name", name}};
    if (!version.empty()) {
      component["version"] = version;
    }
    if (!purl_type.empty()) {
      component["purl"] = fmt::format("pkg:{}/{}{}", purl_type, name, version.empty() ? "" : "@" + version);
    }
    if (value.is_object()) {
      ojson props = ojson::array();
      for (const auto& [field, v] : value.items()) {
        if (field != "version") {
          props.push_back({{"name", "strata:" + field}, {"value", text_of(v)}});
        }
      }
      component["properties"] = std::move(props);
    }
    components.push_back(std::move(component));
  }
}

const Facts& layer_facts(const Manifest& manifest, Layer layer) {
  static const Facts kNone;
  const auto it = manifest.layers.find(layer);
  return it == manifest.layers.end() ? kNone : it->second;
}

void add_machine(const Manifest& manifest, ojson& components) {
  const Facts& hw = layer_facts(manifest, Layer::hardware);
  const Facts& kernel = layer_facts(manifest, Layer::kernel);
  if (!hw.empty()) {
    components.push_back({{"type", "platform"},
                          {"bom-ref", "hardware"},
                          {"name", fact_text(hw, "arch")},
                          {"description", "the machine: CPU, memory, virtualization"},
                          {"properties", properties(Layer::hardware, hw, "device.")}});
    components.push_back({{"type", "device"},
                          {"bom-ref", "cpu"},
                          {"name", fact_text(hw, "cpu.model_name")},
                          {"manufacturer", {{"name", fact_text(hw, "cpu.vendor")}}}});
    for (auto it = hw.lower_bound("device."); it != hw.end() && it->first.starts_with("device."); ++it) {
      components.push_back({{"type", "device"}, {"bom-ref", it->first}, {"name", it->first.substr(7)}});
    }
  }
  if (!kernel.empty()) {
    components.push_back({{"type", "platform"},
                          {"bom-ref", "kernel"},
                          {"name", "linux"},
                          {"version", fact_text(kernel, "release")},
                          {"properties", properties(Layer::kernel, kernel)}});
  }
}

void add_software(const Manifest& manifest, ojson& components) {
  const Facts& system = layer_facts(manifest, Layer::system);
  const Facts& language = layer_facts(manifest, Layer::language);
  if (!system.empty()) {
    const std::string id = fact_text(system, "os.id");
    ojson os{{"type", "operating-system"},
             {"bom-ref", "operating-system"},
             {"name", id.empty() ? "unknown" : id},
             {"properties", properties(Layer::system, system, "package.")}};
    if (const std::string version = fact_text(system, "os.version_id"); !version.empty()) {
      os["version"] = version;
    }
    if (const std::string pretty = fact_text(system, "os.pretty_name"); !pretty.empty()) {
      os["description"] = pretty;
    }
    components.push_back(std::move(os));
    add_packages(system, "library.", "", components);
    add_packages(system, "package.", id == "alpine" ? "apk/alpine" : "deb/" + (id.empty() ? "debian" : id),
                 components);
  }
  add_packages(language, "python.package.", "pypi", components);
  add_packages(language, "node.package.", "npm", components);
  add_packages(language, "node.global.", "npm", components);
}

}  // namespace

ojson to_cyclonedx(const Manifest& manifest) {
  ojson components = ojson::array();
  add_machine(manifest, components);
  add_software(manifest, components);
  ojson bom{{"bomFormat", "CycloneDX"}, {"specVersion", "1.6"}, {"serialNumber", ""}, {"version", 1}};
  bom["metadata"] = {
      {"tools",
       {{"components",
         ojson::array({{{"type", "application"}, {"name", "strata"}, {"version", manifest.generator}}})}}},
      {"component", {{"type", "platform"}, {"bom-ref", "target"}, {"name", manifest.target}}},
      {"properties",
       ojson::array({{{"name", "strata:schema"}, {"value", kSchema}},
                     {{"name", "strata:redacted"}, {"value", manifest.redacted ? "true" : "false"}}})}};
  bom["components"] = std::move(components);
  bom["serialNumber"] = content_uuid(bom.dump());
  return bom;
}

}  // namespace strata::probe
