#include "base/fds.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace strata {

namespace {

bool close_range(unsigned first, unsigned last) {
  return first > last || ::syscall(SYS_close_range, first, last, 0U) == 0;
}

}  // namespace

bool close_fds_except(std::vector<int> keep) {
  std::ranges::sort(keep);
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < 3) {
      continue;
    }
    if (!close_range(next, static_cast<unsigned>(fd) - 1)) {
      return false;
    }
    next = static_cast<unsigned>(fd) + 1;
  }
  return close_range(next, UINT_MAX);
}

bool keep_across_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0;
}

int openat2_retrying(int dirfd, const char* path, const open_how& how) noexcept {
  // Each retry needs another rename or mount to race with; a bound keeps a
  // system that renames without pause from holding strata here forever.
  constexpr int kAttempts = 128;
  int fd = -1;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) {
      break;
    }
  }
  return fd;
}

}  // namespace strata
