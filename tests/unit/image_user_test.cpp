// An image's files through its layers (read_image_file) and its USER
// (resolve_image_user), image/image_user.hpp.
#include "image/image_user.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace strata::image {
namespace {

namespace fs = std::filesystem;

void put(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void whiteout(const fs::path& path) {
  fs::create_directories(path.parent_path());
  ASSERT_EQ(::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)), 0) << path << ": " << std::strerror(errno);
}

void make_opaque(const fs::path& dir) {
  fs::create_directories(dir);
  if (::setxattr(dir.c_str(), "user.overlay.opaque", "y", 1, 0) != 0) {
    put(dir / ".wh..wh..opq", "");  // the filesystem takes no user xattrs
  }
}

class ImageFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "strata-image-file-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    put(base_ / "sentinel/secret", "host secret");
    for (int i = 1; i <= 3; ++i) {
      layers_.push_back((base_ / ("l" + std::to_string(i))).string());
      fs::create_directories(layers_.back());
    }
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  fs::path layer(int n) const { return layers_[static_cast<std::size_t>(n - 1)]; }

  // The file's text, "<absent>", or "<error: ...>".
  std::string read(const std::string& path, std::size_t limit = 4096) const {
    auto text = read_image_file(layers_, path, limit);
    if (!text) {
      return "<error: " + text.error().message() + ">";
    }
    return text->value_or("<absent>");
  }

  fs::path base_;
  std::vector<std::string> layers_;
};

TEST_F(ImageFile, LowerFileOverriddenWhitedOutAndRecreated) {
  put(layer(1) / "etc/passwd", "lower");
  put(layer(1) / "etc/group", "group");
  put(layer(1) / "etc/hostname", "h1");
  EXPECT_EQ(read("/etc/passwd"), "lower");
  EXPECT_EQ(read("//etc/./passwd"), "lower");
  put(layer(2) / "etc/passwd", "upper");
  whiteout(layer(2) / "etc/group");
  EXPECT_EQ(read("/etc/passwd"), "upper");
  EXPECT_EQ(read("/etc/group"), "<absent>");
  EXPECT_EQ(read("/etc/hostname"), "h1");
  put(layer(3) / "etc/group", "again");
  EXPECT_EQ(read("/etc/group"), "again");
  EXPECT_EQ(read("/etc/missing"), "<absent>");
}

TEST_F(ImageFile, OpaqueAndWhitedOutDirectoriesHideLowerFiles) {
  put(layer(1) / "etc/passwd", "lower");
  put(layer(1) / "etc/group", "lower group");
  put(layer(1) / "var/lib/file", "lower");
  make_opaque(layer(2) / "etc");
  put(layer(2) / "etc/passwd", "opaque");
  whiteout(layer(2) / "var");
  EXPECT_EQ(read("/etc/passwd"), "opaque");
  EXPECT_EQ(read("/etc/group"), "<absent>");
  EXPECT_EQ(read("/var/lib/file"), "<absent>");
  put(layer(3) / "var/other", "top");
  EXPECT_EQ(read("/var/lib/file"), "<absent>") << "a directory recreated above a whiteout starts empty";
  EXPECT_EQ(read("/var/other"), "top");
}

TEST_F(ImageFile, NonDirectoriesHideDirectoriesBelowAndTheReverse) {
  put(layer(1) / "etc/passwd", "lower");
  put(layer(1) / "opt", "a file");
  put(layer(2) / "etc", "etc is a file now");
  put(layer(2) / "opt/x", "dir above file");
  EXPECT_EQ(read("/etc/passwd"), "<absent>");
  EXPECT_EQ(read("/opt/x"), "dir above file");
}

