// Flattening layer directories (image/flatten.hpp): the copy must show what
// the kernel's overlayfs shows for the same layers, mounted read-only in a
// child's own user and mount namespaces, and must never write outside its
// target, whatever symlinks the lower layers planted.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ranges>
#include <string>
#include <vector>

#include "image/flatten.hpp"
#include "unpack_support.hpp"

namespace strata::image {
namespace {

namespace fs = std::filesystem;
using test_support::hash_tree;
using test_support::read_text;

void put(const fs::path& path, const std::string& text, mode_t mode = 0644) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

void make_dir(const fs::path& path, mode_t mode = 0755) {
  fs::create_directories(path);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

void whiteout(const fs::path& path) {
  fs::create_directories(path.parent_path());
  ASSERT_EQ(::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)), 0) << path << ": " << std::strerror(errno);
}

// Marks `dir` opaque with the xattr overlayfs reads in a user namespace;
// false when the filesystem takes no user xattrs (then the marker file is
// used, which the kernel does not understand).
bool make_opaque(const fs::path& dir) {
  make_dir(dir);
  if (::setxattr(dir.c_str(), "user.overlay.opaque", "y", 1, 0) == 0) {
    return true;
  }
  put(dir / ".wh..wh..opq", "");
  return false;
}

std::string type_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "symlink";
    case S_IFIFO:
      return "fifo";
    case S_IFCHR:
      return "chr";
    default:
      return "other";
  }
}

// One line per entry below `root` (and the root itself): name, type, mode,
// mtime, and the contents or link target. Never follows symlinks.
void describe_into(const fs::path& root, const std::string& rel, std::vector<std::string>& lines) {
  const fs::path path = rel.empty() ? root : root / rel;
  struct stat st = {};
  if (::lstat(path.c_str(), &st) != 0) {
    // overlayfs lists the whiteouts of a directory that only one layer has
    // (it does not filter a directory it does not merge), yet looking them
    // up gives ENOENT: they are not there for anything but readdir.
    if (errno != ENOENT) {
      lines.push_back(rel + " <lstat: " + std::strerror(errno) + ">");
    }
    return;
  }
  std::string line = (rel.empty() ? "." : rel) + " " + type_of(st.st_mode) + " " +
                     std::to_string(st.st_mode & 07777) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
                     std::to_string(st.st_mtim.tv_nsec);
  if (S_ISREG(st.st_mode)) {
    line += " [" + read_text(path) + "]";
  } else if (S_ISLNK(st.st_mode)) {
    line += " -> " + fs::read_symlink(path).string();
  }
  lines.push_back(line);
  if (S_ISDIR(st.st_mode)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      describe_into(root, (rel.empty() ? "" : rel + "/") + entry.path().filename().string(), lines);
    }
  }
}

std::string describe_tree(const fs::path& root) {
  std::vector<std::string> lines;
  describe_into(root, "", lines);
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const std::string& line : lines) {
    text += line + "\n";
  }
  return text;
}

bool write_text(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) {
    ::close(fd);
  }
  return ok;
}

