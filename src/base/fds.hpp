// File descriptor hygiene between fork and exec, and opening beneath a root.
#pragma once

#include <linux/openat2.h>

#include <vector>

namespace strata {

// Closes every fd >= 3 except those in `keep` (any order). Returns false if
// the kernel refused, in which case the caller must not exec.
bool close_fds_except(std::vector<int> keep);

// Clears FD_CLOEXEC so `fd` survives execve.
bool keep_across_exec(int fd);

// openat2(2), again while it fails with EAGAIN: with RESOLVE_IN_ROOT or
// RESOLVE_BENEATH the kernel gives up on ".." when any rename or mount
// happened on the system meanwhile, and asks the caller to retry. The fd or
// -1 with errno. Allocates nothing (safe between clone and exec).
int openat2_retrying(int dirfd, const char* path, const open_how& how) noexcept;

}  // namespace strata
