#include "probe/sys_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "probe/sys_text.hpp"

namespace strata::probe::sys {

std::optional<std::string> read_whole(const Root& root, std::string_view path, std::size_t limit) {
  const UniqueFd fd = root.open_at(path);
  struct stat st = {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  const std::size_t want = std::min(static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)), limit);
  std::string out;
  out.resize_and_overwrite(want, [&](char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pread(fd.get(), data + done, size - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;  // shrank under us: keep what was read
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  });
  return out;
}

int LinkResolver::dir_fd(const std::string& dir) {
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) {
    it = dirs_.emplace(dir, root_.open_at(dir, O_PATH | O_DIRECTORY)).first;
  }
  return it->second.get();
}

std::optional<std::string> LinkResolver::resolve(const std::string& path) {
  const std::string dir(dir_name(path));
  std::string name(base_name(path));
  const int fd = dir_fd(dir);
  if (fd < 0 || name.empty() || name == "." || name == "..") {
    return follow_links(root_, path);
  }
  std::array<char, 4096> buffer{};
  for (int hops = 0; hops < 16; ++hops) {
    // A bare name is looked up in the directory alone, and readlinkat never
    // follows the last component: nothing can leave the root here.
    const ssize_t n = ::readlinkat(fd, name.c_str(), buffer.data(), buffer.size());
    if (n < 0) {
      // EINVAL: it exists and is not a link; anything else: it is missing.
      return errno == EINVAL ? std::optional(join_path(dir, name)) : std::nullopt;
    }
    const std::string_view target(buffer.data(), static_cast<std::size_t>(n));
    if (target.find('/') != std::string_view::npos || target == "." || target == ".." ||
        static_cast<std::size_t>(n) == buffer.size()) {
      return follow_links(root_, target.starts_with('/') ? std::string(target) : join_path(dir, target));
    }
    name = target;
  }
  return std::nullopt;
}

}  // namespace strata::probe::sys
