// WebAssembly in strata.needs/v1 (docs/needs.md) and in the text report.
#include "analyze/wasm_render.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

namespace strata::analyze {

namespace {

using nlohmann::json;

json or_null(std::string_view text) {
  return text.empty() ? json(nullptr) : json(text);
}

json limits_json(const WasmLimits& limits) {
  json out{{"initial", limits.initial},
           {"max", limits.max ? json(*limits.max) : json(nullptr)},
           {"shared", limits.shared},
           {"is64", limits.is64}};
  if (limits.page_size_log2 != 16) {
    out["page_size"] = std::uint64_t{1} << std::min(limits.page_size_log2, 63U);
  }
  return out;
}

json import_json(const WasmImport& item) {
  json out{{"module", item.module},
           {"name", item.name},
           {"kind", kind_name(item.kind)},
           {"type", or_null(item.type)},
           {"wasi", or_null(family_name(import_family(item.module)))}};
  if (item.limits) {
    out["limits"] = limits_json(*item.limits);
  }
  return out;
}

json memory_json(const WasmMemory& memory) {
  json out{{"initial_pages", memory.limits.initial},
           {"max_pages", memory.limits.max ? json(*memory.limits.max) : json(nullptr)},
           {"shared", memory.limits.shared},
           {"memory64", memory.limits.is64},
           {"imported", or_null(memory.import)}};
  if (memory.limits.page_size_log2 != 16) {
    out["page_size"] = std::uint64_t{1} << std::min(memory.limits.page_size_log2, 63U);
  }
  return out;
}

// "2 pages (128 KiB)"; pages of 64 KiB unless the module says otherwise.
std::string pages(std::uint64_t count, std::uint32_t page_size_log2) {
  if (page_size_log2 != 16 || count > (std::uint64_t{1} << 40U)) {
    return fmt::format("{} pages", count);
  }
  const std::uint64_t kib = count * 64;
  const std::string size = kib >= (1U << 20U) && kib % (1U << 20U) == 0 ? fmt::format("{} GiB", kib >> 20U)
                           : kib >= 1024 && kib % 1024 == 0             ? fmt::format("{} MiB", kib >> 10U)
                                                                        : fmt::format("{} KiB", kib);
  return fmt::format("{} page{} ({})", count, count == 1 ? "" : "s", size);
}

std::string memory_text(std::size_t index, const WasmMemory& memory) {
  const WasmLimits& l = memory.limits;
  std::string out = fmt::format("  memory {}{}: {} initial, {}", index,
                                memory.import.empty() ? "" : " (imported " + memory.import + ")",
                                pages(l.initial, l.page_size_log2),
                                l.max ? "max " + pages(*l.max, l.page_size_log2) : std::string("no maximum"));
  if (l.shared) {
    out += ", shared";
  }
  if (l.is64) {
    out += ", 64-bit (memory64)";
  }
  return out + "\n";
}

std::string import_item(const WasmImport& item) {
  if (item.kind == WasmKind::func) {
    return item.type.empty() ? item.name : fmt::format("{} {}", item.name, item.type);
  }
  return fmt::format("{} ({}{})", item.name, kind_name(item.kind), item.type.empty() ? "" : " " + item.type);
}

// One line per import module, in the order they first appear.
std::string imports_text(const WasmModule& module) {
  std::vector<std::string> modules;
  for (const WasmImport& item : module.imports) {
    if (std::ranges::find(modules, item.module) == modules.end()) {
      modules.push_back(item.module);
    }
  }
  std::string out;
  for (const std::string& name : modules) {
    std::vector<std::string> items;
    for (const WasmImport& item : module.imports) {
      if (item.module == name) {
        items.push_back(import_item(item));
      }
    }
    const ImportFamily family = import_family(name);
    const std::string what =
        family == ImportFamily::other          ? "not WASI: the embedder or a linked module provides it"
        : family == ImportFamily::wasi_threads ? "wasi-threads"
                                               : fmt::format("WASI {}", family_name(family));
    out += fmt::format("  imports from {} ({}): {}\n", name, what, fmt::join(items, ", "));
  }
  return out;
}

std::string exports_text(const WasmModule& module) {
  std::vector<std::string> items;
  items.reserve(module.exports.size());
  for (const WasmExport& item : module.exports) {
    items.push_back(fmt::format("{} ({} {})", item.name, kind_name(item.kind), item.index));
  }
  return items.empty() ? "  exports: none\n" : fmt::format("  exports: {}\n", fmt::join(items, ", "));
}

}  // namespace

json wasm_json(const WasmModule& module) {
  if (module.component) {
    return {{"component", true}, {"version", module.version}, {"wasi", wasi_name(Wasi::preview2)}};
  }
  json imports = json::array();
  for (const WasmImport& item : module.imports) {
    imports.push_back(import_json(item));
  }
  json memories = json::array();
  for (const WasmMemory& memory : module.memories) {
    memories.push_back(memory_json(memory));
  }
  json exports = json::array();
  for (const WasmExport& item : module.exports) {
    exports.push_back({{"name", item.name}, {"kind", kind_name(item.kind)}, {"index", item.index}});
  }
  const auto model = wasi_model(module);
  return {{"component", false},
          {"version", module.version},
          {"wasi", or_null(wasi_name(wasi_of(module)))},
          {"model", model ? json(*model) : json(nullptr)},
          {"imports", imports},
          {"memories", memories},
          {"exports", exports},
          {"start", module.start ? json(*module.start) : json(nullptr)},
          {"functions", module.functions},
          {"tables", module.tables},
          {"globals", module.globals},
          {"features", wasm_features(module)},
          {"custom_sections", module.custom_sections}};
}

std::string wasm_text(const FileReport& file) {
  const WasmModule& module = *file.wasm;
  if (module.component) {
    return fmt::format(
        "{}: WebAssembly component (component model, version 0x{:x}): WASI preview2; not read further\n",
        file.path, module.version);
  }
  const Wasi wasi = wasi_of(module);
  const auto model = wasi_model(module);
  std::string out = fmt::format(
      "{}: WebAssembly module (version {}), {}{}\n", file.path, module.version,
      wasi != Wasi::none ? fmt::format("WASI {}", wasi_name(wasi))
      : std::ranges::any_of(
            module.imports,
            [](const WasmImport& i) { return import_family(i.module) != ImportFamily::other; })
          ? "wasi-threads imports only"
          : "no WASI imports",
      model ? fmt::format(", {} (exports {})", *model, *model == "command" ? "_start" : "_initialize") : "");
  out += imports_text(module);
  for (std::size_t i = 0; i < module.memories.size(); ++i) {
    out += memory_text(i, module.memories[i]);
  }
  out += exports_text(module);
  out +=
      module.start ? fmt::format("  start section: function {}\n", *module.start) : "  start section: none\n";
  if (const auto features = wasm_features(module); !features.empty()) {
    out += fmt::format("  needs proposals: {}\n", fmt::join(features, ", "));
  }
  return out;
}

json wasm_needs(const Report& report) {
  std::size_t modules = 0;
  Wasi wasi = Wasi::none;
  std::set<std::string> imports;
  std::set<std::string> other;
  std::set<std::string> features;
  std::optional<std::uint64_t> max_pages;
  for (const FileReport& file : report.files) {
    if (!file.wasm) {
      continue;
    }
    ++modules;
    wasi = std::max(wasi, wasi_of(*file.wasm));
    for (const WasmImport& item : file.wasm->imports) {
      const bool is_wasi = import_family(item.module) != ImportFamily::other;
      (is_wasi ? imports : other).insert(item.module + "." + item.name);
    }
    for (std::string& feature : wasm_features(*file.wasm)) {
      features.insert(std::move(feature));
    }
    if (const auto pages = memory_max_pages(*file.wasm)) {
      max_pages = std::max(max_pages.value_or(0), *pages);
    }
  }
  if (modules == 0) {
    return nullptr;
  }
  return {{"modules", modules},
          {"wasi", or_null(wasi_name(wasi))},
          {"imports", imports},
          {"non_wasi_imports", other},
          {"memory_max_pages", max_pages ? json(*max_pages) : json(nullptr)},
          {"features", features}};
}

}  // namespace strata::analyze
