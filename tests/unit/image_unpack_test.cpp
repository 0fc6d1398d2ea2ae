// Layer unpacking: well-formed layers, whiteouts, size caps and digests.
// The malicious layers of SECURITY.md 22 are in image_unpack_malicious_test.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <array>

#include "base/unique_fd.hpp"
#include "image/unpack_internal.hpp"
#include "unpack_support.hpp"

namespace strata::image {
namespace {

using namespace test_support;  // NOLINT(google-build-using-namespace): test helpers

class ImageUnpack : public UnpackFixture {};

// The cleaned path joined with "/", or "<error>".
std::string detail_clean(const std::string& raw) {
  auto parts = detail::clean_entry_path(raw);
  if (!parts) {
    return "<error>";
  }
  std::string joined;
  for (const std::string& part : *parts) {
    joined += (joined.empty() ? "" : "/") + part;
  }
  return joined;
}

TEST_F(ImageUnpack, NormalLayerWithDirsSymlinkChainAndHardlink) {
  const std::string tar = make_tar({
      dir("etc/"),
      file("etc/hosts", "127.0.0.1 localhost\n"),
      dir("bin", 0750),
      file("bin/tool", "#!/bin/sh\n", 0755),
      symlink("a", "b"),
      symlink("b", "/etc/hosts"),
      hardlink("etc/hosts2", "etc/hosts"),
      file("deep/er/file", "no parent entries"),
  });
  auto stats = unpack(tar);
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->entries, 8U);
  EXPECT_EQ(stats->digests.diff_id, sha256_of(tar));
  EXPECT_EQ(read_text(target_ / "etc/hosts"), "127.0.0.1 localhost\n");
  EXPECT_EQ(read_text(target_ / "deep/er/file"), "no parent entries");
  EXPECT_EQ(fs::read_symlink(target_ / "a"), "b");
  EXPECT_EQ(fs::read_symlink(target_ / "b"), "/etc/hosts");
  struct stat hosts = {};
  struct stat hosts2 = {};
  ASSERT_EQ(stat((target_ / "etc/hosts").c_str(), &hosts), 0);
  ASSERT_EQ(stat((target_ / "etc/hosts2").c_str(), &hosts2), 0);
  EXPECT_EQ(hosts.st_ino, hosts2.st_ino);
  EXPECT_EQ(hosts.st_mtim.tv_sec, 1700000000);
  struct stat tool = {};
  struct stat bin = {};
  ASSERT_EQ(stat((target_ / "bin/tool").c_str(), &tool), 0);
  ASSERT_EQ(stat((target_ / "bin").c_str(), &bin), 0);
  EXPECT_EQ(tool.st_mode & 07777, 0755U);
  EXPECT_EQ(bin.st_mode & 07777, 0750U);
  EXPECT_EQ(bin.st_mtim.tv_sec, 1700000000) << "directory mtimes are set after their children";
  expect_nothing_left_but_layer();
}

TEST_F(ImageUnpack, PlainAndZstdLayers) {
  const std::string tar = make_tar({file("x", "plain")});
  ASSERT_TRUE(unpack(tar, Filter::none));
  EXPECT_EQ(read_text(target_ / "x"), "plain");
  fs::remove_all(target_);
  auto zstd = unpack(tar, Filter::zstd);
  ASSERT_TRUE(zstd) << zstd.error().message();
  EXPECT_EQ(read_text(target_ / "x"), "plain");
}

TEST_F(ImageUnpack, EmptyLayer) {
  // Docker's empty layer: a tar of nothing but its end-of-archive blocks.
  auto stats = unpack(make_tar({}));
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->entries, 0U);
  EXPECT_TRUE(fs::is_empty(target_));
  EXPECT_EQ(fs::status(target_).permissions(), static_cast<fs::perms>(0755));
}

TEST_F(ImageUnpack, ExistingTargetIsRefused) {
  fs::create_directory(target_);
  auto stats = unpack(make_tar({file("x", "")}));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().err, EEXIST);
  EXPECT_TRUE(fs::is_empty(target_));
}

