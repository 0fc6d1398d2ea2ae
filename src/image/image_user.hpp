// An image's own files (/etc/passwd, /etc/group) read from its unpacked
// layers without mounting them, and the user a container runs as.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::image {

// The contents of the absolute `path` as the overlayfs of `layers` (layer
// directories in the format of image/unpack.hpp, bottom first) shows it, or
// nullopt when it is not there.
//
// The path is resolved one component at a time across the layers, top
// first, as overlayfs does: a whiteout (character device 0/0) hides the name
// in every layer below, an opaque directory hides what the layers below have
// in it, and a non-directory hides a directory below it. A symlink met on the
// way, in whichever layer, is followed in the merged view: an absolute target
// starts again at the image's root, ".." at the root stays there, at most 40
// links per path. So a link cannot leave the image, and one in an upper layer
// to a file of a lower layer works.
// Each layer is read with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
// from its directory fd: the kernel never follows a symlink, strata does.
//
// A path that ends on a directory, device or fifo, one larger than `limit`
// bytes, and a symlink loop are errors; a path through a non-directory is
// "not there".
Result<std::optional<std::string>> read_image_file(const std::vector<std::string>& layers,
                                                   const std::string& path, std::size_t limit);

struct ImageUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;  // supplementary, from /etc/group membership
  std::string home = "/";             // from /etc/passwd, "/" when unknown
  std::string name;                   // from /etc/passwd, "" when not listed there
};

// The user of an OCI config's `User` (or `--user`): "", "name", "uid",
// "name:group", "uid:gid", "name:gid", "uid:group", looked up in the image's
// /etc/passwd and /etc/group texts (nullopt when the image has none), the way
// runc and Docker do:
// - "" is uid 0, looked up like "0";
// - a uid is always a uid, even when a user is named like it; one absent
//   from /etc/passwd is allowed (gid 0, home "/"); a name absent is an error;
// - an explicit group (number or name) sets the gid and no supplementary
//   groups; a group name absent from /etc/group is an error, a number is not;
// - without one, the gid is the passwd entry's and the supplementary groups
//   are those of /etc/group that list the user's name.
// Ids are 0..4294967294 (-1 is "no id" to the kernel). Lines of either file
// that are blank, comments, short or carry a bad id are skipped; the first
// entry that matches wins.
Result<ImageUser> resolve_image_user(std::string_view user, std::optional<std::string_view> passwd,
                                     std::optional<std::string_view> group);

}  // namespace strata::image
