// Copying layers into one tree the way overlayfs merges them (flatten.hpp).
//
// Two fds are held per directory level being walked (the layer's and the
// target's), so a tree nested deeper than about RLIMIT_NOFILE/2 fails with
// EMFILE rather than being copied in part.
#include "image/flatten.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "base/fds.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "image/unpack.hpp"

namespace strata::image {

namespace {

constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::size_t kChunk = std::size_t{1} << 20;

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

std::string join(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

// The names in the directory open at `fd` (which stays open), sorted so that
// the copy does the same thing every time.
Result<std::vector<std::string>> list_dir(int fd, const std::string& where) {
  UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup) {
    return fail_errno("read directory", where);
  }
  DirPtr dir(::fdopendir(dup.get()));
  if (!dir) {
    return fail_errno("read directory", where);
  }
  dup.release();
  // The duplicate shares its offset with `fd`, which may have been read.
  ::rewinddir(dir.get());
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  if (errno != 0) {
    return fail_errno("read directory", where);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool xattr_is_y(int fd, const char* name) {
  std::array<char, 2> value{};
  return ::fgetxattr(fd, name, value.data(), value.size()) == 1 && value[0] == 'y';
}

// Removes `name` under `dir` and all below it; ENOENT is not an error.
Result<> remove_entry(int dir, const std::string& name, const std::string& rel) {
  auto removed = remove_tree_at(dir, name);
  if (!removed) {
    return fail("flatten: remove what an upper layer hides", rel, removed.error().message());
  }
  return {};
}

struct Copied {
  std::string rel;  // the first copy's path in the target
  ino_t target_ino = 0;
};

class Flattener {
 public:
  Flattener(int root, const FlattenOptions& options) : root_(root), options_(options) {}

  Result<> layer(const std::string& path);
  Result<> finish() { return apply_dirs(root_, ""); }
  [[nodiscard]] const FlattenStats& stats() const { return stats_; }

 private:
  Result<> walk(int src, int dst, const std::string& rel);
  Result<> entry(int src, int dst, const std::string& rel, const std::string& name);
  Result<> merge_dir(int src, int dst, const std::string& rel, const std::string& name,
                     const struct stat& st);
  Result<> empty_dir(int dst, const std::string& name, const std::string& rel);
  Result<> copy_file(int src, int dst, const std::string& rel, const std::string& name,
                     const struct stat& st);
  Result<bool> link_earlier(int dst, const std::string& rel, const std::string& name, const struct stat& st);
  Result<> copy_data(int in, int out, const std::string& rel);
  Result<std::size_t> read_write(int in, int out, std::size_t want, const std::string& rel);
  Result<> make_symlink(int src, int dst, const std::string& rel, const std::string& name,
                        const struct stat& st);
  Result<> make_special(int dst, const std::string& rel, const std::string& name, const struct stat& st);
  Result<> set_meta(int fd, const struct stat& st, const std::string& rel) const;
  Result<> set_meta_at(int dst, const std::string& name, const struct stat& st, const std::string& rel) const;
  Result<> apply_dirs(int dir, const std::string& rel);
  [[nodiscard]] std::string where(const std::string& rel) const { return layer_ + "/" + rel; }
  [[nodiscard]] mode_t mode_of(const struct stat& st) const {
    return st.st_mode & (options_.real_root ? 07777U : 01777U);
  }
  [[nodiscard]] std::unexpected<Error> over_cap(const std::string& rel) const {
    return fail("flatten layers", rel,
                fmt::format("the image's files exceed the cap of {} bytes", options_.max_total_bytes));
  }

  int root_;
  const FlattenOptions& options_;
  FlattenStats stats_;
  std::string layer_;
  // Each merged directory's metadata comes from the topmost layer that has
  // it; applied last, deepest first (writing a child changes the mtime).
  std::map<std::string, struct stat> dirs_;
  // Regular files of the current layer with more than one link.
  std::map<std::pair<dev_t, ino_t>, Copied> links_;
  std::vector<char> buffer_;
};

Result<> Flattener::layer(const std::string& path) {
  const UniqueFd src(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!src) {
    return fail_errno("open layer", path);
  }
  struct stat st = {};
  if (::fstat(src.get(), &st) != 0) {
    return fail_errno("stat layer", path);
  }
  // As in overlayfs, the root is merged from every layer, never opaque.
  dirs_[""] = st;
  layer_ = path;
  links_.clear();
  return walk(src.get(), root_, "");
}

Result<> Flattener::walk(int src, int dst, const std::string& rel) {
  auto names = list_dir(src, where(rel));
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const std::string& name : *names) {
    if (name == kOpaqueMarker) {
      continue;  // read by layer_dir_is_opaque on this directory
    }
    if (auto done = entry(src, dst, rel, name); !done) {
      return done;
    }
  }
  return {};
}

Result<> Flattener::entry(int src, int dst, const std::string& rel, const std::string& name) {
  const std::string child = join(rel, name);
  struct stat st = {};
  if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("stat layer entry", where(child));
  }
  if (is_whiteout(st)) {
    ++stats_.whiteouts;
    return remove_entry(dst, name, child);
  }
  if (S_ISDIR(st.st_mode)) {
    return merge_dir(src, dst, rel, name, st);
  }
  if (auto cleared = remove_entry(dst, name, child); !cleared) {
    return cleared;
  }
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      return copy_file(src, dst, rel, name, st);
    case S_IFLNK:
      return make_symlink(src, dst, rel, name, st);
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
      return make_special(dst, rel, name, st);
    default:
      ++stats_.skipped;  // sockets: nothing listens on a copy
      return {};
  }
}

Result<> Flattener::merge_dir(int src, int dst, const std::string& rel, const std::string& name,
                              const struct stat& st) {
  const std::string child = join(rel, name);
  const UniqueFd src_dir(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!src_dir) {
    return fail_errno("open layer directory", where(child));
  }
  const bool opaque = layer_dir_is_opaque(src_dir.get());
  stats_.opaque_dirs += opaque ? 1 : 0;
  struct stat existing = {};
  bool is_dir = false;
  if (::fstatat(dst, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    is_dir = S_ISDIR(existing.st_mode);
    auto cleared =
        is_dir ? (opaque ? empty_dir(dst, name, child) : Result<>{}) : remove_entry(dst, name, child);
    if (!cleared) {
      return cleared;
    }
  } else if (errno != ENOENT) {
    return fail_errno("flatten: stat", child);
  }
  // Writable by its owner until apply_dirs: upper layers may add to it.
  if (!is_dir) {
    if (::mkdirat(dst, name.c_str(), 0700) != 0) {
      return fail_errno("flatten: create directory", child);
    }
    ++stats_.dirs;
  }
  const UniqueFd dst_dir = open_beneath(dst, name, O_RDONLY | O_DIRECTORY);
  if (!dst_dir) {
    return fail_errno("flatten: open directory", child);
  }
  dirs_[child] = st;
  return walk(src_dir.get(), dst_dir.get(), child);
}

Result<> Flattener::empty_dir(int dst, const std::string& name, const std::string& rel) {
  const UniqueFd dir = open_beneath(dst, name, O_RDONLY | O_DIRECTORY);
  if (!dir) {
    return fail_errno("flatten: open directory", rel);
  }
  auto names = list_dir(dir.get(), rel);
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const std::string& child : *names) {
    if (auto removed = remove_entry(dir.get(), child, join(rel, child)); !removed) {
      return removed;
    }
  }
  return {};
}

Result<> Flattener::copy_file(int src, int dst, const std::string& rel, const std::string& name,
                              const struct stat& st) {
  const std::string child = join(rel, name);
  if (st.st_nlink > 1) {
    auto linked = link_earlier(dst, child, name, st);
    if (!linked || *linked) {
      return linked ? Result<>{} : std::unexpected(linked.error());
    }
  }
  if (static_cast<std::uint64_t>(st.st_size) > options_.max_total_bytes - stats_.bytes) {
    return over_cap(child);
  }
  const UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  struct stat opened = {};
  if (!in || ::fstat(in.get(), &opened) != 0) {
    return fail_errno("open layer file", where(child));
  }
  if (!S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino) {
    return fail("open layer file", where(child), "the file changed while the layer was copied");
  }
  const UniqueFd out(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) {
    return fail_errno("flatten: create file", child);
  }
  if (auto copied = copy_data(in.get(), out.get(), child); !copied) {
    return copied;
  }
  if (auto meta = set_meta(out.get(), st, child); !meta) {
    return meta;
  }
  ++stats_.files;
  struct stat made = {};
  if (st.st_nlink > 1 && ::fstat(out.get(), &made) == 0) {
    links_[{st.st_dev, st.st_ino}] = Copied{.rel = child, .target_ino = made.st_ino};
  }
  return {};
}

// A link to this layer's earlier copy of the same inode; false when there is
// none, or the target refuses (too many links), so the caller copies.
Result<bool> Flattener::link_earlier(int dst, const std::string& rel, const std::string& name,
                                     const struct stat& st) {
  const auto found = links_.find({st.st_dev, st.st_ino});
  if (found == links_.end()) {
    return false;
  }
  const std::string& first = found->second.rel;
  const auto slash = first.find_last_of('/');
  const std::string parent_rel = slash == std::string::npos ? "" : first.substr(0, slash);
  const std::string first_name = slash == std::string::npos ? first : first.substr(slash + 1);
  const UniqueFd parent = open_beneath(root_, parent_rel, O_PATH | O_DIRECTORY);
  struct stat current = {};
  if (!parent || ::fstatat(parent.get(), first_name.c_str(), &current, AT_SYMLINK_NOFOLLOW) != 0 ||
      current.st_ino != found->second.target_ino) {
    return false;  // an upper entry of this layer replaced the first copy
  }
  if (::linkat(parent.get(), first_name.c_str(), dst, name.c_str(), 0) != 0) {
    if (errno == EMLINK || errno == EPERM || errno == EXDEV) {
      return false;
    }
    return fail_errno("flatten: link", rel);
  }
  ++stats_.files;
  ++stats_.hardlinks;
  return true;
}

Result<> Flattener::copy_data(int in, int out, const std::string& rel) {
  bool copy_range = true;
  for (;;) {
    // One byte over what is left, to tell "ends at the cap" from "exceeds it".
    const std::uint64_t left = options_.max_total_bytes - stats_.bytes;
    const std::size_t want = std::min<std::uint64_t>(kChunk, left + 1);
    ssize_t got = 0;
    if (copy_range) {
      got = ::copy_file_range(in, nullptr, out, nullptr, want, 0);
      if (got < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        copy_range = false;  // not between these filesystems: plain read/write
        continue;
      }
    } else {
      auto moved = read_write(in, out, want, rel);
      if (!moved) {
        return std::unexpected(moved.error());
      }
      got = static_cast<ssize_t>(*moved);
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail_errno("flatten: copy file", rel);
    }
    if (got == 0) {
      return {};
    }
    if (static_cast<std::uint64_t>(got) > left) {
      return over_cap(rel);
    }
    stats_.bytes += static_cast<std::uint64_t>(got);
  }
}

Result<std::size_t> Flattener::read_write(int in, int out, std::size_t want, const std::string& rel) {
  buffer_.resize(kChunk);
  ssize_t got = 0;
  do {
    got = ::read(in, buffer_.data(), std::min(want, buffer_.size()));
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    return fail_errno("flatten: read layer file", where(rel));
  }
  for (ssize_t done = 0; done < got;) {
    const ssize_t put = ::write(out, buffer_.data() + done, static_cast<std::size_t>(got - done));
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put < 0) {
      return fail_errno("flatten: write file", rel);
    }
    done += put;
  }
  return static_cast<std::size_t>(got);
}

