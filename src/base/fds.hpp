// File descriptor hygiene between fork and exec.
#pragma once

#include <vector>

namespace strata {

// Closes every fd >= 3 except those in `keep` (any order). Returns false if
// the kernel refused, in which case the caller must not exec.
bool close_fds_except(std::vector<int> keep);

// Clears FD_CLOEXEC so `fd` survives execve.
bool keep_across_exec(int fd);

}  // namespace strata
