// language, WebAssembly: a module runs on an engine, not on the system's
// libraries, so what it needs is an engine on the target that provides the
// WASI it imports (the probe's wasm.engines and wasm.engine.<name>). Imports
// from other modules ("env") are provided by no engine: notes.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "analyze/wasi_preview1.hpp"
#include "check/rules.hpp"

namespace strata::check {

namespace {

using nlohmann::json;

constexpr std::string_view kInstall = "install a WASI engine (Node.js >= 20: nodejs; or wasmtime)";
constexpr std::string_view kProvide = "a WASI preview1 engine (Node.js >= 20 or wasmtime)";

// "wasi_snapshot_preview1.fd_write" -> "fd_write"; nullopt for another module.
std::optional<std::string_view> preview1_function(std::string_view import) {
  const std::string_view module = analyze::kWasiPreview1Module;
  if (!import.starts_with(module) || import.size() <= module.size() || import[module.size()] != '.') {
    return std::nullopt;
  }
  return import.substr(module.size() + 1);
}

// One engine as the target's manifest lists it.
struct EngineFact {
  std::string name;
  bool preview1 = false;
  bool preview2 = false;  // no engine claims it today; a later probe may
  std::string reason;     // why it runs no WASI modules
};

bool flag(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

// nullopt: the manifest predates the wasm section (or it is malformed).
std::optional<std::vector<EngineFact>> engines(const Context& c) {
  const json* names = c.fact(Layer::language, "wasm.engines");
  if (names == nullptr || !names->is_array()) {
    return std::nullopt;
  }
  std::vector<EngineFact> out;
  for (const json& name : *names) {
    if (!name.is_string()) {
      continue;
    }
    EngineFact engine{.name = name.get<std::string>()};
    const json* fact = c.fact(Layer::language, "wasm.engine." + engine.name);
    if (fact != nullptr && fact->is_object()) {
      engine.preview1 = flag(*fact, "wasi_preview1");
      engine.preview2 = flag(*fact, "wasi_preview2");
      const auto reason = fact->find("reason");
      engine.reason = reason != fact->end() && reason->is_string() ? reason->get<std::string>() : "";
    }
    out.push_back(std::move(engine));
  }
  return out;
}

// "node (no WASI: wasi support not compiled in), wasm-interp"; "no engine".
std::string engines_text(const std::vector<EngineFact>& list) {
  if (list.empty()) {
    return "no engine";
  }
  std::vector<std::string> items;
  items.reserve(list.size());
  for (const EngineFact& e : list) {
    items.push_back(
        e.preview1 ? e.name : fmt::format("{} (no WASI{})", e.name, e.reason.empty() ? "" : ": " + e.reason));
  }
  return fmt::format("{}", fmt::join(items, ", "));
}

// "fd_write, proc_exit and 3 more".
std::string first_imports(const std::vector<std::string>& imports) {
  constexpr std::size_t kShown = 3;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < imports.size() && i < kShown; ++i) {
    names.push_back(imports[i].substr(imports[i].find('.') + 1));
  }
  const std::string shown = fmt::format("{}", fmt::join(names, ", "));
  return imports.size() > kShown ? fmt::format("{} and {} more", shown, imports.size() - kShown) : shown;
}

void engine_unmet(Context& c, const std::string& need, const WasmNeed& wasm,
                  const std::vector<EngineFact>& list) {
  const std::string flavour = wasm.wasi.value_or("");
  const std::string what = flavour == "preview0" ? "WASI preview0 (wasi_unstable)" : "WASI " + flavour;
  const std::string lack = list.empty() ? "the target has no WebAssembly engine"
                                        : "no engine on the target runs WASI preview1 modules";
  c.unmet({.layer = Layer::language,
           .need = need,
           .wanted = "an engine that runs WASI preview1",
           .target_has = engines_text(list),
           .reason = fmt::format("the module imports {}{} and {}: {}", what,
                                 wasm.imports.empty() ? "" : " (" + first_imports(wasm.imports) + ")", lack,
                                 kInstall),
           .provide = std::string(kProvide),
           .isolation = "wasm"});
}

void check_engine(Context& c, const WasmNeed& wasm, const std::vector<EngineFact>& list) {
  const std::string flavour = wasm.wasi.value_or("");
  const std::string need = flavour.empty() ? "wasm engine" : "wasm wasi " + flavour;
  if (flavour == "preview1" || flavour == "preview0") {
    if (std::ranges::any_of(list, &EngineFact::preview1)) {
      c.met(Layer::language);
    } else {
      engine_unmet(c, need, wasm, list);
    }
    if (flavour == "preview0") {
      c.note(
          Layer::language, need,
          "may matter: wasi_unstable (preview0) is the legacy snapshot; wasmtime still runs it, and Node.js "
          "only when asked for WASI version \"unstable\"");
    }
  } else if (flavour == "preview2") {
    if (std::ranges::any_of(list, &EngineFact::preview2)) {
      c.met(Layer::language);
      return;
    }
    c.unmet({.layer = Layer::language,
             .need = need,
             .wanted = "an engine that runs components (WASI preview2)",
             .target_has = engines_text(list),
             .reason =
                 "the file is a WebAssembly component (WASI preview2) and no engine on the target claims the "
                 "component model: install wasmtime (`wasmtime run` runs components)",
             .provide = "a component-model engine (wasmtime)",
             .isolation = "wasm"});
  } else if (flavour.empty()) {
    if (!list.empty()) {
      c.met(Layer::language);
      return;
    }
    c.unmet({.layer = Layer::language,
             .need = need,
             .wanted = "a WebAssembly engine",
             .target_has = "no engine",
             .reason = fmt::format("the target has no WebAssembly engine: {}", kInstall),
             .provide = std::string(kProvide),
             .isolation = "wasm"});
  } else {
    c.note(Layer::language, need, fmt::format("no rule knows WASI \"{}\": not judged", flavour));
  }
}

// What no engine's WASI provides, whatever the target: notes.
void import_notes(Context& c, const WasmNeed& wasm) {
  for (const std::string& name : wasm.non_wasi_imports) {
    c.note(
        Layer::language, "wasm import " + name,
        fmt::format("the module imports {}, which no WASI engine provides: link it into the module", name));
  }
  for (const std::string& name : wasm.imports) {
    const auto function = preview1_function(name);
    if (function && !analyze::is_wasi_preview1_function(*function)) {
      c.note(
          Layer::language, "wasm import " + name,
          fmt::format("{} is not a function of WASI preview1 as published: engines do not provide it", name));
    }
  }
  for (const std::string& feature : wasm.features) {
    const std::string text =
        feature == "threads" ? "may matter: the module uses threads (a shared memory or wasi-threads): "
                               "Node.js's WASI starts no "
                               "threads; wasmtime needs its threads options"
        : feature == "memory64"
            ? "may matter: a 64-bit memory (memory64) is a proposal not every engine enables by default"
        : feature == "multi-memory"
            ? "may matter: more than one memory (multi-memory): older engines refuse it"
            : fmt::format("may matter: the module uses the {} proposal", feature);
    c.note(Layer::language, "wasm feature " + feature, text);
  }
}

}  // namespace

void check_wasm(Context& context) {
  if (!context.needs().wasm) {
    return;
  }
  const WasmNeed& wasm = *context.needs().wasm;
  import_notes(context, wasm);
  const std::string need = wasm.wasi ? "wasm wasi " + *wasm.wasi : "wasm engine";
  if (!context.require_layer(Layer::language, need)) {
    return;
  }
  const auto list = engines(context);
  if (!list) {
    context.not_checked(
        Layer::language, need,
        "the target manifest lists no WebAssembly engines (no wasm.engines fact: an older strata "
        "probed it)");
    return;
  }
  check_engine(context, wasm, *list);
}

}  // namespace strata::check
