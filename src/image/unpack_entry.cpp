// One tar entry at a time, every path resolved inside the layer root.
//
// The parent directory of an entry is resolved with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS): a symlink an earlier entry planted ("x -> /" or
// "x -> ../../sentinel") is followed as if the layer root were "/", so it
// lands inside the root. The entry's own name is then handled with *at()
// calls that never follow it (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, unlinkat,
// linkat without AT_SYMLINK_FOLLOW): replacing or chmod-ing "x" touches the
// symlink itself, not what it points at.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "base/fds.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "image/unpack_internal.hpp"

namespace strata::image::detail {

Result<std::vector<std::string>> clean_entry_path(const std::string& raw) {
  std::vector<std::string> parts;
  std::string_view rest = raw;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      if (parts.empty()) {
        return fail("unpack layer entry", raw, "the path climbs out of the layer root");
      }
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return parts;
}

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) {
    path += (i == 0 ? "" : "/") + parts[i];
  }
  return path;
}

// `path` relative to the layer root; "" is the root itself.
UniqueFd resolve_in_root(int root, const std::string& path, std::uint64_t open_flags) {
  open_how how{};
  how.flags = open_flags | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = path.empty() ? "." : path;
  return UniqueFd(openat2_retrying(root, relative.c_str(), how));
}

struct Meta {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  timespec mtime{};
};

Meta meta_of(archive_entry* e) {
  return Meta{.mode = archive_entry_perm(e),
              .uid = static_cast<uid_t>(archive_entry_uid(e)),
              .gid = static_cast<gid_t>(archive_entry_gid(e)),
              .mtime = timespec{.tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e)}};
}

class Extractor {
 public:
  Extractor(archive* a, BlobReader& reader, int root, const UnpackLimits& limits,
            const UnpackOptions& options)
      : a_(a), reader_(reader), root_(root), limits_(limits), options_(options) {}

  Result<> entry(archive_entry* e);
  Result<> finish_dirs();
  UnpackStats& stats() { return stats_; }

 private:
  Result<UniqueFd> open_parent(const std::vector<std::string>& parts, const std::string& raw) const;
  Result<> dispatch(archive_entry* e, const std::vector<std::string>& parts, int parent,
                    const std::string& raw);
  Result<> clear_slot(int parent, const std::string& name, const std::string& raw);
  Result<> make_dir(const std::vector<std::string>& parts, int parent, const Meta& meta,
                    const std::string& raw);
  Result<> make_file(archive_entry* e, int parent, const std::string& name, const std::string& raw);
  Result<> copy_data(int fd, const std::string& raw);
  Result<> make_symlink(archive_entry* e, int parent, const std::string& name, const std::string& raw);
  Result<> make_hardlink(const std::vector<std::string>& parts, int parent, const std::string& target,
                         const std::string& raw);
  Result<> make_special(archive_entry* e, int parent, const std::string& name, const std::string& raw);
  Result<> whiteout(int parent, const std::string& name, const std::string& raw);
  Result<> opaque(const std::vector<std::string>& parts, int parent, const std::string& raw);
  Result<> keep_marker(int parent, const std::string& name, const std::string& raw);
  Result<> apply_meta(int fd, const Meta& meta, const std::string& raw) const;
  Result<> apply_meta_at(int parent, const std::string& name, const Meta& meta, const std::string& raw) const;

  archive* a_;
  BlobReader& reader_;
  int root_;
  const UnpackLimits& limits_;
  const UnpackOptions& options_;
  UnpackStats stats_;
  // Directory metadata is applied last, deepest first: writing a child
  // changes the mtime, and a 0555 directory would refuse its children.
  std::map<std::string, Meta> dirs_;
};

Result<> Extractor::entry(archive_entry* e) {
  if (++stats_.entries > limits_.max_entries) {
    return fail("unpack layer", {}, fmt::format("more than {} entries", limits_.max_entries));
  }
  const char* pathname = archive_entry_pathname(e);
  if (pathname == nullptr) {
    return fail("unpack layer entry", {}, "an entry has no readable path name");
  }
  const std::string raw = pathname;
  auto parts = clean_entry_path(raw);
  if (!parts) {
    return std::unexpected(parts.error());
  }
  if (parts->empty() && archive_entry_filetype(e) == AE_IFDIR) {
    dirs_[""] = meta_of(e);
    return {};
  }
  if (parts->empty()) {
    return fail("unpack layer entry", raw, "only a directory may name the layer root");
  }
  auto parent = open_parent(*parts, raw);
  if (!parent) {
    return std::unexpected(parent.error());
  }
  return dispatch(e, *parts, parent->get(), raw);
}

