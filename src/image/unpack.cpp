// The two passes over a layer blob and the all-or-nothing wrapper around them.
#include "image/unpack.hpp"

#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "image/unpack_internal.hpp"

namespace strata::image {

namespace detail {

la_ssize_t BlobReader::read_callback(archive* a, void* self, const void** buffer) {
  auto* reader = static_cast<BlobReader*>(self);
  ssize_t got = 0;
  do {
    got = ::read(reader->fd_, reader->buffer_.data(), reader->buffer_.size());
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    archive_set_error(a, errno, "read layer blob");
    return -1;
  }
  reader->hash_.update({reader->buffer_.data(), static_cast<std::size_t>(got)});
  reader->bytes_ += static_cast<std::uint64_t>(got);
  *buffer = reader->buffer_.data();
  return got;
}

Result<Digest> BlobReader::finish() {
  for (;;) {
    const ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail_errno("read layer blob");
    }
    if (got == 0) {
      break;
    }
    hash_.update({buffer_.data(), static_cast<std::size_t>(got)});
    bytes_ += static_cast<std::uint64_t>(got);
  }
  return Digest{.algorithm = "sha256", .hex = hash_.finish_hex()};
}

std::unexpected<Error> archive_failure(archive* a, const std::string& step) {
  const char* message = archive_error_string(a);
  return fail(step, {}, message != nullptr ? message : "libarchive failed without a message");
}

Result<ArchivePtr> open_archive(BlobReader& reader, bool raw) {
  ArchivePtr a(archive_read_new());
  if (!a) {
    return fail("read layer", {}, "libarchive could not allocate a reader");
  }
  // Only the layer media types of the image spec: tar, tar+gzip, tar+zstd.
  // Each filter is built in, never an external program.
  const bool setup_ok = archive_read_support_filter_none(a.get()) == ARCHIVE_OK &&
                        archive_read_support_filter_gzip(a.get()) == ARCHIVE_OK &&
                        archive_read_support_filter_zstd(a.get()) == ARCHIVE_OK &&
                        (raw ? archive_read_support_format_raw(a.get())
                             : archive_read_support_format_tar(a.get())) == ARCHIVE_OK;
  if (!setup_ok) {
    return archive_failure(a.get(), "set up the layer reader");
  }
  if (archive_read_open(a.get(), &reader, nullptr, &BlobReader::read_callback, nullptr) != ARCHIVE_OK) {
    return archive_failure(a.get(), "open layer");
  }
  return a;
}

Result<> check_stream_caps(const UnpackLimits& limits, std::uint64_t uncompressed, std::uint64_t compressed) {
  if (uncompressed > limits.max_total_bytes) {
    return fail("read layer", {},
                fmt::format("the uncompressed layer exceeds the cap of {} bytes", limits.max_total_bytes));
  }
  if (uncompressed > limits.ratio_min_bytes &&
      uncompressed / std::max<std::uint64_t>(compressed, 1) > limits.max_ratio) {
    return fail("read layer", {},
                fmt::format("the layer decompresses more than {}:1 ({} bytes from {}); refusing a "
                            "decompression bomb",
                            limits.max_ratio, uncompressed, compressed));
  }
  return {};
}

}  // namespace detail

namespace {

Result<LayerDigests> hash_streams(int fd, const UnpackLimits& limits) {
  detail::BlobReader reader(fd);
  auto a = detail::open_archive(reader, true);
  if (!a) {
    return std::unexpected(a.error());
  }
  Sha256 tar_hash;
  std::uint64_t uncompressed = 0;
  archive_entry* entry = nullptr;
  const int header = archive_read_next_header(a->get(), &entry);
  if (header != ARCHIVE_OK && header != ARCHIVE_EOF) {
    return detail::archive_failure(a->get(), "read layer");
  }
  std::array<char, detail::kChunk> buffer{};
  for (;;) {
    const la_ssize_t got = archive_read_data(a->get(), buffer.data(), buffer.size());
    if (got < 0) {
      return detail::archive_failure(a->get(), "decompress layer");
    }
    if (got == 0) {
      break;
    }
    tar_hash.update({buffer.data(), static_cast<std::size_t>(got)});
    uncompressed += static_cast<std::uint64_t>(got);
    if (auto caps = detail::check_stream_caps(limits, uncompressed, reader.bytes()); !caps) {
      return std::unexpected(caps.error());
    }
  }
  auto blob = reader.finish();
  if (!blob) {
    return std::unexpected(blob.error());
  }
  return LayerDigests{.blob = *blob,
                      .diff_id = Digest{.algorithm = "sha256", .hex = tar_hash.finish_hex()},
                      .compressed_bytes = reader.bytes(),
                      .uncompressed_bytes = uncompressed};
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<> remove_children(int dir_fd, const std::string& name) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return fail_errno("remove partial layer", name);
  }
  Result<> result;
  while (const dirent* child = ::readdir(dir)) {
    const std::string child_name = child->d_name;
    if (child_name == "." || child_name == "..") {
      continue;
    }
    if (result = remove_tree_at(::dirfd(dir), child_name); !result) {
      break;
    }
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<> remove_tree_at(int parent_fd, const std::string& name) {
  if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return {};
  }
  if (errno != EISDIR && errno != EPERM) {
    return fail_errno("remove partial layer", name);
  }
  // A directory unpacked with mode 0500 cannot be emptied until made writable.
  ::fchmodat(parent_fd, name.c_str(), S_IRWXU, 0);
  const int dir_fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) {
    return fail_errno("remove partial layer", name);
  }
  if (auto children = remove_children(dir_fd, name); !children) {
    return children;
  }
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0) {
    return fail_errno("remove partial layer", name);
  }
  return {};
}