TEST_F(ImageUnpack, SetuidKeptOnlyForRealRoot) {
  const std::string tar = make_tar({file("su", "x", 04755), dir("tmp", 01777)});
  ASSERT_TRUE(unpack(tar, Filter::gzip, {}, UnpackOptions{.real_root = false}));
  struct stat su = {};
  struct stat tmp = {};
  ASSERT_EQ(stat((target_ / "su").c_str(), &su), 0);
  ASSERT_EQ(stat((target_ / "tmp").c_str(), &tmp), 0);
  EXPECT_EQ(su.st_mode & 07777, 0755U);
  EXPECT_EQ(tmp.st_mode & 07777, 01777U) << "the sticky bit is harmless and kept";
  if (!running_as_real_root()) {
    GTEST_SKIP() << "the real-root half needs uid 0 in the initial user namespace";
  }
  fs::remove_all(target_);
  ASSERT_TRUE(unpack(tar, Filter::gzip, {}, UnpackOptions{.real_root = true}));
  ASSERT_EQ(stat((target_ / "su").c_str(), &su), 0);
  EXPECT_EQ(su.st_mode & 07777, 04755U);
  EXPECT_EQ(su.st_uid, 1234U);
}

TEST_F(ImageUnpack, WhiteoutBecomesOverlayWhiteoutAndOpaqueDirIsMarked) {
  const std::string tar = make_tar({
      dir("dir"),
      file("dir/.wh..wh..opq", ""),
      file("dir/keep", "same layer content stays"),
      file(".wh.gone", ""),
      file("dir/.wh..wh.plnk", ""),
  });
  auto stats = unpack(tar, Filter::gzip, {}, UnpackOptions{.real_root = false});
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->whiteouts, 1U);
  EXPECT_EQ(stats->opaque_dirs, 1U);
  EXPECT_EQ(stats->skipped_other, 1U);
  EXPECT_EQ(read_text(target_ / "dir/keep"), "same layer content stays");
  struct stat gone = {};
  ASSERT_EQ(lstat((target_ / "gone").c_str(), &gone), 0);
  EXPECT_TRUE(S_ISCHR(gone.st_mode) && gone.st_rdev == makedev(0, 0)) << "an overlayfs whiteout";
  EXPECT_FALSE(fs::exists(target_ / ".wh.gone"));
  std::array<char, 4> value{};
  const ssize_t size = getxattr((target_ / "dir").c_str(), "user.overlay.opaque", value.data(), value.size());
  if (stats->opaque_markers_kept == 0) {
    ASSERT_EQ(size, 1);
    EXPECT_EQ(value[0], 'y');
  } else {
    EXPECT_TRUE(fs::exists(target_ / "dir/.wh..wh..opq")) << "the marker kept when xattrs are refused";
  }
}

TEST_F(ImageUnpack, OpaqueDirGetsBothXattrsAsRealRoot) {
  if (!running_as_real_root()) {
    GTEST_SKIP() << "trusted.* xattrs need real root";
  }
  auto stats = unpack(make_tar({dir("d"), file("d/.wh..wh..opq", "")}), Filter::gzip, {},
                      UnpackOptions{.real_root = true});
  ASSERT_TRUE(stats) << stats.error().message();
  std::array<char, 4> value{};
  EXPECT_EQ(getxattr((target_ / "d").c_str(), "trusted.overlay.opaque", value.data(), value.size()), 1);
  EXPECT_EQ(getxattr((target_ / "d").c_str(), "user.overlay.opaque", value.data(), value.size()), 1);
}

TEST_F(ImageUnpack, DecompressionBombStoppedByRatioCap) {
  // 200 MB of zeros: zstd makes a few KB of it.
  const std::string blob = make_tar({TarEntry{.path = "zeros", .zeros = 200ULL << 20}}, Filter::zstd);
  ASSERT_LT(blob.size(), 200U << 10);
  auto stats = unpack_blob(blob, sha256_of(blob), std::nullopt);
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().detail.find("decompression bomb"), std::string::npos) << stats.error().message();
  expect_nothing_unpacked();
}

