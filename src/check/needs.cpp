// Reading strata.needs/v1. Every key is checked for its type before use: a
// document is untrusted input (hand-written, or from another strata), and a
// key of the wrong type is refused by name rather than read as "no need".
// Unknown keys are ignored, so a later v1 writer may add some.
#include "check/needs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/json_error.hpp"

namespace strata::check {

namespace {

using nlohmann::json;

constexpr std::string_view kStep = "read needs";
constexpr std::string_view kManifestSchema = "strata.manifest/v1";

// "a number", "an array": for "expected X, found Y".
std::string kind(const json& value) {
  const std::string name = value.type_name();
  const bool vowel = name.find_first_of("aeiou") == 0;
  return (vowel ? "an " : "a ") + name;
}

// Reads the typed members of the "needs" object; the first problem wins.
class Reader {
 public:
  // `prefix` names a nested object in messages: "wasm." for needs.wasm.
  Reader(const json& needs, std::string origin, std::string prefix = "")
      : needs_(needs), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  [[nodiscard]] const std::optional<Error>& error() const { return error_; }

  void string(std::string_view key, std::optional<std::string>& out) {
    const json* value = member(key);
    if (value == nullptr) {
      return;
    }
    if (!value->is_string()) {
      wrong(key, "a string or null", *value);
      return;
    }
    out = value->get<std::string>();
  }

  void strings(std::string_view key, std::vector<std::string>& out) {
    const json* value = member(key);
    if (value == nullptr) {
      return;
    }
    if (!value->is_array()) {
      wrong(key, "an array of strings", *value);
      return;
    }
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        wrong(fmt::format("{}[{}]", key, i), "a string", (*value)[i]);
        return;
      }
      out.push_back((*value)[i].get<std::string>());
    }
  }

  void string_map(std::string_view key, std::map<std::string, std::string, std::less<>>& out) {
    const json* value = object(key);
    if (value == nullptr) {
      return;
    }
    for (const auto& [name, item] : value->items()) {
      if (!item.is_string()) {
        wrong(fmt::format("{}.{}", key, name), "a string", item);
        return;
      }
      out.emplace(name, item.get<std::string>());
    }
  }

  void packages(std::string_view key, PackageVersions& out) {
    const json* value = object(key);
    if (value == nullptr) {
      return;
    }
    for (const auto& [name, item] : value->items()) {
      if (!item.is_string() && !item.is_null()) {
        wrong(fmt::format("{}.{}", key, name), "a version string or null", item);
        return;
      }
      out.emplace(name, item.is_null() ? std::nullopt : std::optional(item.get<std::string>()));
    }
  }

  void unsigned_number(std::string_view key, std::optional<std::uint64_t>& out) {
    const json* value = member(key);
    if (value == nullptr) {
      return;
    }
    if (!value->is_number_unsigned()) {
      wrong(key, "a non-negative integer or null", *value);
      return;
    }
    out = value->get<std::uint64_t>();
  }

  void wasm(std::optional<WasmNeed>& out) {
    const json* value = object("wasm");
    if (value == nullptr) {
      return;
    }
    WasmNeed need;
    Reader r(*value, origin_, "wasm.");
    r.string("wasi", need.wasi);
    r.strings("imports", need.imports);
    r.strings("non_wasi_imports", need.non_wasi_imports);
    r.unsigned_number("memory_max_pages", need.memory_max_pages);
    r.strings("features", need.features);
    if (r.error()) {
      error_ = r.error();
      return;
    }
    out = std::move(need);
  }

  void kernel_features(std::vector<KernelFeature>& out) {
    const json* value = member("kernel_features");
    if (value == nullptr) {
      return;
    }
    if (!value->is_array()) {
      wrong("kernel_features", "an array of objects", *value);
      return;
    }
    for (std::size_t i = 0; i < value->size() && !error_; ++i) {
      out.push_back(feature(fmt::format("kernel_features[{}]", i), (*value)[i]));
    }
  }

 private:
  // The member, or nullptr when absent or null (no need) or after an error.
  const json* member(std::string_view key) const {
    if (error_) {
      return nullptr;
    }
    const auto it = needs_.find(key);
    return it == needs_.end() || it->is_null() ? nullptr : &*it;
  }

  const json* object(std::string_view key) {
    const json* value = member(key);
    if (value != nullptr && !value->is_object()) {
      wrong(key, "an object", *value);
      return nullptr;
    }
    return value;
  }