Result<> Flattener::make_symlink(int src, int dst, const std::string& rel, const std::string& name,
                                 const struct stat& st) {
  const std::string child = join(rel, name);
  std::vector<char> link(std::max<std::size_t>(static_cast<std::size_t>(st.st_size), PATH_MAX) + 1);
  const ssize_t got = ::readlinkat(src, name.c_str(), link.data(), link.size());
  if (got < 0 || static_cast<std::size_t>(got) >= link.size()) {
    return fail_errno("read layer symlink", where(child), got < 0 ? errno : ENAMETOOLONG);
  }
  link[static_cast<std::size_t>(got)] = '\0';
  if (::symlinkat(link.data(), dst, name.c_str()) != 0) {
    return fail_errno("flatten: create symlink", child);
  }
  ++stats_.symlinks;
  return set_meta_at(dst, name, st, child);
}

Result<> Flattener::make_special(int dst, const std::string& rel, const std::string& name,
                                 const struct stat& st) {
  const std::string child = join(rel, name);
  const bool device = !S_ISFIFO(st.st_mode);
  if (device && !options_.real_root) {
    ++stats_.skipped;  // what it hid below is gone all the same
    return {};
  }
  if (::mknodat(dst, name.c_str(), (st.st_mode & S_IFMT) | 0600, device ? st.st_rdev : 0) != 0) {
    return fail_errno("flatten: create node", child);
  }
  ++stats_.specials;
  return set_meta_at(dst, name, st, child);
}