bool running_as_real_root() {
  if (::geteuid() != 0) {
    return false;
  }
  // The initial user namespace maps all 2^32-1 ids onto themselves.
  std::ifstream map("/proc/self/uid_map");
  std::uint64_t inside = 1;
  std::uint64_t outside = 1;
  std::uint64_t count = 0;
  map >> inside >> outside >> count;
  return map && inside == 0 && outside == 0 && count == 4294967295ULL;
}

Result<LayerDigests> verify_layer(const std::string& blob_path, const Digest& blob_digest,
                                  const std::optional<Digest>& diff_id, const UnpackLimits& limits) {
  const UniqueFd fd(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open layer blob", blob_path);
  }
  auto digests = hash_streams(fd.get(), limits);
  if (!digests) {
    digests.error().path = blob_path;
    return digests;
  }
  if (digests->blob != blob_digest) {
    return fail("verify layer blob", blob_path,
                fmt::format("digest is {}, expected {}", digests->blob.str(), blob_digest.str()));
  }
  if (diff_id && digests->diff_id != *diff_id) {
    return fail("verify layer diffID", blob_path,
                fmt::format("the uncompressed tar's digest is {}, expected {}", digests->diff_id.str(),
                            diff_id->str()));
  }
  return digests;
}

Result<UnpackStats> extract_layer(int blob_fd, int target_dirfd, const UnpackLimits& limits,
                                  const UnpackOptions& options) {
  detail::BlobReader reader(blob_fd);
  auto a = detail::open_archive(reader, false);
  if (!a) {
    return std::unexpected(a.error());
  }
  return detail::extract_entries(a->get(), reader, target_dirfd, limits, options);
}

namespace {

// Extracts into the fresh directory `partial_name` under `parent_fd` and
// checks the blob seen this time is the one verified.
Result<UnpackStats> extract_verified(const std::string& blob_path, const LayerDigests& verified,
                                     int parent_fd, const std::string& partial_name,
                                     const UnpackLimits& limits, const UnpackOptions& options) {
  const UniqueFd blob(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!blob) {
    return fail_errno("open layer blob", blob_path);
  }
  const UniqueFd root(
      ::openat(parent_fd, partial_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return fail_errno("open partial layer", partial_name);
  }
  auto stats = extract_layer(blob.get(), root.get(), limits, options);
  if (!stats) {
    stats.error().path = stats.error().path.empty() ? blob_path : stats.error().path;
    return stats;
  }
  if (stats->digests.blob != verified.blob) {
    return fail("unpack layer", blob_path, "the blob changed between verification and unpacking");
  }
  stats->digests = verified;
  return stats;
}

}  // namespace

Result<UnpackStats> unpack_layer(const std::string& blob_path, const Digest& blob_digest,
                                 const std::optional<Digest>& diff_id, const std::string& target,
                                 const UnpackLimits& limits, const UnpackOptions& options) {
  struct stat existing = {};
  if (::lstat(target.c_str(), &existing) == 0) {
    return fail_errno("unpack layer", target, EEXIST);
  }
  auto verified = verify_layer(blob_path, blob_digest, diff_id, limits);
  if (!verified) {
    return std::unexpected(verified.error());
  }
  const UniqueFd parent(::open(parent_dir(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    return fail_errno("open layer store directory", parent_dir(target));
  }
  // A unique name: two unpacks of one layer may race; the store sweeps
  // leftovers of crashed ones (`*.partial.*`).
  std::string partial = target + ".partial.XXXXXX";
  if (::mkdtemp(partial.data()) == nullptr) {
    return fail_errno("create partial layer directory", partial);
  }
  const std::string partial_name = base_name(partial);
  // mkdtemp makes it 0700; a layer without a "./" entry gets the usual 0755
  // for its root, which becomes "/" when it is the lowest layer.
  if (::chmod(partial.c_str(), 0755) != 0) {
    const int err = errno;
    ::rmdir(partial.c_str());  // still empty; nothing more to do if it fails
    return fail_errno("create partial layer directory", partial, err);
  }
  auto stats = extract_verified(blob_path, *verified, parent.get(), partial_name, limits, options);
  if (stats && ::renameat(parent.get(), partial_name.c_str(), parent.get(), base_name(target).c_str()) != 0) {
    const int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) {
      log::debug("layer {} was unpacked concurrently; keeping that copy", target);
    } else {
      stats = fail_errno("rename unpacked layer into place", target, err);
    }
  } else if (stats) {
    return stats;
  }
  if (auto removed = remove_tree_at(parent.get(), partial_name); !removed) {
    log::warn("could not remove {}: {}", partial, removed.error().message());
  }
  return stats;
}

}  // namespace strata::image
