#include "wasm/engine_cache.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "base/files.hpp"
#include "base/json_error.hpp"
#include "base/log.hpp"

namespace strata::wasm {

namespace {

using nlohmann::json;

constexpr int kCacheVersion = 1;
constexpr std::size_t kLargestCacheFile = 1U << 16U;
// More entries than any machine has engines: a PATH that keeps changing
// (temporary directories in tests) must not grow the file without bound.
constexpr std::size_t kMostEntries = 32;
// A file's mtime moves in steps of the kernel's tick (4 ms on ext4), so a
// binary rewritten in place within one tick, at the same size, keeps its
// identity. Answers about a binary this fresh are not kept (git's "racy
// clean" problem, solved the same way).
constexpr std::int64_t kSettledNs = 2'000'000'000;

bool settled(const BinaryIdentity& id) {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return id.mtime_ns < now.count() - kSettledNs;
}

json identity_json(std::string_view name, const BinaryIdentity& id) {
  return {{"name", name}, {"dev", id.dev}, {"ino", id.ino}, {"size", id.size}, {"mtime_ns", id.mtime_ns}};
}

// The facts of a well-formed entry for exactly this binary.
std::optional<EngineFacts> facts_from(const json& entry, std::string_view name, const BinaryIdentity& id) {
  if (!entry.is_object() || !entry.contains("binary") || entry.at("binary") != identity_json(name, id)) {
    return std::nullopt;
  }
  const auto version = entry.find("version");
  const auto wasi = entry.find("wasi_preview1");
  const auto reason = entry.find("reason");
  if (version == entry.end() || !version->is_string() || wasi == entry.end() || !wasi->is_boolean() ||
      reason == entry.end() || !reason->is_string()) {
    return std::nullopt;
  }
  EngineFacts facts{.version = version->get<std::string>(),
                    .wasi_preview1 = wasi->get<bool>(),
                    .reason = reason->get<std::string>()};
  if (facts.wasi_preview1 != facts.reason.empty()) {
    return std::nullopt;  // it contradicts itself
  }
  return facts;
}

}  // namespace

std::optional<BinaryIdentity> identify_binary(const std::string& path) {
  std::error_code ec;
  const auto resolved = std::filesystem::canonical(path, ec);
  struct stat st = {};
  if (ec || ::stat(resolved.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return BinaryIdentity{
      .path = resolved.string(),
      .dev = static_cast<std::uint64_t>(st.st_dev),
      .ino = static_cast<std::uint64_t>(st.st_ino),
      .size = static_cast<std::int64_t>(st.st_size),
      .mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

EngineCache::EngineCache(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    return;
  }
  const std::string path = dir_ + "/" + std::string(kFileName);
  auto text = read_small_file(path, kLargestCacheFile, "read the wasm engine cache");
  if (!text) {
    if (text.error().err != ENOENT) {
      log::debug("{}", text.error().message());
    }
    return;
  }
  try {
    const json file = json::parse(*text);
    if (file.is_object() && file.value("version", 0) == kCacheVersion && file.contains("engines") &&
        file.at("engines").is_object()) {
      entries_ = file.at("engines");
      return;
    }
    log::debug("{} (ignored): not a version {} cache file", path, kCacheVersion);
  } catch (const json::exception& e) {
    log::debug("{} (ignored): {}", path, json_error_text(e.what()));
  }
}

std::optional<EngineFacts> EngineCache::find(std::string_view name, const BinaryIdentity& id) const {
  const auto entry = entries_.find(id.path);
  return entry == entries_.end() ? std::nullopt : facts_from(*entry, name, id);
}

void EngineCache::put(std::string_view name, const BinaryIdentity& id, const EngineFacts& facts) {
  if (dir_.empty() || !settled(id)) {
    return;
  }
  while (entries_.size() >= kMostEntries && !entries_.contains(id.path)) {
    entries_.erase(entries_.begin());
  }
  entries_[id.path] = {{"binary", identity_json(name, id)},
                       {"version", facts.version},
                       {"wasi_preview1", facts.wasi_preview1},
                       {"reason", facts.reason}};
  changed_ = true;
}

void EngineCache::save() const {
  if (!changed_) {
    return;
  }
  const json file = {{"version", kCacheVersion}, {"engines", entries_}};
  const std::string path = dir_ + "/" + std::string(kFileName);
  if (auto ok = write_file_atomically(path, file.dump(2) + "\n", "write the wasm engine cache"); !ok) {
    log::debug("{}", ok.error().message());
  }
}

}  // namespace strata::wasm
