// Writing files whole: all the bytes of a write, and output files that a
// reader never sees half of (a temporary file beside the target, synced,
// then renamed over it).
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace strata {

// Writes all of `bytes` to `fd`, retrying short writes and EINTR; an error
// names `step` and `path`.
Result<> write_all(int fd, std::string_view bytes, const std::string& step, const std::string& path);

// `step` names the flag or action in the error ("write --json-status").
// A regular file (or a symlink to one: its target) is replaced whole, through
// a synced temporary beside it; a device or FIFO (/dev/null, /dev/stdout) is
// written into as it is.
Result<> write_file_atomically(const std::string& path, std::string_view text, const std::string& step);

// Reads a whole regular file of at most `limit` bytes.
Result<std::string> read_small_file(const std::string& path, std::size_t limit, const std::string& step);

}  // namespace strata
