// Shared by unpack.cpp (the passes) and unpack_entry.cpp (one tar entry).
// Not part of the image module's API.
#pragma once

#include <archive.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "image/unpack.hpp"

namespace strata::image::detail {

// The read size for blobs and entry data.
inline constexpr std::size_t kChunk = std::size_t{64} * 1024;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Feeds libarchive from an fd while hashing every byte it hands over, so the
// blob digest covers exactly what was decompressed (no skip callback: every
// byte is read, none seeked over).
class BlobReader {
 public:
  explicit BlobReader(int fd) : fd_(fd) {}
  // Reads what libarchive left unread (a gzip trailer's padding) so the digest
  // covers the whole file, then returns it.
  Result<Digest> finish();
  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
  static la_ssize_t read_callback(archive* a, void* self, const void** buffer);

 private:
  int fd_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
  std::array<char, kChunk> buffer_{};
};

// A reader over `reader` with the gzip and zstd filters (and none) and either
// the raw format (pass 1: the uncompressed stream) or tar (pass 2).
Result<ArchivePtr> open_archive(BlobReader& reader, bool raw);

// The ratio and total caps, checked as the uncompressed stream grows.
Result<> check_stream_caps(const UnpackLimits& limits, std::uint64_t uncompressed, std::uint64_t compressed);

// "read layer: <libarchive's message>".
std::unexpected<Error> archive_failure(archive* a, const std::string& step);

// A tar entry's path, made relative to the layer root: leading "/" and "./"
// dropped, "." components skipped, ".." applied lexically. Empty components
// list means the root itself. A ".." above the root is an error.
Result<std::vector<std::string>> clean_entry_path(const std::string& raw);

// Extracts every entry of `a` (opened with raw = false) under `root_fd`.
Result<UnpackStats> extract_entries(archive* a, BlobReader& reader, int root_fd, const UnpackLimits& limits,
                                    const UnpackOptions& options);

}  // namespace strata::image::detail