  KernelFeature feature(const std::string& where, const json& item) {
    KernelFeature out;
    if (!item.is_object()) {
      wrong(where, "an object", item);
      return out;
    }
    const auto text = [&](std::string_view field, bool required) -> std::optional<std::string> {
      const auto it = item.find(field);
      if (it == item.end() || it->is_null()) {
        if (required) {
          fail_with(fmt::format("key \"needs.{}.{}\" is missing", where, field));
        }
        return std::nullopt;
      }
      if (!it->is_string()) {
        wrong(fmt::format("{}.{}", where, field), "a string", *it);
        return std::nullopt;
      }
      return it->get<std::string>();
    };
    out.feature = text("feature", true).value_or("");
    out.evidence = text("evidence", false).value_or("");
    out.min_kernel = text("min_kernel", false);
    if (const auto abi = item.find("abi"); abi != item.end() && !abi->is_null()) {
      if (!abi->is_number_integer()) {
        wrong(where + ".abi", "an integer", *abi);
      } else {
        out.abi = abi->get<long long>();
      }
    }
    return out;
  }

  void wrong(std::string_view key, std::string_view expected, const json& found) {
    fail_with(fmt::format("key \"needs.{}{}\" is {}, expected {}", prefix_, key, kind(found), expected));
  }

  void fail_with(std::string detail) {
    if (!error_) {
      error_ = fail(std::string(kStep), origin_, std::move(detail)).error();
    }
  }

  const json& needs_;
  std::string origin_;
  std::string prefix_;
  std::optional<Error> error_;
};

Result<json> parse(std::string_view text, const std::string& origin) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(std::string(kStep), origin, "empty file (not JSON)");
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    if (e.byte >= text.size()) {
      return fail(std::string(kStep), origin,
                  fmt::format("truncated JSON (ends after {} bytes)", text.size()));
    }
    return fail(std::string(kStep), origin, fmt::format("not JSON ({})", json_error_text(e.what())));
  } catch (const json::exception& e) {  // a number too large for a double ("1E640")
    return fail(std::string(kStep), origin, fmt::format("not JSON ({})", json_error_text(e.what())));
  }
}

// The schema and the shape around "needs": the document is one of ours.
Result<> check_envelope(const json& doc, const std::string& origin) {
  const std::string step(kStep);
  if (!doc.is_object()) {
    return fail(step, origin, "not a strata needs document (top level is not an object)");
  }
  const auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string()) {
    return fail(step, origin, "not a strata needs document (no \"schema\" string)");
  }
  const auto name = schema->get<std::string>();
  if (name == kManifestSchema) {
    return fail(step, origin,
                fmt::format("schema \"{}\" is a probe manifest, not a needs document (strata analyze --json "
                            "writes one; a manifest goes to --target)",
                            name));
  }
  if (name != kNeedsSchema) {
    return fail(step, origin,
                fmt::format("unsupported schema \"{}\" (this strata reads \"{}\")", name, kNeedsSchema));
  }
  const auto needs = doc.find("needs");
  if (needs == doc.end()) {
    return fail(step, origin, "key \"needs\" is missing");
  }
  if (!needs->is_object()) {
    return fail(step, origin, fmt::format("key \"needs\" is {}, expected an object", kind(*needs)));
  }
  return {};
}

Result<std::vector<std::string>> command(const json& doc, const std::string& origin) {
  std::vector<std::string> out;
  const auto it = doc.find("command");
  if (it == doc.end() || it->is_null()) {
    return out;
  }
  const bool strings =
      it->is_array() && std::ranges::all_of(*it, [](const json& w) { return w.is_string(); });
  if (!strings) {
    return fail(std::string(kStep), origin,
                fmt::format("key \"command\" is {}, expected an array of strings", kind(*it)));
  }
  for (const json& word : *it) {
    out.push_back(word.get<std::string>());
  }
  return out;
}

}  // namespace

Result<Needs> needs_from_json(std::string_view text, const std::string& origin) {
  auto doc = parse(text, origin);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  if (auto ok = check_envelope(*doc, origin); !ok) {
    return std::unexpected(ok.error());
  }
  Needs out{.origin = origin};
  auto words = command(*doc, origin);
  if (!words) {
    return std::unexpected(words.error());
  }
  out.command = std::move(*words);
  Reader r((*doc)["needs"], origin);
  r.strings("machines", out.machines);
  r.string("isa_level", out.isa_level);
  r.string_map("hwcaps", out.hwcaps);
  r.string("min_kernel", out.min_kernel);
  std::optional<std::string> because;
  r.string("min_kernel_because", because);
  out.min_kernel_because = because.value_or("");
  r.kernel_features(out.kernel_features);
  r.strings("syscalls", out.syscalls);
  r.strings("sysctls", out.sysctls);
  r.string("glibc", out.glibc);
  r.string_map("symbol_versions", out.symbol_versions);
  r.strings("interpreters", out.interpreters);
  r.strings("libraries", out.libraries);
  r.strings("dlopen", out.dlopen);
  r.strings("missing", out.missing);
  r.packages("python_packages", out.python_packages);
  r.packages("node_packages", out.node_packages);
  r.wasm(out.wasm);
  if (r.error()) {
    return std::unexpected(*r.error());
  }
  return out;
}

}  // namespace strata::check
