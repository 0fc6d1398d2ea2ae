// What `strata run --isolation wasm` checks of a module before handing it
// to an engine: that it is a core module, what it imports, how much linear
// memory it starts with, whether it is a WASI command. The bytes are read by
// strata analyze's bounds-checked reader (analyze/wasm.hpp), the imports
// judged by the one WASI preview1 list (analyze/wasi_preview1.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyze/wasm.hpp"
#include "base/error.hpp"

namespace strata::wasm {

struct ModuleInfo {
  std::vector<analyze::WasmImport> imports;
  std::optional<std::uint64_t> initial_pages;  // of the first memory (defined or imported)
  bool exports_start = false;                  // a WASI command exports _start
};

// Parses a module's bytes; `name` is what errors call it. A file that is no
// core module (a component, WASI preview2) is an error with exit code 126, a
// malformed section one that says where ("offset 0x1c: import section: ...").
Result<ModuleInfo> parse_module(std::string_view bytes, const std::string& name);

// Reads and parses the file at `path` (at most 1 GiB, V8's own limit).
// A missing file is an error with exit code 127, a file that is not a
// module one with 126, as for a command that cannot be found or executed.
Result<ModuleInfo> read_module(const std::string& path, const std::string& name);

// Whether the command's first word names a module: it ends in ".wasm", or
// it is a file (relative to `cwd` unless absolute) that starts with the magic.
bool looks_like_module(const std::string& word, const std::string& cwd);

// Every import must be a WASI preview1 function: nothing else is provided
// by an engine strata runs (and WasmEdge's socket extensions, WASIX and the
// like would give a module the network). `engine` names the engine in the
// error ("node").
Result<> check_imports(const ModuleInfo& info, const std::string& name, std::string_view engine);

}  // namespace strata::wasm
