// Unpacking one OCI layer (tar, tar+gzip, tar+zstd) into its own directory,
// safely: the blob digest and the diffID are checked in a first pass that
// creates nothing; the second pass writes entry by entry with *at() calls on
// directories resolved by openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so
// no entry lands outside the target even through a symlink an earlier entry
// made. libarchive only reads; archive_write_disk is not used.
//
// What a layer directory holds (so that layers stack as overlayfs lowers):
// - a whiteout `.wh.NAME` becomes an overlay whiteout, a character device 0/0
//   named NAME (Linux >= 5.8 lets anyone create that one device);
// - an opaque marker `.wh..wh..opq` sets user.overlay.opaque=y on its
//   directory (overlayfs in a user namespace, mounted with `userxattr`, as
//   strata's containers are), and trusted.overlay.opaque=y too when real
//   root; when the filesystem takes no user xattr, the empty marker file is
//   kept and counted in `opaque_markers_kept`.
// - ownership is applied only when real root (lchown); otherwise files belong
//   to the caller. setuid/setgid bits are kept only when real root, since a
//   caller's own setuid files mean nothing inside a user namespace and
//   something outside it.
// - device nodes are created only when real root in the initial user
//   namespace, else skipped with a warning; fifos are always created.
// - xattrs, ACLs and file flags from the tar are not applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace strata::image {

// Caps against decompression bombs and oversized layers. A cap that is hit
// stops the unpack with an error naming it.
struct UnpackLimits {
  std::uint64_t max_total_bytes = 32ULL << 30;  // the uncompressed tar stream
  std::uint64_t max_entry_bytes = 16ULL << 30;  // one file's contents
  std::uint64_t max_entries = 1'000'000;
  // uncompressed/compressed above this stops the unpack, once more than
  // `ratio_min_bytes` came out (small tars of zeros compress well legitimately).
  std::uint64_t max_ratio = 1000;
  std::uint64_t ratio_min_bytes = 16ULL << 20;
};

struct UnpackOptions {
  // Real root in the initial user namespace: chown, devices, setuid bits and
  // trusted.* xattrs. Tests set it to false to see the unprivileged behaviour.
  bool real_root = false;
};

// Whether this process is uid 0 in the initial user namespace.
[[nodiscard]] bool running_as_real_root();

struct LayerDigests {
  Digest blob;     // sha256 of the blob as stored
  Digest diff_id;  // sha256 of the uncompressed tar stream
  std::uint64_t compressed_bytes = 0;
  std::uint64_t uncompressed_bytes = 0;
};

struct UnpackStats {
  LayerDigests digests;
  std::uint64_t entries = 0;
  std::uint64_t file_bytes = 0;  // contents of regular files written
  std::uint64_t whiteouts = 0;
  std::uint64_t opaque_dirs = 0;
  std::uint64_t opaque_markers_kept = 0;  // opaque dirs recorded by marker file
  std::uint64_t skipped_devices = 0;
  std::uint64_t skipped_other = 0;  // sockets, aufs `.wh..wh.` metadata
};

// Pass 1: streams the blob once, computing its digest and the diffID while
// applying the size and ratio caps. Creates nothing. A digest that differs
// from `blob_digest`, or from `diff_id` when given, is an error.
Result<LayerDigests> verify_layer(const std::string& blob_path, const Digest& blob_digest,
                                  const std::optional<Digest>& diff_id, const UnpackLimits& limits);

// Pass 2 alone: extracts the tar in `blob_fd` (read from its current offset)
// into the directory `target_dirfd`, which should be empty. Does not check
// digests (the returned stats carry the blob's; the tar reader cannot see the
// uncompressed stream, so not the diffID) and leaves a partial tree behind on
// failure: callers wanting all-or-nothing use unpack_layer.
Result<UnpackStats> extract_layer(int blob_fd, int target_dirfd, const UnpackLimits& limits,
                                  const UnpackOptions& options);

// verify_layer, then extract_layer into a fresh `<target>.partial.XXXXXX`
// beside `target`, re-checking the blob digest seen during extraction (the
// blob may not change in between), then rename onto `target`. On any failure
// the partial directory is removed and `target` is not created. `target` must
// not exist yet (the store unpacks a diffID once); if another unpack of the
// same layer renamed first, that result is kept and this one is discarded.
Result<UnpackStats> unpack_layer(const std::string& blob_path, const Digest& blob_digest,
                                 const std::optional<Digest>& diff_id, const std::string& target,
                                 const UnpackLimits& limits, const UnpackOptions& options);

// Removes `name` under `parent_fd` and everything below it without following
// symlinks (for partial trees and store garbage collection).
Result<> remove_tree_at(int parent_fd, const std::string& name);

}  // namespace strata::image
