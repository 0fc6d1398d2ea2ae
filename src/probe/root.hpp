// Root: the filesystem tree a probe reads. "/" is the running machine; any
// other directory (an unpacked image, a chroot, a test fixture) is read with
// every path resolved inside it (openat2 RESOLVE_IN_ROOT), so an absolute
// symlink in an image never escapes to the host. Nothing is ever executed
// from a root.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata::probe {

class Root {
 public:
  // The running machine.
  static Root live();
  // A directory tree; fails when `dir` is not a readable directory.
  static Result<Root> open(const std::string& dir);

  // True when probing the running machine (so syscall-based facts apply).
  [[nodiscard]] bool is_live() const { return live_; }
  // The directory as given ("/" when live).
  [[nodiscard]] const std::string& path() const { return path_; }

  // The contents of the regular file at `path` (absolute inside the root), at
  // most `limit` bytes; nullopt when it is absent or unreadable.
  [[nodiscard]] std::optional<std::string> read(std::string_view path, std::size_t limit = kReadLimit) const;
  // The names in directory `path`, sorted; empty when it is absent.
  [[nodiscard]] std::vector<std::string> list(std::string_view path) const;
  // The same, or why the directory cannot be read (for callers that report it).
  [[nodiscard]] Result<std::vector<std::string>> read_dir(std::string_view path) const;
  // The target of symlink `path`, nullopt when it is not one.
  [[nodiscard]] std::optional<std::string> read_link(std::string_view path) const;
  [[nodiscard]] bool exists(std::string_view path) const;
  [[nodiscard]] bool is_dir(std::string_view path) const;
  // Opens `path` inside the root (O_RDONLY|O_CLOEXEC plus `flags`).
  [[nodiscard]] UniqueFd open_at(std::string_view path, int flags = 0) const;

  static constexpr std::size_t kReadLimit = std::size_t{16} << 20;

 private:
  Root(UniqueFd fd, std::string path, bool live) : fd_(std::move(fd)), path_(std::move(path)), live_(live) {}

  UniqueFd fd_;
  std::string path_;
  bool live_ = false;
};

}  // namespace strata::probe