// Resolves (creating as 0755 directories when missing) every ancestor of the
// entry, each time from the layer root so symlinks stay inside it.
Result<UniqueFd> Extractor::open_parent(const std::vector<std::string>& parts, const std::string& raw) const {
  UniqueFd fd = resolve_in_root(root_, join(parts, parts.size() - 1), O_PATH);
  if (fd || errno != ENOENT) {
    return fd ? Result<UniqueFd>(std::move(fd)) : fail_errno("resolve parent directory", raw);
  }
  UniqueFd current = resolve_in_root(root_, "", O_PATH);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    UniqueFd next = resolve_in_root(root_, join(parts, i + 1), O_PATH);
    if (!next && errno == ENOENT) {
      if (::mkdirat(current.get(), parts[i].c_str(), 0755) != 0) {
        return fail_errno("create parent directory", raw);
      }
      next = resolve_in_root(root_, join(parts, i + 1), O_PATH);
    }
    if (!next) {
      return fail_errno("resolve parent directory", raw);
    }
    current = std::move(next);
  }
  return current;
}

Result<> Extractor::dispatch(archive_entry* e, const std::vector<std::string>& parts, int parent,
                             const std::string& raw) {
  const std::string& name = parts.back();
  if (name == kOpaqueMarker) {
    return opaque(parts, parent, raw);
  }
  if (name.starts_with(".wh..wh.")) {
    // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): meaningless elsewhere.
    ++stats_.skipped_other;
    return {};
  }
  if (name.starts_with(kWhiteoutPrefix)) {
    return whiteout(parent, name.substr(kWhiteoutPrefix.size()), raw);
  }
  if (const char* target = archive_entry_hardlink(e); target != nullptr) {
    return make_hardlink(parts, parent, target, raw);
  }
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR:
      return make_dir(parts, parent, meta_of(e), raw);
    case AE_IFREG:
      return make_file(e, parent, name, raw);
    case AE_IFLNK:
      return make_symlink(e, parent, name, raw);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return make_special(e, parent, name, raw);
    default:
      ++stats_.skipped_other;
      log::warn("layer entry '{}': skipping a socket or unknown file type", raw);
      return {};
  }
}

// Makes room for a new entry: as tar does for a duplicate, the last one wins.
// A directory is only removed when empty.
Result<> Extractor::clear_slot(int parent, const std::string& name, const std::string& raw) {
  if (::unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) {
    return {};
  }
  if (errno == EISDIR && ::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0) {
    return {};
  }
  return fail_errno("replace existing entry", raw);
}

Result<> Extractor::make_dir(const std::vector<std::string>& parts, int parent, const Meta& meta,
                             const std::string& raw) {
  const std::string& name = parts.back();
  if (::mkdirat(parent, name.c_str(), 0700) != 0) {
    struct stat st = {};
    if (errno != EEXIST || ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno("create directory", raw);
    }
    // An existing directory is kept (its children stay); anything else, a
    // symlink included, is replaced rather than followed.
    if (!S_ISDIR(st.st_mode)) {
      if (auto cleared = clear_slot(parent, name, raw); !cleared) {
        return cleared;
      }
      if (::mkdirat(parent, name.c_str(), 0700) != 0) {
        return fail_errno("create directory", raw);
      }
    }
  }
  dirs_[join(parts, parts.size())] = meta;
  return {};
}

Result<> Extractor::make_file(archive_entry* e, int parent, const std::string& name, const std::string& raw) {
  if (archive_entry_size_is_set(e) != 0 &&
      static_cast<std::uint64_t>(archive_entry_size(e)) > limits_.max_entry_bytes) {
    return fail("unpack layer entry", raw,
                fmt::format("larger than the cap of {} bytes", limits_.max_entry_bytes));
  }
  if (auto cleared = clear_slot(parent, name, raw); !cleared) {
    return cleared;
  }
  const UniqueFd fd(
      ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    return fail_errno("create file", raw);
  }
  if (auto copied = copy_data(fd.get(), raw); !copied) {
    return copied;
  }
  return apply_meta(fd.get(), meta_of(e), raw);
}

