// Helpers for the layer unpacking tests (tests/unit/image_unpack*_test.cpp):
// tars built in memory with libarchive's writer, compressed with its filters,
// and a scratch directory holding a layer target beside a sentinel directory
// whose contents are hashed before and after.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "base/sha256.hpp"
#include "image/digest.hpp"
#include "image/unpack.hpp"

namespace strata::image::test_support {

namespace fs = std::filesystem;

struct TarEntry {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO
  unsigned mode = 0644;
  std::string data;  // a regular file's contents
  std::string link;  // a symlink's target, or a hardlink's when `hardlink`
  bool hardlink = false;
  std::uint64_t zeros = 0;  // instead of `data`: this many zero bytes, streamed
  dev_t rdev = 0;
};

enum class Filter { none, gzip, zstd };

inline la_ssize_t append_output(archive* /*a*/, void* out, const void* buffer, std::size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), size);
  return static_cast<la_ssize_t>(size);
}

inline void add_filter(archive* a, Filter filter) {
  if (filter == Filter::gzip) {
    archive_write_add_filter_gzip(a);
  } else if (filter == Filter::zstd) {
    archive_write_add_filter_zstd(a);
  }
}

inline void write_entry(archive* a, const TarEntry& spec) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, spec.path.c_str());
  archive_entry_set_filetype(e, spec.hardlink ? AE_IFREG : spec.type);
  archive_entry_set_perm(e, spec.mode);
  archive_entry_set_mtime(e, 1700000000, 0);
  archive_entry_set_uid(e, 1234);
  archive_entry_set_gid(e, 1234);
  const bool has_data = spec.type == AE_IFREG && !spec.hardlink;
  archive_entry_set_size(e, has_data ? static_cast<la_int64_t>(spec.zeros + spec.data.size()) : 0);
  if (spec.hardlink) {
    archive_entry_set_hardlink(e, spec.link.c_str());
  } else if (spec.type == AE_IFLNK) {
    archive_entry_set_symlink(e, spec.link.c_str());
  }
  archive_entry_set_rdev(e, spec.rdev);
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
  archive_entry_free(e);
  const std::string zeros(1 << 20, '\0');
  for (std::uint64_t left = spec.zeros; left > 0;) {
    const std::size_t chunk = std::min<std::uint64_t>(left, zeros.size());
    archive_write_data(a, zeros.data(), chunk);
    left -= chunk;
  }
  archive_write_data(a, spec.data.data(), spec.data.size());
}

// A pax tar of `entries`, compressed with `filter`.
inline std::string make_tar(const std::vector<TarEntry>& entries, Filter filter = Filter::none) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  add_filter(a, filter);
  // No zero padding after the compressed stream: zstd reads it as a frame.
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_output, nullptr);
  for (const TarEntry& spec : entries) {
    write_entry(a, spec);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// `bytes` compressed as one stream (libarchive's raw format writer).
inline std::string compress(const std::string& bytes, Filter filter) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  add_filter(a, filter);
  // No zero padding after the compressed stream: zstd reads it as a frame.
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_output, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
  archive_write_header(a, e);
  archive_entry_free(e);
  archive_write_data(a, bytes.data(), bytes.size());
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// A hash of everything under `dir`: names, types, modes, owners, mtimes,
// contents and symlink targets, without following symlinks.
inline std::string hash_tree(const fs::path& dir) {
  Sha256 hash;
  std::vector<fs::path> paths;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const fs::path& path : paths) {
    struct stat st = {};
    lstat(path.c_str(), &st);
    hash.update(path.string() + ":" + std::to_string(st.st_mode) + ":" + std::to_string(st.st_uid) + ":" +
                std::to_string(st.st_mtim.tv_sec) + "\n");
    if (S_ISLNK(st.st_mode)) {
      hash.update(fs::read_symlink(path).string());
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(path, std::ios::binary);
      hash.update(std::string(std::istreambuf_iterator<char>(in), {}));
    }
  }
  return hash.finish_hex();
}

// base/ holding `sentinel/` (a file, a subdirectory, a symlink) beside where
// layers are unpacked (`base/layer`), and the blob file.
class UnpackFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "strata-unpack-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    sentinel_ = base_ / "sentinel";
    fs::create_directories(sentinel_ / "sub");
    std::ofstream(sentinel_ / "secret") << "do not touch\n";
    std::ofstream(sentinel_ / "sub" / "file") << "nor this\n";
    fs::create_symlink("secret", sentinel_ / "link");
    fs::permissions(sentinel_ / "secret", fs::perms::owner_read | fs::perms::owner_write);
    sentinel_hash_ = hash_tree(sentinel_);
    target_ = base_ / "layer";
  }
  void TearDown() override {
    EXPECT_EQ(hash_tree(sentinel_), sentinel_hash_) << "the sentinel beside the layer changed";
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  // Writes `blob` and unpacks it with its true digests (diffID of `tar`).
  Result<UnpackStats> unpack(const std::string& tar, Filter filter = Filter::gzip, UnpackLimits limits = {},
                             UnpackOptions options = {}) {
    const std::string blob = filter == Filter::none ? tar : compress(tar, filter);
    return unpack_blob(blob, sha256_of(blob), sha256_of(tar), limits, options);
  }

  Result<UnpackStats> unpack_blob(const std::string& blob, const Digest& blob_digest,
                                  const std::optional<Digest>& diff_id, UnpackLimits limits = {},
                                  UnpackOptions options = {}) {
    const fs::path blob_path = base_ / "blob";
    std::ofstream(blob_path, std::ios::binary) << blob;
    return unpack_layer(blob_path.string(), blob_digest, diff_id, target_.string(), limits, options);
  }

  // Nothing but the sentinel and the blob: no target, no partial directory.
  void expect_nothing_unpacked() {
    for (const auto& entry : fs::directory_iterator(base_)) {
      const std::string name = entry.path().filename().string();
      EXPECT_TRUE(name == "sentinel" || name == "blob") << "left behind: " << name;
    }
  }

  // Only the sentinel, the blob and the finished layer.
  void expect_nothing_left_but_layer() {
    for (const auto& entry : fs::directory_iterator(base_)) {
      const std::string name = entry.path().filename().string();
      EXPECT_TRUE(name == "sentinel" || name == "blob" || name == "layer") << "left behind: " << name;
    }
  }

  fs::path base_;
  fs::path sentinel_;
  fs::path target_;
  std::string sentinel_hash_;
};

inline TarEntry file(std::string path, std::string data, unsigned mode = 0644) {
  return TarEntry{.path = std::move(path), .mode = mode, .data = std::move(data)};
}
inline TarEntry dir(std::string path, unsigned mode = 0755) {
  return TarEntry{.path = std::move(path), .type = AE_IFDIR, .mode = mode};
}
inline TarEntry symlink(std::string path, std::string target) {
  return TarEntry{.path = std::move(path), .type = AE_IFLNK, .mode = 0777, .link = std::move(target)};
}
inline TarEntry hardlink(std::string path, std::string target) {
  return TarEntry{.path = std::move(path), .link = std::move(target), .hardlink = true};
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace strata::image::test_support
