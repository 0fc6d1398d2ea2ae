// A WebAssembly module in the report: its `wasm` object (files[]), its text
// block, and the needs aggregate's `wasm` key (docs/needs.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "analyze/analyze.hpp"

namespace strata::analyze {

[[nodiscard]] nlohmann::json wasm_json(const WasmModule& module);
[[nodiscard]] std::string wasm_text(const FileReport& file);

// {"modules", "wasi", "imports", "non_wasi_imports", "memory_max_pages", ...}
// over every module analyzed; null when there is none.
[[nodiscard]] nlohmann::json wasm_needs(const Report& report);

}  // namespace strata::analyze