TEST_F(ImageFile, SymlinksResolveInTheMergedViewAndStayInside) {
  // Relative and absolute links that climb out of the layer directory.
  fs::create_directories(layer(1) / "etc");
  fs::create_symlink("../../sentinel/secret", layer(1) / "etc/escape");
  fs::create_symlink("/../../../../sentinel/secret", layer(1) / "etc/escape_abs");
  EXPECT_EQ(read("/etc/escape"), "<absent>");
  EXPECT_EQ(read("/etc/escape_abs"), "<absent>");
  put(layer(1) / "sentinel/secret", "the image's own");
  EXPECT_EQ(read("/etc/escape"), "the image's own");
  EXPECT_EQ(read("/etc/escape_abs"), "the image's own");
  // A link in an upper layer to a file of a lower one, and a linked directory.
  put(layer(1) / "usr/lib/os-release", "ID=test");
  fs::create_directories(layer(2) / "etc");
  fs::create_symlink("../usr/lib/os-release", layer(2) / "etc/os-release");
  fs::create_symlink("usr/lib", layer(3) / "lib");
  EXPECT_EQ(read("/etc/os-release"), "ID=test");
  EXPECT_EQ(read("/lib/os-release"), "ID=test");
  // ".." after a link is the parent of where it led (/usr), as the kernel has it.
  EXPECT_EQ(read("/lib/../etc/os-release"), "<absent>");
  EXPECT_EQ(read("/lib/../lib/os-release"), "ID=test");
  EXPECT_EQ(read("/lib/../../etc/os-release"), "ID=test");
  EXPECT_EQ(read("/lib/../../../etc/os-release"), "ID=test");
  // A link through which a whited-out file would be reached.
  whiteout(layer(3) / "usr/lib/os-release");
  EXPECT_EQ(read("/lib/os-release"), "<absent>");
  EXPECT_EQ(read("/etc/os-release"), "<absent>");
}

TEST_F(ImageFile, ErrorsForDirectoriesFifosLoopsSizesAndRelativePaths) {
  put(layer(1) / "etc/passwd", "12345");
  ASSERT_EQ(::mkfifo((layer(1) / "fifo").c_str(), 0600), 0);
  fs::create_symlink("loop2", layer(1) / "loop1");
  fs::create_symlink("loop1", layer(1) / "loop2");
  EXPECT_EQ(read("/etc/passwd", 5), "12345");
  EXPECT_NE(read("/etc/passwd", 4).find("larger than 4 bytes"), std::string::npos);
  EXPECT_TRUE(read("/etc").starts_with("<error:"));
  EXPECT_TRUE(read("/").starts_with("<error:"));
  EXPECT_NE(read("/fifo").find("not a regular file"), std::string::npos);
  EXPECT_NE(read("/loop1").find(std::strerror(ELOOP)), std::string::npos);
  EXPECT_NE(read("etc/passwd").find("absolute"), std::string::npos);
  layers_.push_back((base_ / "missing").string());
  EXPECT_TRUE(read("/etc/passwd").starts_with("<error:"));
}

// --- resolve_image_user ------------------------------------------------------

constexpr std::string_view kPasswd =
    "# a comment\n"
    "root:x:0:0:root:/root:/bin/bash\n"
    "\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000:App,,,:/home/app:/bin/sh\n"
    "app:x:2000:2000:second app:/second:/bin/sh\n"
    "short:x:5\n"
    "bigid:x:4294967295:1::/big:/bin/sh\n"
    "negative:x:-1:1::/neg:/bin/sh\n"
    "1001:x:1002:1002::/home/numeric-name:/bin/sh\n"
    "nohome:x:1003:1003\n"
    "crlf:x:1004:1004::/home/crlf:/bin/sh\r\n"
    "   # indented comment\n";

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "wheel:x:10:root,app\n"
    "app:x:1000:\n"
    "staff:x:50:other,app\n"
    "again:x:10:app\n"
    "garbage\n"
    "big:x:4294967295:app\n"
    "audio:x:29:\n";

struct UserCase {
  std::string_view user;
  std::uint32_t uid;
  std::uint32_t gid;
  std::vector<std::uint32_t> groups;
  std::string_view home;
  std::string_view name;
};

TEST(ImageUser, TheFormsOfUser) {
  const std::vector<UserCase> cases = {
      {"", 0, 0, {10}, "/root", "root"},
      {"root", 0, 0, {10}, "/root", "root"},
      {"0", 0, 0, {10}, "/root", "root"},
      {"app", 1000, 1000, {10, 50}, "/home/app", "app"},
      {"1000", 1000, 1000, {10, 50}, "/home/app", "app"},
      {"2000", 2000, 2000, {10, 50}, "/second", "app"},
      {"app:staff", 1000, 50, {}, "/home/app", "app"},
      {"app:60", 1000, 60, {}, "/home/app", "app"},
      {"1000:wheel", 1000, 10, {}, "/home/app", "app"},
      {"app:", 1000, 1000, {10, 50}, "/home/app", "app"},
      {":29", 0, 29, {}, "/root", "root"},
      {"4242", 4242, 0, {}, "/", ""},
      {"4242:4343", 4242, 4343, {}, "/", ""},
      {"4242:audio", 4242, 29, {}, "/", ""},
      {"4294967294", 4294967294U, 0, {}, "/", ""},
      {"1001", 1001, 0, {}, "/", ""},
      {"nohome", 1003, 1003, {}, "/", "nohome"},
      {"crlf", 1004, 1004, {}, "/home/crlf", "crlf"},
      {"daemon", 1, 1, {}, "/usr/sbin", "daemon"},
  };
  for (const UserCase& c : cases) {
    auto user = resolve_image_user(c.user, kPasswd, kGroup);
    ASSERT_TRUE(user) << "'" << c.user << "': " << user.error().message();
    EXPECT_EQ(user->uid, c.uid) << c.user;
    EXPECT_EQ(user->gid, c.gid) << c.user;
    EXPECT_EQ(user->groups, c.groups) << c.user;
    EXPECT_EQ(user->home, c.home) << c.user;
    EXPECT_EQ(user->name, c.name) << c.user;
  }
}

