// strata.lock/v1 (docs/auto.md): what `strata record` saw where a workload
// works (the command, its needs, the machine's manifest, the image, root,
// kernel and language environment it ran with), so that `strata run
// --isolation auto` can rebuild only the layers another machine lacks.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "check/needs.hpp"

namespace strata::autolayers {

inline constexpr std::string_view kLockSchema = "strata.lock/v1";

// An input file pinned by its content.
struct PinnedFile {
  std::string path;  // relative to the lock's directory when inside it, else absolute
  std::string sha256;

  bool operator==(const PinnedFile&) const = default;
};

struct LockImage {
  std::string reference;  // as given: "builtin:busybox", "debian:12"
  std::string digest;     // the manifest digest it resolved to: "sha256:..."

  bool operator==(const LockImage&) const = default;
};

// The kernel the workload ran on.
struct LockKernel {
  std::string release;                // uname -r (or the --kernel bzImage's own release)
  std::optional<std::string> path;    // the bzImage, when one was found
  std::optional<std::string> sha256;  // of that file

  bool operator==(const LockKernel&) const = default;
};

// The inputs of a language environment (Spec::lang).
struct LockLanguage {
  std::optional<PinnedFile> python_requirements;
  std::vector<std::string> find_links;
  std::optional<PinnedFile> node_lockfile;
  std::optional<std::string> python;

  bool operator==(const LockLanguage&) const = default;
};

struct Lock {
  std::vector<std::string> command;
  int exit_code = 0;      // the recorded run's
  std::string isolation;  // the layers it ran in ("sandbox", "container+venv")
  std::optional<LockImage> image;
  std::optional<std::string> rootfs;
  LockKernel kernel;
  std::optional<LockLanguage> language;
  nlohmann::json needs_document;     // strata.needs/v1, whole
  nlohmann::json manifest_document;  // strata.manifest/v1, whole
  check::Needs needs;                // needs_document, read (filled by lock_from_json)
};

[[nodiscard]] nlohmann::ordered_json to_json(const Lock& lock, std::string_view generator);

// Reads a lock; the error's step is "read lock", its path `origin`, and its
// detail names the key at fault. The needs and the manifest inside are read
// by their own readers (check::needs_from_json, probe::manifest_from_json).
[[nodiscard]] Result<Lock> lock_from_json(std::string_view text, const std::string& origin);

// `path` as the lock records it: relative to `lock_dir` when it lies inside it.
[[nodiscard]] std::string path_for_lock(const std::string& path, const std::string& lock_dir);
// A recorded path made usable again: a relative one is taken from `lock_dir`.
[[nodiscard]] std::string path_from_lock(const std::string& path, const std::string& lock_dir);

}  // namespace strata::autolayers
