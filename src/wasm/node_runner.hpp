// Node.js has no WASI command line of its own: strata runs a short script
// (node:wasi, preview1) that reads the run's configuration from its last
// argument.
#pragma once

#include <string_view>

namespace strata::wasm {

// The script passed to `node -e`.
std::string_view node_runner_script();

}  // namespace strata::wasm
