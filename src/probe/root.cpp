#include "probe/root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fds.hpp"

namespace strata::probe {

namespace {

// Paths are given absolute inside the root; openat2 wants them relative.
std::string relative(std::string_view path) {
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  return path.empty() ? std::string(".") : std::string(path);
}

}  // namespace

Root Root::live() {
  return Root(UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)), "/", true);
}

Result<Root> Root::open(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open --root", dir);
  }
  return Root(std::move(fd), dir, false);
}

UniqueFd Root::open_at(std::string_view path, int flags) const {
  const std::string rel = relative(path);
  if (live_) {
    return UniqueFd(::openat(fd_.get(), rel.c_str(), O_RDONLY | O_CLOEXEC | flags));
  }
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_CLOEXEC | flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return UniqueFd(openat2_retrying(fd_.get(), rel.c_str(), how));
}

std::optional<std::string> Root::read(std::string_view path, std::size_t limit) const {
  UniqueFd fd = open_at(path);
  if (!fd) {
    return std::nullopt;
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  std::string out;
  char buffer[16384];
  while (out.size() < limit) {
    const ssize_t n = ::read(fd.get(), buffer, std::min(sizeof buffer, limit - out.size()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::vector<std::string> Root::list(std::string_view path) const {
  return read_dir(path).value_or(std::vector<std::string>{});
}

Result<std::vector<std::string>> Root::read_dir(std::string_view path) const {
  UniqueFd fd = open_at(path, O_DIRECTORY);
  DIR* dir = fd ? ::fdopendir(fd.get()) : nullptr;
  if (dir == nullptr) {
    return fail_errno("open directory", std::string(path));
  }
  (void)fd.release();  // the DIR owns it now
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  ::closedir(dir);
  std::ranges::sort(names);
  return names;
}

std::optional<std::string> Root::read_link(std::string_view path) const {
  // Open the link itself (O_PATH|O_NOFOLLOW) resolved inside the root, then
  // read it through the fd so the parent directories cannot escape either.
  UniqueFd fd = open_at(path, O_PATH | O_NOFOLLOW);
  if (!fd) {
    return std::nullopt;
  }
  char buffer[4096];
  const ssize_t n = ::readlinkat(fd.get(), "", buffer, sizeof buffer);
  if (n <= 0) {
    return std::nullopt;
  }
  return std::string(buffer, static_cast<std::size_t>(n));
}

bool Root::exists(std::string_view path) const {
  return open_at(path, O_PATH).valid();
}

bool Root::is_dir(std::string_view path) const {
  return open_at(path, O_PATH | O_DIRECTORY).valid();
}

}  // namespace strata::probe
