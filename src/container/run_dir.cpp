#include "container/run_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "image/unpack.hpp"

namespace strata::container {

namespace {

constexpr const char* kKeptMarker = "kept";

std::string containers_dir(const std::string& store_dir) {
  return store_dir + "/containers";
}

std::string parent_of(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

std::string base_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

Result<> remove_dir(const std::string& path) {
  const UniqueFd parent(::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    return fail_errno("open", parent_of(path));
  }
  return image::remove_tree_at(parent.get(), base_of(path));
}

// The pid in "<pid>-<random>", or 0.
pid_t owner_of(std::string_view name) {
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  return ec == std::errc() && end != name.data() + name.size() && *end == '-' ? pid : 0;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

Result<RunDir> RunDir::create(const std::string& store_dir) {
  const std::string parent = containers_dir(store_dir);
  if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail_errno("create the containers directory", parent);
  }
  std::uint32_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != sizeof random) {
    return fail_errno("create a container directory", parent);
  }
  RunDir dir(fmt::format("{}/{}-{:08x}", parent, ::getpid(), random));
  if (::mkdir(dir.path_.c_str(), 0700) != 0) {
    return fail_errno("create a container directory", dir.path_);
  }
  return dir;
}

Result<> RunDir::make_overlay_dirs() const {
  // 0755: the top of the upper directory becomes the container's "/".
  for (const std::string& sub : {upper(), work()}) {
    if (::mkdir(sub.c_str(), 0755) != 0) {
      return fail_errno("create a container directory", sub);
    }
  }
  return {};
}

RunDir::RunDir(RunDir&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), kept_(other.kept_) {}

RunDir::~RunDir() {
  if (path_.empty() || kept_) {
    return;
  }
  if (auto ok = remove_dir(path_); !ok) {
    log::warn("could not remove the container's directory {}: {}", path_, ok.error().message());
  }
}

Result<> RunDir::keep() {
  const std::string marker = path_ + "/" + kKeptMarker;
  const UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno("mark the container's directory kept", marker);
  }
  kept_ = true;
  return {};
}

int RunDir::sweep(const std::string& store_dir) {
  const std::string parent = containers_dir(store_dir);
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) {
    return 0;
  }
  std::vector<std::string> dead;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    const pid_t owner = owner_of(name);
    if (owner <= 0 || owner == ::getpid() || alive(owner)) {
      continue;
    }
    const std::string marker = fmt::format("{}/{}", name, kKeptMarker);
    if (::faccessat(::dirfd(dir), marker.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
      dead.push_back(fmt::format("{}/{}", parent, name));
    }
  }
  ::closedir(dir);
  int removed = 0;
  for (const auto& path : dead) {
    if (auto ok = remove_dir(path); ok) {
      ++removed;
    } else {
      log::debug("sweep of a dead container's directory: {}", ok.error().message());
    }
  }
  return removed;
}

}  // namespace strata::container
