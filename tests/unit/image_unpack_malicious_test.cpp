// SECURITY.md 22: malicious layers end in a clean error or a correct result
// inside the layer root; the fixture's TearDown checks that the sentinel
// directory beside the root is unchanged after every test.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "unpack_support.hpp"

namespace strata::image {
namespace {

using namespace test_support;  // NOLINT(google-build-using-namespace): test helpers

class ImageUnpackMalicious : public UnpackFixture {
 protected:
  // The sentinel's absolute path, as an attacker who guessed it would write it.
  [[nodiscard]] std::string sentinel_abs() const { return sentinel_.string(); }
};

TEST_F(ImageUnpackMalicious, DotDotPathIsRejected) {
  auto stats = unpack(make_tar({file("../sentinel/secret", "pwned")}));
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().detail.find("climbs out"), std::string::npos) << stats.error().message();
  expect_nothing_unpacked();
  auto nested = unpack(make_tar({dir("a"), file("a/../../x", "pwned")}));
  ASSERT_FALSE(nested);
  expect_nothing_unpacked();
}

TEST_F(ImageUnpackMalicious, AbsolutePathLandsInsideTheRoot) {
  auto stats = unpack(make_tar({file(sentinel_abs() + "/secret", "pwned"), file("/abs", "in root")}));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(read_text(target_ / "abs"), "in root");
  EXPECT_EQ(read_text(target_ / sentinel_.relative_path() / "secret"), "pwned");
}

TEST_F(ImageUnpackMalicious, WriteThroughAbsoluteSymlinkStaysInside) {
  auto stats =
      unpack(make_tar({symlink("up", "/"), file("up/pwned", "in root"), symlink("abs", sentinel_abs()),
                       dir(sentinel_abs().substr(1)), file("abs/pwned", "in root too")}));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(read_text(target_ / "pwned"), "in root");
  EXPECT_EQ(read_text(target_ / sentinel_.relative_path() / "pwned"), "in root too");
}

TEST_F(ImageUnpackMalicious, WriteThroughRelativeSymlinkOutIsAnErrorOrInside) {
  // "esc -> ../sentinel" resolves to <root>/sentinel, which does not exist.
  auto stats = unpack(make_tar({symlink("esc", "../sentinel"), file("esc/pwned", "x")}));
  if (stats) {
    EXPECT_FALSE(fs::exists(sentinel_ / "pwned"));
  } else {
    expect_nothing_unpacked();
  }
  // With a <root>/sentinel planted, the write lands there.
  fs::remove_all(target_);
  auto planted =
      unpack(make_tar({dir("sentinel"), symlink("d/esc", "../../sentinel"), file("d/esc/pwned", "x")}));
  ASSERT_TRUE(planted) << planted.error().message();
  EXPECT_EQ(read_text(target_ / "sentinel/pwned"), "x");
}

TEST_F(ImageUnpackMalicious, HardlinkOutOfTheRootIsRejected) {
  for (const std::string& out : {std::string("../sentinel/secret"), sentinel_abs() + "/secret"}) {
    auto stats = unpack(make_tar({hardlink("h", out)}));
    ASSERT_FALSE(stats) << out;
    expect_nothing_unpacked();
  }
  // Through a symlink planted by an earlier entry: resolved inside, not found.
  auto via_dir = unpack(make_tar({symlink("s", sentinel_abs()), hardlink("h", "s/secret")}));
  ASSERT_FALSE(via_dir);
  expect_nothing_unpacked();
  // At a symlink itself: only regular files may be hardlinked.
  auto to_link = unpack(make_tar({symlink("s", sentinel_abs() + "/secret"), hardlink("h", "s")}));
  ASSERT_FALSE(to_link);
  EXPECT_NE(to_link.error().detail.find("regular file"), std::string::npos) << to_link.error().message();
  expect_nothing_unpacked();
}

TEST_F(ImageUnpackMalicious, ChmodThroughSymlinkChangesTheEntryNotTheTarget) {
  auto stats = unpack(make_tar({symlink("f", sentinel_abs() + "/secret"), file("f", "replaced", 0777),
                                symlink("d", sentinel_abs() + "/sub"), dir("d", 0777),
                                symlink("g", "../sentinel/secret"), dir("g", 0700)}));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(read_text(target_ / "f"), "replaced");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(target_ / "d")));
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(target_ / "g")));
}

