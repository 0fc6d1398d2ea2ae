// write_file_atomically replaces regular files only: a FIFO or a device
// (/dev/null, /dev/stdout given as an output file) is written into, and a
// symlink keeps pointing at the file it names.
#include "base/files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>

namespace strata {
namespace {

namespace fs = std::filesystem;

class WriteFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-files-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WriteFile, ReplacesARegularFileWhole) {
  const std::string path = dir_ / "out.json";
  ASSERT_TRUE(write_file_atomically(path, "first, longer text", "write"));
  ASSERT_TRUE(write_file_atomically(path, "second", "write"));
  EXPECT_EQ(read_small_file(path, 100, "read").value_or(""), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1) << "no temporary left";
}

TEST_F(WriteFile, WritesIntoAFifoInsteadOfReplacingIt) {
  const std::string path = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(write_file_atomically(path, "through the pipe", "write"));
  std::array<char, 64> buffer{};
  const ssize_t n = ::read(reader, buffer.data(), buffer.size());
  ::close(reader);
  EXPECT_EQ(std::string(buffer.data(), n > 0 ? static_cast<std::size_t>(n) : 0), "through the pipe");
  struct stat st = {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced by a file";
}

TEST_F(WriteFile, ASymlinkKeepsPointingAtItsFile) {
  const std::string target = dir_ / "real.json";
  const std::string link = dir_ / "link.json";
  ASSERT_TRUE(write_file_atomically(target, "old", "write"));
  fs::create_symlink(target, link);
  ASSERT_TRUE(write_file_atomically(link, "new", "write"));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_small_file(target, 100, "read").value_or(""), "new");
}

TEST_F(WriteFile, ADirectoryIsRefused) {
  const auto result = write_file_atomically(dir_.string(), "x", "write --out");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("is a directory"), std::string::npos) << result.error().message();
}

}  // namespace
}  // namespace strata
