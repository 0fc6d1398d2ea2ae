#include "probe/lang_wasm.hpp"

#include <cstdlib>

#include "base/runtime_dir.hpp"

namespace strata::probe::lang {

namespace {

using nlohmann::json;

// execvp's search path when PATH is unset.
constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

}  // namespace

void add_engine_facts(const std::vector<wasm::Engine>& engines, const std::string& source, Facts& facts) {
  json names = json::array();
  for (const wasm::Engine& engine : engines) {
    const std::string key = "wasm.engine." + engine.name;
    if (engine.name.empty() || facts.contains(key)) {
      continue;  // a later directory on PATH: the first one is what runs
    }
    names.push_back(engine.name);
    add(facts, key,
        {{"path", engine.path},
         {"version", engine.version.empty() ? json(nullptr) : json(engine.version)},
         {"wasi_preview1", engine.wasi_preview1},
         {"reason", engine.unusable_reason.empty() ? json(nullptr) : json(engine.unusable_reason)}},
        engine.path);
  }
  add(facts, "wasm.engines", std::move(names), source);
}

void add_wasm_facts(const Root& root, Facts& facts) {
  if (root.is_live()) {
    const char* path = std::getenv("PATH");
    add_engine_facts(
        wasm::find_engines(path != nullptr ? std::string_view(path) : kDefaultPath, runtime_cache_dir()),
        "$PATH", facts);
    return;
  }
  add_engine_facts(wasm::find_engines_in_root(root.path()), "file names in the tree", facts);
}

}  // namespace strata::probe::lang