Result<> Extractor::copy_data(int fd, const std::string& raw) {
  std::array<char, kChunk> buffer{};
  std::uint64_t written = 0;
  for (;;) {
    const la_ssize_t got = archive_read_data(a_, buffer.data(), buffer.size());
    if (got < 0) {
      return archive_failure(a_, "read layer entry " + raw);
    }
    if (got == 0) {
      return {};
    }
    written += static_cast<std::uint64_t>(got);
    stats_.file_bytes += static_cast<std::uint64_t>(got);
    if (written > limits_.max_entry_bytes) {
      return fail("unpack layer entry", raw,
                  fmt::format("larger than the cap of {} bytes", limits_.max_entry_bytes));
    }
    const auto uncompressed = static_cast<std::uint64_t>(archive_filter_bytes(a_, 0));
    if (auto caps = check_stream_caps(limits_, std::max(uncompressed, stats_.file_bytes), reader_.bytes());
        !caps) {
      return caps;
    }
    for (la_ssize_t done = 0; done < got;) {
      const ssize_t n = ::write(fd, buffer.data() + done, static_cast<std::size_t>(got - done));
      if (n < 0 && errno != EINTR) {
        return fail_errno("write file", raw);
      }
      done += n > 0 ? n : 0;
    }
  }
}

Result<> Extractor::make_symlink(archive_entry* e, int parent, const std::string& name,
                                 const std::string& raw) {
  const char* target = archive_entry_symlink(e);
  if (target == nullptr) {
    return fail("unpack layer entry", raw, "a symlink without a target");
  }
  if (auto cleared = clear_slot(parent, name, raw); !cleared) {
    return cleared;
  }
  // Stored as written: it is only ever followed inside a sandbox root or by
  // openat2(RESOLVE_IN_ROOT) here.
  if (::symlinkat(target, parent, name.c_str()) != 0) {
    return fail_errno("create symlink", raw);
  }
  return apply_meta_at(parent, name, meta_of(e), raw);
}

Result<> Extractor::make_hardlink(const std::vector<std::string>& parts, int parent,
                                  const std::string& target, const std::string& raw) {
  auto target_parts = clean_entry_path(target);
  if (!target_parts || target_parts->empty() || *target_parts == parts) {
    return fail("unpack layer entry", raw, "a hardlink must name another file of the layer");
  }
  const UniqueFd target_parent =
      resolve_in_root(root_, join(*target_parts, target_parts->size() - 1), O_PATH);
  struct stat st = {};
  const std::string& target_name = target_parts->back();
  if (!target_parent || ::fstatat(target_parent.get(), target_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("resolve hardlink target", raw);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("unpack layer entry", raw, "a hardlink may only point at a regular file of the layer");
  }
  if (auto cleared = clear_slot(parent, parts.back(), raw); !cleared) {
    return cleared;
  }
  if (::linkat(target_parent.get(), target_name.c_str(), parent, parts.back().c_str(), 0) != 0) {
    return fail_errno("create hardlink", raw);
  }
  return {};
}

Result<> Extractor::make_special(archive_entry* e, int parent, const std::string& name,
                                 const std::string& raw) {
  const mode_t type = archive_entry_filetype(e);
  if (type != AE_IFIFO && !options_.real_root) {
    ++stats_.skipped_devices;
    log::warn("layer entry '{}': skipping a device node (needs real root)", raw);
    return {};
  }
  if (auto cleared = clear_slot(parent, name, raw); !cleared) {
    return cleared;
  }
  if (::mknodat(parent, name.c_str(), type | 0600, archive_entry_rdev(e)) != 0) {
    return fail_errno("create device node", raw);
  }
  return apply_meta_at(parent, name, meta_of(e), raw);
}

Result<> Extractor::whiteout(int parent, const std::string& name, const std::string& raw) {
  if (name.empty() || name == "." || name == "..") {
    return fail("unpack layer entry", raw, "a whiteout must name an entry");
  }
  ++stats_.whiteouts;
  if (auto cleared = clear_slot(parent, name, raw); !cleared) {
    return cleared;
  }
  // overlayfs's whiteout: a 0/0 character device, which Linux >= 5.8 lets an
  // unprivileged process create too.
  if (::mknodat(parent, name.c_str(), S_IFCHR, makedev(0, 0)) == 0) {
    return {};
  }
  if (errno != EPERM) {
    return fail_errno("create whiteout", raw);
  }
  return keep_marker(parent, std::string(kWhiteoutPrefix) + name, raw);
}

Result<> Extractor::opaque(const std::vector<std::string>& parts, int parent, const std::string& raw) {
  ++stats_.opaque_dirs;
  const UniqueFd dir = resolve_in_root(root_, join(parts, parts.size() - 1), O_RDONLY);
  if (!dir) {
    return fail_errno("open opaque directory", raw);
  }
  // strata mounts its overlays inside the sandbox's user namespace
  // (`userxattr`), which reads user.overlay.*; a real-root overlay mounted on
  // the host reads trusted.overlay.*, so real root writes both.
  if (options_.real_root && ::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0 &&
      errno != ENOTSUP) {
    return fail_errno("mark directory opaque", raw);
  }
  if (::fsetxattr(dir.get(), "user.overlay.opaque", "y", 1, 0) == 0) {
    return {};
  }
  if (errno != ENOTSUP && errno != EPERM) {
    return fail_errno("mark directory opaque", raw);
  }
  ++stats_.opaque_markers_kept;
  return keep_marker(parent, std::string(kOpaqueMarker), raw);
}

// The OCI marker as an empty file, for a filesystem that cannot hold the
// overlayfs form; whoever stacks the layers reads it.
Result<> Extractor::keep_marker(int parent, const std::string& name, const std::string& raw) {
  if (auto cleared = clear_slot(parent, name, raw); !cleared) {
    return cleared;
  }
  const UniqueFd fd(::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0));
  if (!fd) {
    return fail_errno("create whiteout marker", raw);
  }
  return {};
}

