#include "base/fds.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace strata {
namespace {

// Runs `body` in a forked child and returns its exit status: fd closing must
// not disturb the test runner's own descriptors.
template <class F>
int in_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CloseFdsExcept, KeepsOnlyTheListedOnes) {
  const int status = in_child([] {
    const int a = ::open("/dev/null", O_RDONLY);
    const int b = ::open("/dev/null", O_RDONLY);
    const int c = ::open("/dev/null", O_RDONLY);
    if (!close_fds_except({c, a})) {
      return 10;
    }
    const bool a_open = ::fcntl(a, F_GETFD) >= 0;
    const bool b_open = ::fcntl(b, F_GETFD) >= 0;
    const bool c_open = ::fcntl(c, F_GETFD) >= 0;
    const bool stdio = ::fcntl(0, F_GETFD) >= 0 && ::fcntl(2, F_GETFD) >= 0;
    return a_open && !b_open && c_open && stdio ? 0 : 1;
  });
  EXPECT_EQ(status, 0);
}

TEST(KeepAcrossExec, ClearsCloexec) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(keep_across_exec(fd));
  EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  ::close(fd);
  EXPECT_FALSE(keep_across_exec(fd));
}

}  // namespace
}  // namespace strata