TEST_F(ImageUnpackMalicious, DeviceNodeSkippedWithoutRealRoot) {
  const TarEntry null_dev{.path = "dev/null", .type = AE_IFCHR, .mode = 0666, .rdev = makedev(1, 3)};
  const TarEntry disk{.path = "dev/sda", .type = AE_IFBLK, .mode = 0660, .rdev = makedev(8, 0)};
  const TarEntry fifo{.path = "fifo", .type = AE_IFIFO, .mode = 0600};
  auto stats = unpack(make_tar({null_dev, disk, fifo}), Filter::gzip, {}, UnpackOptions{.real_root = false});
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->skipped_devices, 2U);
  EXPECT_FALSE(fs::exists(fs::symlink_status(target_ / "dev/null")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target_ / "dev/sda")));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(target_ / "fifo")));
}

TEST_F(ImageUnpackMalicious, DeviceNodeCreatedAsRealRoot) {
  if (!running_as_real_root()) {
    GTEST_SKIP() << "device nodes need real root";
  }
  const TarEntry null_dev{.path = "dev/null", .type = AE_IFCHR, .mode = 0666, .rdev = makedev(1, 3)};
  auto stats = unpack(make_tar({null_dev}), Filter::gzip, {}, UnpackOptions{.real_root = true});
  ASSERT_TRUE(stats) << stats.error().message();
  struct stat st = {};
  ASSERT_EQ(lstat((target_ / "dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_F(ImageUnpackMalicious, WhiteoutThroughSymlinkStaysInside) {
  // "s -> <sentinel>": the whiteout's parent resolves to <root><sentinel>.
  auto stats =
      unpack(make_tar({dir(sentinel_abs().substr(1)), symlink("s", sentinel_abs()), file("s/.wh.secret", ""),
                       file("s/.wh..wh..opq", ""), symlink("up", "/"), file("up/.wh.top", "")}));
  ASSERT_TRUE(stats) << stats.error().message();
  struct stat st = {};
  ASSERT_EQ(lstat((target_ / sentinel_.relative_path() / "secret").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(lstat((target_ / "top").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // A whiteout naming a symlink removes the symlink, never its target.
  fs::remove_all(target_);
  auto named = unpack(make_tar({symlink("link", sentinel_abs() + "/secret"), file(".wh.link", "")}));
  ASSERT_TRUE(named) << named.error().message();
  ASSERT_EQ(lstat((target_ / "link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // Escaping relative symlink: the parent does not exist inside the root.
  fs::remove_all(target_);
  auto out = unpack(make_tar({symlink("esc", "../sentinel"), file("esc/.wh.secret", "")}));
  if (!out) {
    expect_nothing_unpacked();
  }
}

TEST_F(ImageUnpackMalicious, DuplicateEntriesLastOneWins) {
  auto stats = unpack(
      make_tar({file("f", "first"), file("f", "second"), dir("d"), file("d", "file now"), file("l", "file"),
                symlink("l", sentinel_abs()), dir("k"), file("k/child", "c"), dir("k", 0700)}));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(read_text(target_ / "f"), "second");
  EXPECT_EQ(read_text(target_ / "d"), "file now");
  EXPECT_EQ(fs::read_symlink(target_ / "l"), sentinel_);
  EXPECT_EQ(read_text(target_ / "k/child"), "c") << "a repeated directory keeps its children";
  EXPECT_EQ(fs::status(target_ / "k").permissions(), fs::perms::owner_all);
}

TEST_F(ImageUnpackMalicious, FileOverNonEmptyDirectoryIsAnError) {
  auto stats = unpack(make_tar({dir("d"), file("d/child", "c"), file("d", "file")}));
  ASSERT_FALSE(stats);
  expect_nothing_unpacked();
}

TEST_F(ImageUnpackMalicious, HardlinkToItselfOrMissingIsAnError) {
  ASSERT_FALSE(unpack(make_tar({hardlink("h", "h")})));
  ASSERT_FALSE(unpack(make_tar({hardlink("h", "missing")})));
  expect_nothing_unpacked();
}

}  // namespace
}  // namespace strata::image
