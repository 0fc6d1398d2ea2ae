// One function per engine: strata's policy in that engine's own flags.
#include "wasm/command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "wasm/node_runner.hpp"

namespace strata::wasm {

namespace {

constexpr std::uint64_t kPageBytes = 64ULL << 10;

void append(std::vector<std::string>& argv, const ModuleCommand& command) {
  argv.emplace_back(command.module);
  argv.insert(argv.end(), command.args.begin(), command.args.end());
}

// wasmtime >= 14: `run`, --dir HOST::GUEST, --env, -W max-memory-size (bytes).
std::vector<std::string> wasmtime(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary, "run"};
  if (command.max_pages) {
    argv.insert(argv.end(), {"-W", fmt::format("max-memory-size={}", *command.max_pages * kPageBytes)});
  }
  for (const auto& p : command.preopens) {
    argv.insert(argv.end(), {"--dir", p.host + "::" + p.guest});
  }
  for (const auto& var : command.env) {
    argv.insert(argv.end(), {"--env", var.name + "=" + var.value});
  }
  argv.emplace_back("--");
  append(argv, command);
  return argv;
}

// wasmer: `run`, --mapdir GUEST:HOST, --env.
std::vector<std::string> wasmer(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary, "run"};
  for (const auto& p : command.preopens) {
    argv.insert(argv.end(), {"--mapdir", p.guest + ":" + p.host});
  }
  for (const auto& var : command.env) {
    argv.insert(argv.end(), {"--env", var.name + "=" + var.value});
  }
  argv.emplace_back("--");
  append(argv, command);
  return argv;
}

// WasmEdge: --dir GUEST:HOST[:readonly], --env, --memory-page-limit.
std::vector<std::string> wasmedge(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary};
  if (command.max_pages) {
    argv.insert(argv.end(), {"--memory-page-limit", std::to_string(*command.max_pages)});
  }
  for (const auto& p : command.preopens) {
    argv.insert(argv.end(), {"--dir", p.guest + ":" + p.host + (p.read_only ? ":readonly" : "")});
  }
  for (const auto& var : command.env) {
    argv.insert(argv.end(), {"--env", var.name + "=" + var.value});
  }
  argv.emplace_back("--");
  append(argv, command);
  return argv;
}

// WAMR's iwasm: --map-dir=GUEST::HOST, --env=NAME=VALUE; its options end at
// the module (an absolute path, so never taken for one).
std::vector<std::string> iwasm(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary};
  for (const auto& p : command.preopens) {
    argv.push_back("--map-dir=" + p.guest + "::" + p.host);
  }
  for (const auto& var : command.env) {
    argv.push_back("--env=" + var.name + "=" + var.value);
  }
  append(argv, command);
  return argv;
}

// wasm3: no options for any of it (preopens and environment are refused
// before this; the front end gives it an empty working directory).
std::vector<std::string> wasm3(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary};
  append(argv, command);
  return argv;
}

// wabt's wasm-interp built with WASI: --wasi, --dir=DIR (at its own path), --env=.
std::vector<std::string> wasm_interp(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary, "--wasi"};
  for (const auto& p : command.preopens) {
    argv.push_back("--dir=" + p.host);
  }
  for (const auto& var : command.env) {
    argv.push_back("--env=" + var.name + "=" + var.value);
  }
  argv.emplace_back("--");
  append(argv, command);
  return argv;
}

// Node.js: strata's runner script, V8's own cap on a memory's pages.
std::vector<std::string> node(const std::string& binary, const ModuleCommand& command) {
  std::vector<std::string> argv{binary, "--no-warnings"};
  if (command.max_pages) {
    argv.push_back(fmt::format("--wasm-max-mem-pages={}", *command.max_pages));
  }
  nlohmann::ordered_json config;
  config["verb"] = command.verb;
  config["name"] = command.name;
  config["module"] = command.module;
  nlohmann::ordered_json args = nlohmann::ordered_json::array({command.module});
  for (const auto& arg : command.args) {
    args.push_back(arg);
  }
  config["args"] = std::move(args);
  nlohmann::ordered_json env = nlohmann::ordered_json::object();
  for (const auto& var : command.env) {
    env[var.name] = var.value;  // a later --env of the same name wins
  }
  config["env"] = std::move(env);
  nlohmann::ordered_json preopens = nlohmann::ordered_json::object();
  for (const auto& p : command.preopens) {
    preopens[p.guest] = p.host;
  }
  config["preopens"] = std::move(preopens);
  if (command.max_pages) {
    config["maxPages"] = *command.max_pages;
  }
  argv.insert(argv.end(), {"-e", std::string(node_runner_script()), "--",
                           config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  return argv;
}

bool needs_quotes(std::string_view word) {
  return word.empty() || word.find_first_of(" \t\n'\"\\$`!*?[]{}()<>|&;#~") != std::string_view::npos;
}

}  // namespace

EngineTraits traits(EngineKind kind) {
  switch (kind) {
    case EngineKind::wasmtime:
      return {.preopen_anywhere = true,
              .preopen_same_path = true,
              .read_only_preopens = false,
              .memory_cap = true,
              .module_env = true,
              .confines = true,
              .memory_flag = "-W max-memory-size"};
    case EngineKind::wasmer:
    case EngineKind::iwasm:
      return {.preopen_anywhere = true,
              .preopen_same_path = true,
              .read_only_preopens = false,
              .memory_cap = false,
              .module_env = true,
              .confines = true,
              .memory_flag = {}};
    case EngineKind::wasmedge:
      return {.preopen_anywhere = true,
              .preopen_same_path = true,
              .read_only_preopens = true,
              .memory_cap = true,
              .module_env = true,
              .confines = true,
              .memory_flag = "--memory-page-limit"};
    case EngineKind::wasm3:
      return {.preopen_anywhere = false,
              .preopen_same_path = false,
              .read_only_preopens = false,
              .memory_cap = false,
              .module_env = false,
              .confines = false,
              .memory_flag = {}};
    case EngineKind::node:
      return {.preopen_anywhere = true,
              .preopen_same_path = true,
              .read_only_preopens = false,
              .memory_cap = true,
              .module_env = true,
              .confines = false,
              .memory_flag = "V8's --wasm-max-mem-pages"};
    case EngineKind::wasm_interp:
      return {.preopen_anywhere = false,
              .preopen_same_path = true,
              .read_only_preopens = false,
              .memory_cap = false,
              .module_env = true,
              .confines = false,
              .memory_flag = {}};
  }
  return {};
}

std::vector<std::string> engine_argv(EngineKind kind, const std::string& binary,
                                     const ModuleCommand& command) {
  switch (kind) {
    case EngineKind::wasmtime:
      return wasmtime(binary, command);
    case EngineKind::wasmer:
      return wasmer(binary, command);
    case EngineKind::wasmedge:
      return wasmedge(binary, command);
    case EngineKind::iwasm:
      return iwasm(binary, command);
    case EngineKind::wasm3:
      return wasm3(binary, command);
    case EngineKind::node:
      return node(binary, command);
    case EngineKind::wasm_interp:
      return wasm_interp(binary, command);
  }
  return {};
}

std::string describe_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    if (word == node_runner_script()) {
      out += fmt::format("<strata's node:wasi runner, {} bytes>", word.size());
    } else if (needs_quotes(word)) {
      std::string quoted = "'";
      for (char c : word) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      }
      out += quoted + "'";
    } else {
      out += word;
    }
  }
  return out;
}

}  // namespace strata::wasm