Result<> Flattener::set_meta(int fd, const struct stat& st, const std::string& rel) const {
  // chown before chmod: chown clears the setuid and setgid bits.
  if (options_.real_root && ::fchown(fd, st.st_uid, st.st_gid) != 0) {
    return fail_errno("flatten: set owner", rel);
  }
  if (::fchmod(fd, mode_of(st)) != 0) {
    return fail_errno("flatten: set mode", rel);
  }
  const std::array<timespec, 2> times = {st.st_atim, st.st_mtim};
  if (::futimens(fd, times.data()) != 0) {
    return fail_errno("flatten: set times", rel);
  }
  return {};
}

// For symlinks and nodes, which are not opened: never follows `name`.
Result<> Flattener::set_meta_at(int dst, const std::string& name, const struct stat& st,
                                const std::string& rel) const {
  if (options_.real_root && ::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("flatten: set owner", rel);
  }
  // A node was made by this process a moment ago in a directory only it can
  // write to, so following `name` here reaches that node.
  if (!S_ISLNK(st.st_mode) && ::fchmodat(dst, name.c_str(), mode_of(st), 0) != 0) {
    return fail_errno("flatten: set mode", rel);
  }
  const std::array<timespec, 2> times = {st.st_atim, st.st_mtim};
  if (::utimensat(dst, name.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno("flatten: set times", rel);
  }
  return {};
}

Result<> Flattener::apply_dirs(int dir, const std::string& rel) {
  auto names = list_dir(dir, rel);
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const std::string& name : *names) {
    struct stat st = {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail_errno("flatten: stat", join(rel, name));
    }
    if (!S_ISDIR(st.st_mode)) {
      continue;
    }
    const UniqueFd child = open_beneath(dir, name, O_RDONLY | O_DIRECTORY);
    if (!child) {
      return fail_errno("flatten: open directory", join(rel, name));
    }
    if (auto applied = apply_dirs(child.get(), join(rel, name)); !applied) {
      return applied;
    }
  }
  const auto meta = dirs_.find(rel);
  if (meta != dirs_.end()) {
    return set_meta(dir, meta->second, rel);
  }
  if (::fchmod(dir, 0755) != 0) {  // the root when there were no layers
    return fail_errno("flatten: set mode", rel);
  }
  return {};
}

