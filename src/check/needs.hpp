// The strata.needs/v1 document (docs/needs.md) read back into typed form:
// what `strata check` compares with a probe manifest. Only the top-level
// "schema", "command" and the "needs" object are read; "files" and the rest
// are strata analyze's own detail.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::check {

inline constexpr std::string_view kNeedsSchema = "strata.needs/v1";

// One entry of needs.kernel_features (written by strata trace).
struct KernelFeature {
  std::string feature;                    // "io_uring", "landlock", "user_namespace", ...
  std::string evidence;                   // the system call or /proc/sys file that showed it
  std::optional<std::string> min_kernel;  // the first release with it, when the tracer knows
  std::optional<long long> abi;           // landlock: the ABI version asked for
};

// needs.wasm: what the WebAssembly modules analyzed need from an engine.
struct WasmNeed {
  std::optional<std::string> wasi;            // "preview1", "preview0", "preview2"; nullopt: no WASI imports
  std::vector<std::string> imports;           // WASI imports, "wasi_snapshot_preview1.fd_write"
  std::vector<std::string> non_wasi_imports;  // "env.foo": no engine provides them
  std::optional<std::uint64_t> memory_max_pages;
  std::vector<std::string> features;  // proposals: "threads", "memory64", "multi-memory"
};

// A package name and the version seen (nullopt: no metadata, presence only).
using PackageVersions = std::map<std::string, std::optional<std::string>, std::less<>>;

// The "needs" object. An absent (or null) key is no need.
struct Needs {
  std::string origin;                // the file it was read from, for messages
  std::vector<std::string> command;  // the top-level "command" (strata trace); empty when absent

  // hardware
  std::vector<std::string> machines;                       // ELF machine names: "x86-64", "aarch64"
  std::optional<std::string> isa_level;                    // "x86-64-v3"
  std::map<std::string, std::string, std::less<>> hwcaps;  // soname -> glibc-hwcaps level chosen
  // kernel
  std::optional<std::string> min_kernel;  // "3.2.0"
  std::string min_kernel_because;         // "landlock_create_ruleset (5.13)"; empty when not given
  std::vector<KernelFeature> kernel_features;
  std::vector<std::string> syscalls;  // informational
  std::vector<std::string> sysctls;   // informational
  // system
  std::optional<std::string> glibc;                                 // "2.34"
  std::map<std::string, std::string, std::less<>> symbol_versions;  // family -> newest: GLIBCXX -> "3.4.29"
  std::vector<std::string> interpreters;
  std::vector<std::string> libraries;
  std::vector<std::string> dlopen;
  std::vector<std::string> missing;
  // language
  PackageVersions python_packages;
  PackageVersions node_packages;
  std::optional<WasmNeed> wasm;  // absent: no WebAssembly module
};

// Reads a needs document. The error's step is "read needs", its path
// `origin`, and its detail says what is wrong (not JSON, truncated, another
// schema, a key of the wrong type: named as "needs.glibc").
[[nodiscard]] Result<Needs> needs_from_json(std::string_view text, const std::string& origin);

}  // namespace strata::check
