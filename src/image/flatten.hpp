// Flattening unpacked layers into one directory: the copy fallback for hosts
// where an overlayfs of the layer directories cannot be mounted.
//
// The result is the tree overlayfs shows when the layers are mounted as
// lowers (`lowerdir=TOP:...:BOTTOM,userxattr`), in the layer format of
// image/unpack.hpp:
// - a character device 0/0 (a whiteout) hides the path below it, file or
//   whole tree, and is not copied;
// - an opaque directory (user.overlay.opaque=y or trusted.overlay.opaque=y,
//   or the marker file `.wh..wh..opq` inside it) hides what the layers below
//   had in it; the marker is not copied. As in overlayfs, a layer's root is
//   never opaque;
// - a directory over a non-directory, or a non-directory over a directory,
//   replaces it; a directory over a directory merges, and the topmost one's
//   mode, owner and times win (applied once every layer is in, deepest first,
//   so a 0555 directory still takes its children).
// The target is written only through directory fds opened one component at a
// time with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and entries are
// replaced with *at() calls that never follow the name: a symlink a lower
// layer planted ("x -> /", "x -> ../../elsewhere") is replaced, never
// written through. The layers are read the same way (O_NOFOLLOW,
// AT_SYMLINK_NOFOLLOW).
//
// Not carried over: xattrs and ACLs (overlayfs's own xattrs least of all),
// overlayfs's newer xwhiteouts, redirects and metacopy (unpack never makes
// them), sockets (skipped and counted). Hard links between files of one layer
// stay hard links; across layers they are separate copies, as overlayfs shows.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata::image {

struct FlattenOptions {
  // Real root in the initial user namespace: ownership (fchownat), setuid and
  // setgid bits, device nodes. Otherwise files belong to the caller, the two
  // bits are dropped and devices other than whiteouts are skipped.
  bool real_root = false;
  // The sum of regular file sizes copied (hard links not counted twice); a
  // flatten that would exceed it fails before filling the disk.
  std::uint64_t max_total_bytes = 64ULL << 30;
};

// Counts of what was done, summed over layers: a file that an upper layer
// replaces was copied twice and counts twice.
struct FlattenStats {
  std::uint64_t files = 0;      // regular files written, hard links included
  std::uint64_t hardlinks = 0;  // of those, made as a link to an earlier copy
  std::uint64_t dirs = 0;       // directories created (merging creates none)
  std::uint64_t symlinks = 0;
  std::uint64_t specials = 0;     // fifos, and device nodes when real root
  std::uint64_t bytes = 0;        // contents copied
  std::uint64_t whiteouts = 0;    // whiteouts met (whether or not they hid anything)
  std::uint64_t opaque_dirs = 0;  // opaque directories met
  std::uint64_t skipped = 0;      // device nodes when not real root, sockets
};

// Builds in `target` (which must not exist) the merged tree of `layers`
// (directories, bottom first). Works in `<target>.partial.XXXXXX` beside it
// and renames that onto `target` at the end; on any failure the partial
// directory is removed and `target` is not created.
Result<FlattenStats> flatten_layers(const std::vector<std::string>& layers, const std::string& target,
                                    const FlattenOptions& options);

// Whether the layer directory open (not O_PATH) at `dir_fd` is opaque:
// either overlay xattr is "y", or it holds the marker `.wh..wh..opq`.
[[nodiscard]] bool layer_dir_is_opaque(int dir_fd);

// Whether `st` is an overlay whiteout (a character device 0/0).
[[nodiscard]] bool is_whiteout(const struct stat& st);

// `path` (one or more components, "" for `dir` itself) below `dir`, never
// through a symlink or out of `dir`; `flags` are open(2)'s (O_CLOEXEC and
// O_NOFOLLOW are added).
UniqueFd open_beneath(int dir, const std::string& path, std::uint64_t flags);

}  // namespace strata::image