// Owner first: chown clears setuid bits. Without real root the owner stays
// the caller and setuid/setgid are dropped (see unpack.hpp).
Result<> Extractor::apply_meta(int fd, const Meta& meta, const std::string& raw) const {
  if (options_.real_root && ::fchown(fd, meta.uid, meta.gid) != 0) {
    return fail_errno("set owner", raw);
  }
  const mode_t mask = options_.real_root ? 07777 : 01777;
  if (::fchmod(fd, meta.mode & mask) != 0) {
    return fail_errno("set mode", raw);
  }
  const std::array<timespec, 2> times{meta.mtime, meta.mtime};
  if (::futimens(fd, times.data()) != 0) {
    return fail_errno("set modification time", raw);
  }
  return {};
}

// For entries that cannot be opened (symlinks, devices): never following the
// name. A symlink's mode means nothing on Linux and is left alone.
Result<> Extractor::apply_meta_at(int parent, const std::string& name, const Meta& meta,
                                  const std::string& raw) const {
  if (options_.real_root && ::fchownat(parent, name.c_str(), meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("set owner", raw);
  }
  struct stat st = {};
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("stat entry", raw);
  }
  const mode_t mask = options_.real_root ? 07777 : 01777;
  if (!S_ISLNK(st.st_mode) && ::fchmodat(parent, name.c_str(), meta.mode & mask, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("set mode", raw);
  }
  const std::array<timespec, 2> times{meta.mtime, meta.mtime};
  if (::utimensat(parent, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("set modification time", raw);
  }
  return {};
}

Result<> Extractor::finish_dirs() {
  for (const auto& [path, meta] : std::views::reverse(dirs_)) {
    const auto slash = path.find_last_of('/');
    const std::string parent_path = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = path.empty() ? "." : path.substr(slash == std::string::npos ? 0 : slash + 1);
    const UniqueFd parent = resolve_in_root(root_, parent_path, O_PATH);
    const UniqueFd dir(
        parent ? ::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1);
    if (!dir) {
      continue;  // replaced later in the layer by a non-directory or a whiteout
    }
    if (auto applied = apply_meta(dir.get(), meta, path); !applied) {
      return applied;
    }
  }
  return {};
}

}  // namespace

Result<UnpackStats> extract_entries(archive* a, BlobReader& reader, int root_fd, const UnpackLimits& limits,
                                    const UnpackOptions& options) {
  Extractor extractor(a, reader, root_fd, limits, options);
  for (;;) {
    archive_entry* e = nullptr;
    const int status = archive_read_next_header(a, &e);
    if (status == ARCHIVE_EOF) {
      break;
    }
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      return archive_failure(a, "read layer");
    }
    if (auto done = extractor.entry(e); !done) {
      return std::unexpected(done.error());
    }
  }
  if (auto dirs = extractor.finish_dirs(); !dirs) {
    return std::unexpected(dirs.error());
  }
  auto blob = reader.finish();
  if (!blob) {
    return std::unexpected(blob.error());
  }
  UnpackStats stats = extractor.stats();
  stats.digests.blob = *blob;
  stats.digests.compressed_bytes = reader.bytes();
  stats.digests.uncompressed_bytes = static_cast<std::uint64_t>(archive_filter_bytes(a, 0));
  return stats;
}

}  // namespace strata::image::detail