// In the forked child: a user and mount namespace of its own, the overlay
// mounted there, and the tree described; or "error: why".
std::string child_view(const std::string& lowerdir, const fs::path& mnt, uid_t uid, gid_t gid) {
  const auto failed = [](const std::string& step) {
    return "error: " + step + ": " + std::strerror(errno);
  };
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    return failed("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
  }
  if (!write_text("/proc/self/setgroups", "deny") ||
      !write_text("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
      !write_text("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
    return failed("write the id maps");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return failed("make mounts private");
  }
  const std::string options = "lowerdir=" + lowerdir + ",userxattr";
  if (::mount("overlay", mnt.c_str(), "overlay", MS_RDONLY, options.c_str()) != 0) {
    return failed("mount overlay " + options);
  }
  return "ok\n" + describe_tree(mnt);
}

// What the kernel's overlayfs shows for `layers` (bottom first), or why it
// could not be mounted.
std::expected<std::string, std::string> overlay_view(const std::vector<fs::path>& layers,
                                                     const fs::path& mnt) {
  fs::create_directories(mnt);
  std::string lowerdir;
  for (const fs::path& layer : std::ranges::reverse_view(layers)) {
    lowerdir += (lowerdir.empty() ? "" : ":") + layer.string();
  }
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return std::unexpected(std::string("pipe2: ") + std::strerror(errno));
  }
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const std::string out = child_view(lowerdir, mnt, uid, gid);
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t put = ::write(fds[1], out.data() + done, out.size() - done);
      if (put <= 0) {
        break;
      }
      done += static_cast<std::size_t>(put);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  std::array<char, 4096> buffer{};
  for (ssize_t got = 0; (got = ::read(fds[0], buffer.data(), buffer.size())) > 0;) {
    out.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!out.starts_with("ok\n")) {
    return std::unexpected(out.empty() ? "the child died" : out);
  }
  return out.substr(3);
}

void make_writable(const fs::path& dir) {
  std::error_code ignored;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ignored);
  for (auto it = fs::recursive_directory_iterator(dir, ignored); it != fs::recursive_directory_iterator();
       it.increment(ignored)) {
    if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    }
  }
}

class ImageFlatten : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "strata-flatten-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    sentinel_ = base_ / "sentinel";
    put(sentinel_ / "secret", "do not touch\n", 0600);
    put(sentinel_ / "sub" / "file", "nor this\n");
    fs::create_symlink("secret", sentinel_ / "link");
    sentinel_hash_ = hash_tree(sentinel_);
    target_ = base_ / "out";
  }
  void TearDown() override {
    EXPECT_EQ(hash_tree(sentinel_), sentinel_hash_) << "the sentinel beside the target changed";
    make_writable(base_);
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  // Layer `n` (1 is the bottom), created on first use.
  fs::path layer(int n) {
    const fs::path path = base_ / ("l" + std::to_string(n));
    if (!fs::exists(path)) {
      make_dir(path);
      layers_.resize(std::max<std::size_t>(layers_.size(), static_cast<std::size_t>(n)));
    }
    layers_[static_cast<std::size_t>(n - 1)] = path;
    return path;
  }

  Result<FlattenStats> flatten(FlattenOptions options = {}) {
    std::vector<std::string> paths;
    paths.reserve(layers_.size());
    for (const fs::path& path : layers_) {
      paths.push_back(path.string());
    }
    return flatten_layers(paths, target_.string(), options);
  }

  // The flattened tree equals the kernel's overlay of the same layers.
  void expect_same_as_overlayfs() {
    auto kernel = overlay_view(layers_, base_ / "mnt");
    if (!kernel) {
      GTEST_SKIP() << "overlayfs could not be mounted to compare with: " << kernel.error();
    }
    EXPECT_EQ(describe_tree(target_), *kernel);
  }

  // Nothing beside the target but the layers, the sentinel and the mount point.
  void expect_nothing_left(bool with_target) {
    for (const auto& entry : fs::directory_iterator(base_)) {
      const std::string name = entry.path().filename().string();
      const bool expected = name == "sentinel" || name == "mnt" || (name.size() == 2 && name[0] == 'l') ||
                            (with_target && name == "out");
      EXPECT_TRUE(expected) << "left behind: " << name;
    }
  }

  fs::path base_;
  fs::path sentinel_;
  fs::path target_;
  std::string sentinel_hash_;
  std::vector<fs::path> layers_;
};

bool exists_nofollow(const fs::path& path) {
  struct stat st = {};
  return ::lstat(path.c_str(), &st) == 0;
}