TEST(ImageUser, Errors) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"nobody", "user 'nobody' not found in the image's /etc/passwd"},
      {"short", "user 'short' not found"},
      {"bigid", "user 'bigid' not found"},
      {"negative", "user 'negative' not found"},
      {"-1", "user '-1' not found"},
      {"app:nogroup", "group 'nogroup' not found in the image's /etc/group"},
      {"4242:garbage", "group 'garbage' not found"},
      {"4294967295", "out of range"},
      {"99999999999999999999999", "out of range"},
      {"app:4294967295", "out of range"},
      {"app:x:y", "group 'x:y' not found"},
  };
  for (const auto& [user, message] : cases) {
    auto resolved = resolve_image_user(user, kPasswd, kGroup);
    ASSERT_FALSE(resolved) << user;
    EXPECT_NE(resolved.error().message().find(message), std::string::npos)
        << user << ": " << resolved.error().message();
  }
}

TEST(ImageUser, WithoutPasswdOrGroupFiles) {
  auto root = resolve_image_user("", std::nullopt, std::nullopt);
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->uid, 0U);
  EXPECT_EQ(root->gid, 0U);
  EXPECT_EQ(root->home, "/");
  EXPECT_TRUE(root->groups.empty());
  auto numeric = resolve_image_user("5:7", std::nullopt, std::nullopt);
  ASSERT_TRUE(numeric) << numeric.error().message();
  EXPECT_EQ(numeric->uid, 5U);
  EXPECT_EQ(numeric->gid, 7U);
  auto named = resolve_image_user("root", std::nullopt, std::nullopt);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message().find("the image has none"), std::string::npos);
  auto app = resolve_image_user("app", kPasswd, std::nullopt);
  ASSERT_TRUE(app) << app.error().message();
  EXPECT_TRUE(app->groups.empty());
  EXPECT_FALSE(resolve_image_user("app:wheel", kPasswd, std::nullopt));
}

TEST(ImageUser, GarbageInputNeitherCrashesNorHidesGoodLines) {
  std::mt19937 random(12345);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible on purpose
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> punctuation(0, 9);
  for (int round = 0; round < 300; ++round) {
    std::string junk;
    for (int i = 0; i < 400; ++i) {
      const int pick = punctuation(random);
      junk += pick == 0 ? ':' : (pick == 1 ? '\n' : (pick == 2 ? ',' : static_cast<char>(byte(random))));
    }
    const std::string passwd =
        std::string(junk).append("\nfound:x:77:88::/home/found:/bin/sh\n").append(junk);
    const std::string group = std::string(junk).append("\nmembers:x:99:found\n").append(junk);
    for (const std::string_view user : {"", "found", "0", "found:members", "x:y", ":", "::::"}) {
      auto any = resolve_image_user(user, passwd, group);
      EXPECT_TRUE(any || !any.error().message().empty()) << user;
    }
    auto found = resolve_image_user("found", passwd, group);
    ASSERT_TRUE(found) << found.error().message();
    // Junk may happen to list "found" in a group of its own, never lose the good line.
    EXPECT_EQ(found->uid, 77U);
    EXPECT_NE(std::find(found->groups.begin(), found->groups.end(), 99U), found->groups.end());
  }
  const std::string huge(1 << 20, ':');
  EXPECT_FALSE(resolve_image_user("a", huge, huge));
  const std::string nul_line("zero\0:x:1:1::/:/bin/sh\n", 23);
  EXPECT_FALSE(resolve_image_user("zero", nul_line, std::nullopt));
}

}  // namespace
}  // namespace strata::image
