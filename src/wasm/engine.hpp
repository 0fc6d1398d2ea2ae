// WebAssembly engines strata can run a module on (it has no runtime of its
// own): which are installed, what they are, and whether they run WASI
// preview1 modules at all (Debian's wabt builds wasm-interp without WASI).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::wasm {

// In the documented order of preference, fastest first.
enum class EngineKind { wasmtime, wasmer, wasmedge, iwasm, wasm3, node, wasm_interp };

struct Engine {
  EngineKind kind = EngineKind::node;
  std::string name;             // "node", "wasm-interp": the binary's name
  std::string path;             // absolute path of the binary
  std::string version;          // the first line of its version output; "" if unknown
  bool wasi_preview1 = false;   // it can run a wasi_snapshot_preview1 module
  std::string unusable_reason;  // why not, when !wasi_preview1 ("wasi support not compiled in")
};

// The engines found on `path_env` (a PATH value), in preference order, each
// asked for its version and WASI support (live: runs the binaries briefly)
// unless the cache in `cache_dir` (engine_cache.hpp; usually
// runtime_cache_dir(), "" for none) has the answer for that very binary.
std::vector<Engine> find_engines(std::string_view path_env, const std::string& cache_dir);

// The engines under a root tree by file name only (nothing is run there):
// version empty, wasi_preview1 from what the name implies.
std::vector<Engine> find_engines_in_root(const std::string& root);

std::string_view engine_name(EngineKind kind);  // "wasmtime", ..., "node", "wasm-interp"
std::optional<EngineKind> parse_engine_name(std::string_view name);

}  // namespace strata::wasm
