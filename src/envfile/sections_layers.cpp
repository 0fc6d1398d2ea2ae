// The sections for the other layers: [python] and [node] (the +venv layer's
// packages), [vm] (--kernel, --vm-memory...) and [wasm] (--wasm-engine...).
#include <fmt/format.h>

#include <array>

#include "envfile/keys.hpp"
#include "wasm/engine.hpp"

namespace strata::envfile::detail {

namespace {

// Reads a value with `read` and stores it where `place` says: one row per
// key without one function per key.
template <auto read, auto place>
Result<> set(Context& ctx, const toml::node& node, std::string_view key) {
  auto value = read(ctx, node, key);
  if (!value) {
    return std::unexpected(value.error());
  }
  place(ctx.spec) = std::move(*value);
  return {};
}

Result<std::vector<std::string>> read_paths(const Context& ctx, const toml::node& node,
                                            std::string_view key) {
  auto paths = read_strings(ctx, node, key);
  if (!paths) {
    return paths;
  }
  for (std::string& path : *paths) {
    if (path.empty()) {
      return key_error(ctx, node, key, "expected paths, found an empty string");
    }
    path = resolve(ctx, path);
  }
  return paths;
}

Result<unsigned> read_vcpus(const Context& ctx, const toml::node& node, std::string_view key) {
  auto cpus = read_uint(ctx, node, key, 1, 64);
  return cpus ? Result<unsigned>(static_cast<unsigned>(*cpus)) : std::unexpected(cpus.error());
}

Result<std::string> read_engine(const Context& ctx, const toml::node& node, std::string_view key) {
  auto name = read_string(ctx, node, key);
  if (name && !wasm::parse_engine_name(*name)) {
    return key_error(ctx, node, key,
                     fmt::format("expected one of wasmtime, wasmer, wasmedge, iwasm, wasm3, node, "
                                 "wasm-interp, not '{}'",
                                 *name));
  }
  return name;
}

// Where each key's value goes: named, so the rows below stay one line each.
auto& requirements(Spec& s) {
  return s.lang.python_requirements;
}
auto& find_links(Spec& s) {
  return s.lang.find_links;
}
auto& interpreter(Spec& s) {
  return s.lang.python;
}
auto& lockfile(Spec& s) {
  return s.lang.node_lockfile;
}
auto& kernel(Spec& s) {
  return s.vm.kernel;
}
auto& initrd(Spec& s) {
  return s.vm.initrd;
}
auto& vm_memory(Spec& s) {
  return s.vm.memory_bytes;
}
auto& vm_cpus(Spec& s) {
  return s.vm.cpus;
}
auto& vm_engine(Spec& s) {
  return s.vm.engine;
}
auto& keep_console(Spec& s) {
  return s.vm.keep_console;
}
auto& wasm_engine(Spec& s) {
  return s.wasm.engine;
}
auto& wasm_memory(Spec& s) {
  return s.wasm.memory_bytes;
}
auto& no_sandbox(Spec& s) {
  return s.wasm.no_sandbox;
}
auto& allow_weaker(Spec& s) {
  return s.wasm.allow_weaker;
}

constexpr std::array kPythonRows{
    KeyRow{"requirements", set<read_path, requirements>},
    KeyRow{"find_links", set<read_paths, find_links>},
    KeyRow{"interpreter", set<read_string, interpreter>},
};

constexpr std::array kNodeRows{KeyRow{"lockfile", set<read_path, lockfile>}};

constexpr std::array kVmRows{
    KeyRow{"kernel", set<read_path, kernel>},      KeyRow{"initrd", set<read_path, initrd>},
    KeyRow{"memory", set<read_size, vm_memory>},   KeyRow{"cpus", set<read_vcpus, vm_cpus>},
    KeyRow{"engine", set<read_string, vm_engine>}, KeyRow{"keep_console", set<read_path, keep_console>},
};

constexpr std::array kWasmRows{
    KeyRow{"engine", set<read_engine, wasm_engine>},
    KeyRow{"memory", set<read_size, wasm_memory>},
    KeyRow{"no_sandbox", set<read_bool, no_sandbox>},
    KeyRow{"allow_weaker", set<read_bool, allow_weaker>},
};

}  // namespace

Result<> apply_python(Context& ctx, const toml::node& node, std::string_view key) {
  return apply_table(ctx, node, fmt::format("{}.", key), kPythonRows);
}

Result<> apply_node(Context& ctx, const toml::node& node, std::string_view key) {
  return apply_table(ctx, node, fmt::format("{}.", key), kNodeRows);
}

Result<> apply_vm(Context& ctx, const toml::node& node, std::string_view key) {
  return apply_table(ctx, node, fmt::format("{}.", key), kVmRows);
}

Result<> apply_wasm(Context& ctx, const toml::node& node, std::string_view key) {
  return apply_table(ctx, node, fmt::format("{}.", key), kWasmRows);
}

}  // namespace strata::envfile::detail
