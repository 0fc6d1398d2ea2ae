// The cache of language environments, beside the image store:
//
//   ROOT/envs/<key>/                the environment, built in place (a venv
//                                   holds its own absolute path)
//   ROOT/envs/<key>/.strata/env.json  the completion marker, written last
//   ROOT/envs/<key>.lock            flock: exclusive while building, shared
//                                   while a run uses the environment
//
// A directory without its marker is a build that died: the next run (under
// the exclusive lock) removes and rebuilds it. rm and prune take the lock
// exclusively without waiting, so they never delete an environment a run is
// using or building.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata::lang {

// ROOT/envs, created when `create`, symlinks resolved (a bind's destination
// must be its canonical path): ROOT is the image store's root (image/store.hpp).
Result<std::string> envs_dir(bool create = true);

struct EnvPaths {
  std::string dir;     // ROOT/envs/<key>
  std::string lock;    // ROOT/envs/<key>.lock
  std::string marker;  // dir/.strata/env.json
  std::string meta;    // dir/.strata: the lockfile copy, the build log
};

EnvPaths env_paths(const std::string& envs, const std::string& key);

enum class Hold { shared, exclusive };

// Blocks until the lock is held. The fd is O_CLOEXEC: the lock ends with
// strata, not with the workload.
Result<UniqueFd> lock_env(const EnvPaths& paths, Hold hold);
// Turns a held lock into the other kind (flock converts in place).
Result<> relock(const UniqueFd& lock, const EnvPaths& paths, Hold hold);

bool is_complete(const EnvPaths& paths);
// Marks the environment as used now (the marker's mtime).
void touch(const EnvPaths& paths);

// What env.json records.
struct Marker {
  std::string key;
  std::string kind;          // python | node
  std::string lockfile;      // absolute path it was built from
  std::string layer;         // the layer identity (key.hpp)
  std::int64_t created = 0;  // seconds since the epoch
};

Result<> write_marker(const EnvPaths& paths, const Marker& marker);

struct EnvInfo {
  Marker marker;  // key only, when incomplete
  bool complete = false;
  std::uint64_t size = 0;
  std::int64_t last_used = 0;  // the marker's mtime; 0 when incomplete
};

// Every environment under `envs`, sorted by key; unreadable markers count as
// incomplete.
std::vector<EnvInfo> list_envs(const std::string& envs);

// Removes an environment unless a run holds its lock; false when busy.
Result<bool> remove_env(const std::string& envs, const std::string& key);

struct PruneStats {
  std::size_t removed = 0;
  std::uint64_t bytes = 0;
  std::size_t busy = 0;  // would go, but a run holds it
};

// Removes incomplete environments (a build that died), and with `unused_for`
// also complete ones last used longer ago than that, or with `all` every one;
// never one a run holds. `now` in seconds since the epoch.
Result<PruneStats> prune_envs(const std::string& envs, std::optional<std::int64_t> unused_for, bool all,
                              std::int64_t now);

// Removes a directory tree, if it is there.
Result<> remove_tree(const std::string& path);

}  // namespace strata::lang
