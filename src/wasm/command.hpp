// The command line that makes an engine run a module with strata's policy:
// preopened directories, the module's environment and arguments, the cap on
// its linear memory; and what each engine can and cannot express.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.hpp"
#include "wasm/engine.hpp"

namespace strata::wasm {

// A directory the module may open paths beneath: `host` (as the engine's
// process sees it) appears to the module as `guest`.
struct Preopen {
  std::string guest;
  std::string host;
  bool read_only = false;

  bool operator==(const Preopen&) const = default;
};

struct ModuleCommand {
  std::string module;                      // the module's path as the engine's process opens it (its argv[0])
  std::string name;                        // as the user named it, for messages
  std::vector<std::string> args;           // after argv[0]
  std::vector<EnvVar> env;                 // the module's WASI environment, nothing else
  std::vector<Preopen> preopens;           // in command-line order
  std::optional<std::uint32_t> max_pages;  // the cap on linear memory, in 64 KiB pages
  std::string verb = "run";                // for the messages of strata's Node.js runner
};

// What an engine's command line can say (see docs/wasm.md).
struct EngineTraits {
  bool preopen_anywhere = false;    // a host directory can appear at any guest path
  bool preopen_same_path = false;   // ... or only at its own path (wabt: --dir=DIR)
  bool read_only_preopens = false;  // a preopen can be made read-only
  bool memory_cap = false;          // linear memory can be capped
  bool module_env = false;          // the module's environment can be set
  // Its preopens are a security boundary. Node.js documents that node:wasi's
  // are not; wasm3 gives the module its working directory as /.
  bool confines = false;
  std::string_view memory_flag;  // how the cap is passed, for --dry-run
};

EngineTraits traits(EngineKind kind);

// The engine's argv: the binary, its options, the module, the module's arguments.
std::vector<std::string> engine_argv(EngineKind kind, const std::string& binary,
                                     const ModuleCommand& command);

// The argv as one line for --dry-run, words quoted where needed and Node's
// runner script shown by name.
std::string describe_argv(const std::vector<std::string>& argv);

}  // namespace strata::wasm