Result<FlattenStats> build(int parent, const std::string& partial_name,
                           const std::vector<std::string>& layers, const FlattenOptions& options) {
  const UniqueFd root(
      ::openat(parent, partial_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return fail_errno("open partial directory", partial_name);
  }
  Flattener flattener(root.get(), options);
  for (const std::string& layer : layers) {
    if (auto done = flattener.layer(layer); !done) {
      return std::unexpected(done.error());
    }
  }
  if (auto done = flattener.finish(); !done) {
    return std::unexpected(done.error());
  }
  return flattener.stats();
}

}  // namespace

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool layer_dir_is_opaque(int dir_fd) {
  struct stat marker = {};
  return xattr_is_y(dir_fd, "user.overlay.opaque") || xattr_is_y(dir_fd, "trusted.overlay.opaque") ||
         ::fstatat(dir_fd, std::string(kOpaqueMarker).c_str(), &marker, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<FlattenStats> flatten_layers(const std::vector<std::string>& layers, const std::string& target,
                                    const FlattenOptions& options) {
  std::string path = target;
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  const auto slash = path.find_last_of('/');
  const std::string parent_path =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == ".." || name == "/") {
    return fail("flatten layers", target, "the target must name a new directory");
  }
  struct stat existing = {};
  if (::lstat(path.c_str(), &existing) == 0) {
    return fail_errno("flatten layers", target, EEXIST);
  }
  const UniqueFd parent(::open(parent_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent) {
    return fail_errno("open target's parent directory", parent_path);
  }
  std::string partial = path + ".partial.XXXXXX";
  if (::mkdtemp(partial.data()) == nullptr) {
    return fail_errno("create partial directory", partial);
  }
  const std::string partial_name = partial.substr(partial.find_last_of('/') + 1);
  auto stats = build(parent.get(), partial_name, layers, options);
  if (stats &&
      ::renameat2(parent.get(), partial_name.c_str(), parent.get(), name.c_str(), RENAME_NOREPLACE) != 0) {
    stats = fail_errno("rename flattened tree into place", target);
  }
  if (!stats) {
    // The error that stopped the flatten is the one to report.
    if (auto removed = remove_tree_at(parent.get(), partial_name); !removed) {
      log::warn("could not remove {}: {}", partial, removed.error().message());
    }
  }
  return stats;
}

UniqueFd open_beneath(int dir, const std::string& path, std::uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const std::string relative = path.empty() ? "." : path;
  return UniqueFd(openat2_retrying(dir, relative.c_str(), how));
}

}  // namespace strata::image
