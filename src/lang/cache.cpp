#include "lang/cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "image/store.hpp"

namespace strata::lang {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMarkerLimit = 64U << 10U;

int flock_retrying(int fd, int operation) {
  int rc = 0;
  do {
    rc = ::flock(fd, operation);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

std::optional<Marker> read_marker(const EnvPaths& paths) {
  auto text = read_small_file(paths.marker, kMarkerLimit, "read env marker");
  if (!text) {
    return std::nullopt;
  }
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object()) {
    return std::nullopt;
  }
  return Marker{.key = json.value("key", ""),
                .kind = json.value("kind", ""),
                .lockfile = json.value("lockfile", ""),
                .layer = json.value("layer", ""),
                .created = json.value("created", std::int64_t{0})};
}

// Bytes of the regular files beneath `dir`, symlinks not followed.
std::uint64_t tree_size(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      total += it->file_size(ec);
    }
  }
  return total;
}

}  // namespace

Result<std::string> envs_dir(bool create) {
  auto root = image::Store::default_path();
  if (!root) {
    return std::unexpected(root.error());
  }
  const std::string dir = *root + "/envs";
  std::error_code ec;
  if (create) {
    fs::create_directories(dir, ec);
  }
  fs::path canonical = ec ? fs::path() : fs::weakly_canonical(fs::absolute(dir, ec), ec);
  if (ec) {
    return fail("create env cache", dir, ec.message());
  }
  return canonical.string();
}

EnvPaths env_paths(const std::string& envs, const std::string& key) {
  const std::string dir = envs + "/" + key;
  return EnvPaths{
      .dir = dir, .lock = dir + ".lock", .marker = dir + "/.strata/env.json", .meta = dir + "/.strata"};
}

Result<UniqueFd> lock_env(const EnvPaths& paths, Hold hold) {
  UniqueFd fd(::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("open env lock", paths.lock);
  }
  if (auto ok = relock(fd, paths, hold); !ok) {
    return std::unexpected(ok.error());
  }
  return fd;
}

Result<> relock(const UniqueFd& lock, const EnvPaths& paths, Hold hold) {
  if (flock_retrying(lock.get(), hold == Hold::exclusive ? LOCK_EX : LOCK_SH) != 0) {
    return fail_errno("lock env", paths.lock);
  }
  return {};
}

bool is_complete(const EnvPaths& paths) {
  struct stat st = {};
  return ::stat(paths.marker.c_str(), &st) == 0;
}

void touch(const EnvPaths& paths) {
  // Best effort: "last used" is for prune's --older-than, not for correctness.
  [[maybe_unused]] const int rc = ::utimensat(AT_FDCWD, paths.marker.c_str(), nullptr, 0);
}

Result<> write_marker(const EnvPaths& paths, const Marker& marker) {
  const nlohmann::json json = {{"key", marker.key},
                               {"kind", marker.kind},
                               {"lockfile", marker.lockfile},
                               {"layer", marker.layer},
                               {"created", marker.created}};
  return write_file_atomically(paths.marker, json.dump(2) + "\n", "write env marker");
}

std::vector<EnvInfo> list_envs(const std::string& envs) {
  std::vector<EnvInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(envs, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) {
      continue;
    }
    const std::string key = it->path().filename().string();
    const EnvPaths paths = env_paths(envs, key);
    EnvInfo info;
    info.size = tree_size(paths.dir);
    struct stat st = {};
    if (auto marker = read_marker(paths); marker && ::stat(paths.marker.c_str(), &st) == 0) {
      info.marker = *std::move(marker);
      info.complete = true;
      info.last_used = st.st_mtim.tv_sec;
    }
    info.marker.key = key;
    out.push_back(std::move(info));
  }
  std::ranges::sort(out, {}, [](const EnvInfo& e) { return e.marker.key; });
  return out;
}

Result<> remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) {
    return fail("remove env", path, ec.message());
  }
  return {};
}

Result<bool> remove_env(const std::string& envs, const std::string& key) {
  const EnvPaths paths = env_paths(envs, key);
  struct stat st = {};
  if (key.empty() || key.find('/') != std::string::npos || key.starts_with('.') ||
      ::lstat(paths.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail("find env", key, "no such environment (see strata env ls)");
  }
  UniqueFd fd(::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("open env lock", paths.lock);
  }
  if (flock_retrying(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return false;
    }
    return fail_errno("lock env", paths.lock);
  }
  if (auto ok = remove_tree(paths.dir); !ok) {
    return std::unexpected(ok.error());
  }
  // The lock file stays: unlinked, a run already waiting on it would build
  // under a lock that a newcomer, creating the file anew, does not see.
  return true;
}

Result<PruneStats> prune_envs(const std::string& envs, std::optional<std::int64_t> unused_for, bool all,
                              std::int64_t now) {
  PruneStats stats;
  for (const EnvInfo& env : list_envs(envs)) {
    const bool stale = unused_for && now - env.last_used > *unused_for;
    if (env.complete && !all && !stale) {
      continue;
    }
    auto removed = remove_env(envs, env.marker.key);
    if (!removed) {
      return std::unexpected(removed.error());
    }
    if (*removed) {
      ++stats.removed;
      stats.bytes += env.size;
    } else {
      ++stats.busy;
    }
  }
  return stats;
}

}  // namespace strata::lang
