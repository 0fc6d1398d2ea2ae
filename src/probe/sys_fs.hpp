// Faster ways to read a tree for the two hot spots of the system layer, built
// on Root::open_at so every path still resolves inside the root: reading a
// multi-megabyte binary to scan it (libc.so.6) in one allocation, and
// following ~1000 library symlinks with one syscall per hop.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/unique_fd.hpp"
#include "probe/root.hpp"

namespace strata::probe::sys {

// The contents of the regular file at `path`, like Root::read, but sized from
// fstat and read with pread into one allocation: Root::read's growing
// buffer costs ~1 ms of copies and page faults on a 2 MB libc.so.6. (Not
// mmap: a tree someone else can truncate while it is scanned would SIGBUS.)
[[nodiscard]] std::optional<std::string> read_whole(const Root& root, std::string_view path,
                                                    std::size_t limit = Root::kReadLimit);

// Follows the symlinks of a path's last component like follow_links(), but
// holds one O_PATH descriptor per directory and readlinkat(2)s the bare name
// in it, so a link to a name in the same directory (libz.so.1 ->
// libz.so.1.2.13, the usual case) costs one syscall per hop. A target with a
// slash goes through follow_links().
class LinkResolver {
 public:
  explicit LinkResolver(const Root& root) : root_(root) {}

  // The final path, or nullopt when the chain ends at a missing name.
  [[nodiscard]] std::optional<std::string> resolve(const std::string& path);

 private:
  int dir_fd(const std::string& dir);

  const Root& root_;
  std::map<std::string, UniqueFd, std::less<>> dirs_;
};

}  // namespace strata::probe::sys
