// openat2_retrying: with RESOLVE_IN_ROOT, a ".." in the path makes the kernel
// give up with EAGAIN when any rename on the system raced with the lookup;
// the wrapper tries again, so a busy machine does not fail an unpack.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>

#include "base/fds.hpp"

namespace strata {
namespace {

namespace fs = std::filesystem;

TEST(Openat2Retrying, DotDotSurvivesRenamesElsewhere) {
  std::string pattern = (fs::temp_directory_path() / "strata-openat2-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  fs::create_directories(dir / "root/a/b");
  fs::create_directories(dir / "churn");
  const int root = ::open((dir / "root").c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC);
  ASSERT_GE(root, 0);

  std::atomic<bool> stop{false};
  std::thread renamer([&] {
    const std::string a = dir / "churn/x";
    const std::string b = dir / "churn/y";
    (void)::close(::open(a.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    while (!stop.load()) {
      (void)::rename(a.c_str(), b.c_str());
      (void)::rename(b.c_str(), a.c_str());
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  open_how how{};
  how.flags = O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;
  int failures = 0;
  int last_errno = 0;
  for (int i = 0; i < 20000; ++i) {
    const int fd = openat2_retrying(root, "a/b/../../a/b/../b", how);
    if (fd < 0) {
      ++failures;
      last_errno = errno;
    } else {
      ::close(fd);
    }
  }
  stop = true;
  renamer.join();
  ::close(root);
  fs::remove_all(dir);
  EXPECT_EQ(failures, 0) << "last errno " << last_errno;
}

}  // namespace
}  // namespace strata
