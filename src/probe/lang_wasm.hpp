// The WebAssembly part of the language layer: the engines a module could run
// on (wasm/engine.hpp), each with its version and whether it runs WASI
// preview1 modules. Live, the engines are those on the caller's PATH and each
// is asked for its version (the one place the probe runs programs: an
// engine's WASI support is not written in any file); in a --root tree they are
// found by file name only and nothing is run.
#pragma once

#include <string>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"
#include "wasm/engine.hpp"

namespace strata::probe::lang {

// wasm.engines (the names, in preference order; [] when there is none) and
// wasm.engine.<name> for each, the first of a name winning; `source` is
// where they were looked for.
void add_engine_facts(const std::vector<wasm::Engine>& engines, const std::string& source, Facts& facts);

// The engines on $PATH (live) or in the tree.
void add_wasm_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::lang