mode_t mode_of(const fs::path& path) {
  struct stat st = {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

// Three layers with every kind of overlay: whiteouts of a file and of a
// directory, an opaque directory, a directory replaced by a file and the
// reverse, a 0555 directory merged, symlinks and a fifo. `xattr` says whether
// the opaque directory is marked by xattr (else by the marker file).
void make_mixed_layers(const std::function<fs::path(int)>& layer, bool* xattr) {
  const fs::path l1 = layer(1);
  put(l1 / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  put(l1 / "etc/gone", "whited out");
  put(l1 / "etc/keep", "kept");
  put(l1 / "opt/app/bin/tool", "#!/bin/sh\n", 0755);
  put(l1 / "opt/app/lib/x", "lib");
  put(l1 / "data/old", "old");
  put(l1 / "data/sub/deep", "deep");
  put(l1 / "dir_to_file/child", "child");
  put(l1 / "file_to_dir", "a file");
  put(l1 / "ro/first", "first");
  EXPECT_EQ(::chmod((l1 / "ro").c_str(), 0555), 0);
  fs::create_symlink("etc/passwd", l1 / "link");
  EXPECT_EQ(::mkfifo((l1 / "pipe").c_str(), 0640), 0);
  const fs::path l2 = layer(2);
  put(l2 / "etc/passwd", "root:x:0:0::/root:/bin/bash\n", 0600);
  whiteout(l2 / "etc/gone");
  whiteout(l2 / "opt/app");
  *xattr = make_opaque(l2 / "data");
  put(l2 / "data/new", "new");
  put(l2 / "dir_to_file", "now a file", 0640);
  put(l2 / "file_to_dir/inside", "now a dir");
  make_dir(l2 / "ro");
  put(l2 / "ro/second", "second");
  EXPECT_EQ(::chmod((l2 / "ro").c_str(), 0555), 0);
  const fs::path l3 = layer(3);
  put(l3 / "data/top", "top");
  put(l3 / "opt/app/fresh", "back again");
  fs::create_symlink("/etc/keep", l3 / "link2");
}

TEST_F(ImageFlatten, WhiteoutsOpaqueDirsAndReplacementsMatchOverlayfs) {
  bool xattr = false;
  make_mixed_layers([this](int n) { return layer(n); }, &xattr);
  const fs::path l1 = layer(1);
  const fs::path l2 = layer(2);

  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(read_text(target_ / "etc/passwd"), "root:x:0:0::/root:/bin/bash\n");
  EXPECT_EQ(mode_of(target_ / "etc/passwd") & 07777, 0600U);
  EXPECT_FALSE(exists_nofollow(target_ / "etc/gone"));
  EXPECT_EQ(read_text(target_ / "etc/keep"), "kept");
  EXPECT_FALSE(exists_nofollow(target_ / "opt/app/bin"));
  EXPECT_EQ(read_text(target_ / "opt/app/fresh"), "back again");
  EXPECT_FALSE(exists_nofollow(target_ / "data/old"));
  EXPECT_FALSE(exists_nofollow(target_ / "data/sub"));
  EXPECT_FALSE(exists_nofollow(target_ / "data/.wh..wh..opq"));
  EXPECT_EQ(read_text(target_ / "data/new"), "new");
  EXPECT_EQ(read_text(target_ / "data/top"), "top");
  EXPECT_TRUE(S_ISREG(mode_of(target_ / "dir_to_file")));
  EXPECT_EQ(read_text(target_ / "file_to_dir/inside"), "now a dir");
  EXPECT_EQ(read_text(target_ / "ro/first"), "first");
  EXPECT_EQ(read_text(target_ / "ro/second"), "second");
  EXPECT_EQ(mode_of(target_ / "ro") & 07777, 0555U);
  EXPECT_EQ(fs::read_symlink(target_ / "link"), "etc/passwd");
  EXPECT_TRUE(S_ISFIFO(mode_of(target_ / "pipe")));
  EXPECT_EQ(stats->whiteouts, 2U);
  EXPECT_EQ(stats->opaque_dirs, 1U);
  EXPECT_EQ(stats->symlinks, 2U);
  EXPECT_EQ(stats->specials, 1U);
  // Every regular file of every layer, upper copies of a path included.
  EXPECT_EQ(stats->bytes, fs::file_size(l1 / "etc/passwd") + fs::file_size(l2 / "etc/passwd") + 50 + 28 + 13);
  expect_nothing_left(true);
  if (!xattr) {
    GTEST_SKIP() << "the temporary filesystem takes no user xattrs: opaque by marker file, which "
                    "overlayfs does not read, so no comparison with it";
  }
  expect_same_as_overlayfs();
}

TEST_F(ImageFlatten, OpaqueMarkerFileHidesLowerContentsAndIsNotCopied) {
  put(layer(1) / "d/a", "a");
  put(layer(1) / "d/sub/b", "b");
  put(layer(2) / "d/.wh..wh..opq", "");
  put(layer(2) / "d/c", "c");
  put(layer(2) / ".wh..wh..opq", "");  // at a layer's root: ignored, as overlayfs does
  put(layer(2) / "e", "e");
  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_FALSE(exists_nofollow(target_ / "d/a"));
  EXPECT_FALSE(exists_nofollow(target_ / "d/sub"));
  EXPECT_FALSE(exists_nofollow(target_ / "d/.wh..wh..opq"));
  EXPECT_FALSE(exists_nofollow(target_ / ".wh..wh..opq"));
  EXPECT_EQ(read_text(target_ / "d/c"), "c");
  EXPECT_EQ(read_text(target_ / "e"), "e");
  EXPECT_EQ(stats->opaque_dirs, 1U);
}

TEST_F(ImageFlatten, SymlinksOfLowerLayersAreReplacedNeverWrittenThrough) {
  const fs::path l1 = layer(1);
  fs::create_symlink("/", l1 / "evil");
  fs::create_symlink("../sentinel", l1 / "esc");
  fs::create_symlink("../sentinel", l1 / "esc_whiteouts");
  fs::create_symlink("../sentinel", l1 / "esc_opaque");
  fs::create_symlink("../sentinel/secret", l1 / "file_link");
  const fs::path l2 = layer(2);
  put(l2 / "evil/etc/passwd", "pwned");
  put(l2 / "evil/tmp/strata-flatten-escape", "pwned");
  put(l2 / "esc/secret", "pwned");
  put(l2 / "esc/new", "pwned");
  whiteout(l2 / "esc_whiteouts/secret");
  whiteout(l2 / "esc_whiteouts/sub");
  const bool xattr = make_opaque(l2 / "esc_opaque");
  put(l2 / "esc_opaque/x", "x");
  put(l2 / "file_link", "pwned");

  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_TRUE(S_ISDIR(mode_of(target_ / "evil")));
  EXPECT_EQ(read_text(target_ / "evil/etc/passwd"), "pwned");
  EXPECT_NE(read_text("/etc/passwd"), "pwned");
  EXPECT_FALSE(exists_nofollow("/tmp/strata-flatten-escape"));
  EXPECT_EQ(read_text(target_ / "esc/secret"), "pwned");
  EXPECT_TRUE(S_ISDIR(mode_of(target_ / "esc_whiteouts")));
  EXPECT_TRUE(fs::is_empty(target_ / "esc_whiteouts"));
  EXPECT_TRUE(S_ISREG(mode_of(target_ / "file_link")));
  // The sentinel is checked in TearDown.
  expect_nothing_left(true);
  if (xattr) {
    expect_same_as_overlayfs();
  }
}

TEST_F(ImageFlatten, HardlinksInOneLayerStayLinked) {
  put(layer(1) / "a", "shared");
  ASSERT_EQ(::link((layer(1) / "a").c_str(), (layer(1) / "b").c_str()), 0);
  put(layer(1) / "sub/placeholder", "");
  ASSERT_EQ(::link((layer(1) / "a").c_str(), (layer(1) / "sub/c").c_str()), 0);
  put(layer(2) / "b", "replaced above");
  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  struct stat a = {};
  struct stat b = {};
  struct stat c = {};
  ASSERT_EQ(::lstat((target_ / "a").c_str(), &a), 0);
  ASSERT_EQ(::lstat((target_ / "b").c_str(), &b), 0);
  ASSERT_EQ(::lstat((target_ / "sub/c").c_str(), &c), 0);
  EXPECT_EQ(a.st_ino, c.st_ino);
  EXPECT_NE(a.st_ino, b.st_ino) << "the upper layer's b is its own file";
  EXPECT_EQ(read_text(target_ / "sub/c"), "shared");
  EXPECT_EQ(read_text(target_ / "b"), "replaced above");
  EXPECT_EQ(stats->hardlinks, 2U);
  EXPECT_EQ(stats->bytes, 6U + 14U);
}

TEST_F(ImageFlatten, SetuidAndSetgidDroppedUnlessRealRoot) {
  put(layer(1) / "suid", "s", 04755);
  put(layer(1) / "sgid", "g", 02755);
  put(layer(1) / "sticky/x", "x");
  ASSERT_EQ(::chmod((layer(1) / "sticky").c_str(), 01777), 0);
  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(mode_of(target_ / "suid") & 07777, 0755U);
  EXPECT_EQ(mode_of(target_ / "sgid") & 07777, 0755U);
  EXPECT_EQ(mode_of(target_ / "sticky") & 07777, 01777U);
  if (!running_as_real_root()) {
    GTEST_SKIP() << "not real root: cannot check that real_root keeps the bits and owners";
  }
  ASSERT_EQ(::chown((layer(1) / "suid").c_str(), 1234, 1234), 0);
  ASSERT_EQ(::chmod((layer(1) / "suid").c_str(), 04755), 0);
  fs::remove_all(target_);
  auto as_root = flatten({.real_root = true});
  ASSERT_TRUE(as_root) << as_root.error().message();
  struct stat st = {};
  ASSERT_EQ(::lstat((target_ / "suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755U);
  EXPECT_EQ(st.st_uid, 1234U);
  EXPECT_EQ(mode_of(target_ / "sgid") & 07777, 02755U);
}

TEST_F(ImageFlatten, DevicesSkippedUnlessRealRootButStillHideWhatIsBelow) {
  put(layer(1) / "null", "a file below the device");
  if (::mknod((layer(2) / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node to flatten: " << std::strerror(errno);
  }
  auto stats = flatten();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_FALSE(exists_nofollow(target_ / "null"));
  EXPECT_EQ(stats->skipped, 1U);
  if (!running_as_real_root()) {
    return;
  }
  fs::remove_all(target_);
  auto as_root = flatten({.real_root = true});
  ASSERT_TRUE(as_root) << as_root.error().message();
  struct stat st = {};
  ASSERT_EQ(::lstat((target_ / "null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

TEST_F(ImageFlatten, ByteCapFailsCleanly) {
  put(layer(1) / "a", std::string(60, 'a'));
  put(layer(2) / "b", std::string(40, 'b'));
  auto exact = flatten({.max_total_bytes = 100});
  ASSERT_TRUE(exact) << exact.error().message();
  EXPECT_EQ(exact->bytes, 100U);
  fs::remove_all(target_);
  auto over = flatten({.max_total_bytes = 99});
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message().find("cap of 99 bytes"), std::string::npos) << over.error().message();
  EXPECT_FALSE(exists_nofollow(target_));
  expect_nothing_left(false);
}

TEST_F(ImageFlatten, FailureLeavesNoTargetAndAnExistingTargetIsRefused) {
  put(layer(1) / "a", "a");
  layers_.push_back(base_ / "no-such-layer");
  auto missing = flatten();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("no-such-layer"), std::string::npos);
  expect_nothing_left(false);
  layers_.pop_back();
  make_dir(target_);
  put(target_ / "mine", "mine");
  auto exists = flatten();
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().err, EEXIST);
  EXPECT_EQ(read_text(target_ / "mine"), "mine");
  expect_nothing_left(true);
}

}  // namespace
}  // namespace strata::image
