// The facts find_engines learns by running an engine (its version, whether
// it runs WASI preview1 and why not), kept per binary so that `strata run
// --isolation wasm` and `strata probe` do not start `node --version` and a
// trial wasm-interp on every call (~10 ms of a ~35 ms run).
//
// One JSON file, wasm-engines.json, in runtime_cache_dir() (/run/strata for
// root, else $XDG_RUNTIME_DIR/strata, else no cache). An entry is keyed by
// the binary's resolved path and holds its identity (device, inode, size,
// mtime in ns): an upgrade replaces the file (a new inode, mtime or size),
// so the entry no longer matches and the engine is asked again (a binary
// modified in the last 2 s is not cached: see put()). A file or
// entry that does not parse or match is ignored, never trusted.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace strata::wasm {

// A binary as the cache key sees it.
struct BinaryIdentity {
  std::string path;  // symlinks resolved
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;

  bool operator==(const BinaryIdentity&) const = default;
};

// What running the engine said.
struct EngineFacts {
  std::string version;
  bool wasi_preview1 = false;
  std::string reason;  // why not, when !wasi_preview1

  bool operator==(const EngineFacts&) const = default;
};

// The identity of the binary at `path` (resolved, then stat'ed); nullopt
// when it cannot be resolved or stat'ed (then it is not cached).
std::optional<BinaryIdentity> identify_binary(const std::string& path);

class EngineCache {
 public:
  // Reads `dir`/wasm-engines.json; "" is no cache (nothing read or written).
  explicit EngineCache(std::string dir);

  // The facts cached for the engine `name` at exactly `id`.
  [[nodiscard]] std::optional<EngineFacts> find(std::string_view name, const BinaryIdentity& id) const;
  // Not kept for a binary modified in the last 2 s: a rewrite within the
  // same mtime tick and at the same size would not change its identity.
  void put(std::string_view name, const BinaryIdentity& id, const EngineFacts& facts);
  // Writes the file atomically if put() changed it; a failure only costs a
  // later probe, so it is said at debug level.
  void save() const;

  static constexpr std::string_view kFileName = "wasm-engines.json";

 private:
  std::string dir_;
  nlohmann::json entries_ = nlohmann::json::object();  // resolved path -> entry
  bool changed_ = false;
};

}  // namespace strata::wasm
