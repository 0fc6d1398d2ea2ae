// --isolation wasm as a front end over the other backends: a Spec that names
// a module becomes the Plan of an engine process that runs it, inside the
// process sandbox (default) or on the host (--no-sandbox). Each --bind and
// --ro-bind is both a bind in that sandbox and a directory preopened for the
// module at the same path; --env is the module's environment; what the
// chosen engine cannot enforce is refused unless --allow-weaker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "isolate/plan.hpp"
#include "wasm/engine.hpp"
#include "wasm/module.hpp"

namespace strata::wasm {

struct Candidate {
  Engine engine;
  std::string real_path;  // the binary with its symlinks resolved ("" if that failed)
};

// What the wasm layer needs from the live system.
struct WasmHost {
  std::vector<Candidate> engines;      // find_engines on the caller's PATH
  std::vector<std::string> etc_files;  // the loader's files in /etc that exist (see kEtcFiles in front.cpp)
};

// Finds and asks the engines on the caller's PATH (runs them briefly).
WasmHost gather_wasm_host(const HostFacts& host);

// --wasm-engine NAME if it is there and runs WASI, else the first engine in
// the documented order that does; an error says what is missing.
Result<Candidate> choose_engine(const std::optional<std::string>& requested,
                                const std::vector<Candidate>& engines);

// Where the sandbox shows the module to the engine.
inline constexpr std::string_view kModuleDir = "/run/wasm";

// Spec (validated, isolation wasm) -> the engine's Plan. Touches nothing:
// the engines, /etc and the module's contents are given. `verb` prefixes
// the messages of strata's Node.js runner.
Result<Plan> build_wasm_plan(const Spec& spec, const HostFacts& host, const WasmHost& wasm,
                             const ModuleInfo& module, std::string_view verb = "run");

// The live path: reads the module, finds the engines, builds the Plan, and
// warns about every part of the policy --allow-weaker let go.
Result<Plan> plan_wasm_run(const Spec& spec, const HostFacts& host, std::string_view verb);

}  // namespace strata::wasm