TEST_F(ImageUnpack, GzipBombStoppedByRatioCap) {
  const std::string blob = make_tar({TarEntry{.path = "zeros", .zeros = 64ULL << 20}}, Filter::gzip);
  auto stats = unpack_blob(blob, sha256_of(blob), std::nullopt, UnpackLimits{.max_ratio = 100});
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().detail.find("decompression bomb"), std::string::npos) << stats.error().message();
  expect_nothing_unpacked();
}

TEST_F(ImageUnpack, OversizedEntryAndTotalAndCountCaps) {
  const std::string big(2U << 20, 'x');
  const std::string tar = make_tar({file("big", big)});
  auto entry = unpack(tar, Filter::gzip, UnpackLimits{.max_entry_bytes = 1U << 20});
  ASSERT_FALSE(entry);
  EXPECT_NE(entry.error().detail.find("cap"), std::string::npos) << entry.error().message();
  expect_nothing_unpacked();
  auto total = unpack(tar, Filter::gzip, UnpackLimits{.max_total_bytes = 1U << 20});
  ASSERT_FALSE(total);
  EXPECT_NE(total.error().detail.find("cap"), std::string::npos) << total.error().message();
  expect_nothing_unpacked();
  auto count = unpack(make_tar({file("1", ""), file("2", ""), file("3", "")}), Filter::gzip,
                      UnpackLimits{.max_entries = 2});
  ASSERT_FALSE(count);
  expect_nothing_unpacked();
}

TEST_F(ImageUnpack, ExtractLayerAloneAppliesTheEntryCap) {
  // extract_layer skips pass 1, so its own checks must hold.
  const std::string blob = compress(make_tar({file("big", std::string(3U << 20, 'y'))}), Filter::gzip);
  std::ofstream(base_ / "blob", std::ios::binary) << blob;
  fs::create_directory(target_);
  const UniqueFd blob_fd(open((base_ / "blob").c_str(), O_RDONLY | O_CLOEXEC));
  const UniqueFd root_fd(open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto stats = extract_layer(blob_fd.get(), root_fd.get(), UnpackLimits{.max_entry_bytes = 1U << 20}, {});
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().detail.find("cap"), std::string::npos) << stats.error().message();
}

TEST_F(ImageUnpack, BlobDigestMismatchRejectedBeforeUnpacking) {
  const std::string tar = make_tar({file("x", "data")});
  const std::string blob = compress(tar, Filter::gzip);
  auto stats = unpack_blob(blob, sha256_of("something else"), sha256_of(tar));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().step, "verify layer blob");
  expect_nothing_unpacked();
}

TEST_F(ImageUnpack, DiffIdMismatchRejectedBeforeUnpacking) {
  const std::string tar = make_tar({file("x", "data")});
  const std::string blob = compress(tar, Filter::zstd);
  auto stats = unpack_blob(blob, sha256_of(blob), sha256_of(tar + "tampered"));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().step, "verify layer diffID");
  expect_nothing_unpacked();
}

TEST_F(ImageUnpack, NotATarIsAnError) {
  auto stats = unpack(std::string(4096, 'j'), Filter::gzip);
  ASSERT_FALSE(stats);
  expect_nothing_unpacked();
}

TEST(ImageUnpackPaths, CleanEntryPath) {
  const auto parts = detail_clean;
  EXPECT_EQ(parts("./a/./b/"), "a/b");
  EXPECT_EQ(parts("/abs/x"), "abs/x");
  EXPECT_EQ(parts("a/../b"), "b");
  EXPECT_EQ(parts("../x"), "<error>");
  EXPECT_EQ(parts("a/../../x"), "<error>");
  EXPECT_EQ(parts("./"), "");
}

}  // namespace
}  // namespace strata::image
