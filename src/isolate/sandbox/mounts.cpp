// The root is assembled in three moves, as bubblewrap does:
//   1. a private tmpfs becomes a staging root, with the host's root moved
//      under it at /oldroot (so every host path stays reachable by name);
//   2. the new root is built at /newroot from the Plan, each step through the
//      new mount API (fsopen/open_tree + move_mount) onto an fd that was
//      resolved inside the new root, never by a path a rootfs could redirect;
//   3. /oldroot is detached and /newroot becomes "/".
#include "isolate/sandbox/mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "base/fds.hpp"
#include "base/unique_fd.hpp"

namespace strata {

namespace {

constexpr const char* kStage = "/tmp";
constexpr const char* kOldRoot = "/oldroot";
constexpr const char* kNewRoot = "/newroot";

int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

int openat2(int dirfd, const char* path, const open_how& how) {
  return openat2_retrying(dirfd, path, how);
}

Result<> set_attrs(int fd, std::uint64_t attrs, bool recursive) {
  mount_attr attr{};
  attr.attr_set = attrs;
  const unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0U);
  if (::mount_setattr(fd, "", flags, &attr, sizeof attr) != 0) {
    return fail_errno("set mount attributes");
  }
  return {};
}

// Clears attributes on the top mount only.
Result<> clear_attrs(int fd, std::uint64_t attrs) {
  mount_attr attr{};
  attr.attr_clr = attrs;
  if (::mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return fail_errno("clear mount attributes");
  }
  return {};
}

Result<> attach(int tree, int target, const std::string& destination) {
  if (::move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return fail_errno("attach mount at", destination);
  }
  return {};
}

// ---- resolving destinations inside the new root ----------------------------

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool create_entry(int parent, const std::string& name, bool directory) {
  if (directory) {
    return ::mkdirat(parent, name.c_str(), 0755) == 0;
  }
  const UniqueFd file(
      ::openat(parent, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  return file.valid();
}

// Opens `path` (absolute, normalized) beneath `root` as an O_PATH fd, creating
// it as a directory or an empty file when missing. Symlinks are followed only
// inside the root, or refused when `no_symlinks` (a rootfs whose /proc is a
// symlink must not get a proc mounted where the link points).
Result<UniqueFd> resolve(int root, const std::string& path, bool directory, bool no_symlinks) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
  const std::string relative = path == "/" ? "." : path.substr(1);
  UniqueFd fd(openat2(root, relative.c_str(), how));
  if (!fd && errno == ELOOP && no_symlinks) {
    return fail("resolve mount destination", path, "is a symlink or lies under one; refusing to mount there");
  }
  if (!fd && errno == ENOENT) {
    auto parent = resolve(root, parent_of(path), true, no_symlinks);
    if (!parent) {
      return parent;
    }
    const std::string name = base_of(path);
    if (!create_entry(parent->get(), name, directory)) {
      return fail_errno("create mount point", path);
    }
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    fd.reset(openat2(parent->get(), name.c_str(), how));
  }
  if (!fd) {
    return fail_errno("resolve mount destination", path);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno("stat mount destination", path);
  }
  if (S_ISDIR(st.st_mode) != directory) {
    return fail("resolve mount destination", path,
                directory ? "exists and is not a directory" : "is a directory, the source is not");
  }
  return fd;
}

// ---- the steps --------------------------------------------------------------

Result<UniqueFd> new_filesystem(const char* type, const MountStep& step, std::uint64_t attrs) {
  UniqueFd fs(::fsopen(type, FSOPEN_CLOEXEC));
  if (!fs) {
    return fail_errno(std::string("open filesystem ") + type, step.destination);
  }
  const auto set = [&](const char* key, const std::string& value) {
    return ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) == 0;
  };
  bool ok = true;
  if (!step.mode.empty()) {
    ok = set("mode", step.mode);
  }
  if (ok && step.size != 0) {
    ok = set("size", std::to_string(step.size));
  }
  if (ok && step.kind == StepKind::devpts) {
    ok = ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "newinstance", nullptr, 0) == 0 && set("ptmxmode", "0666") &&
         set("mode", "0620");
  }
  if (!ok || ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return fail_errno(std::string("create filesystem ") + type, step.destination);
  }
  UniqueFd mount(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs)));
  if (!mount) {
    return fail_errno(std::string("mount filesystem ") + type, step.destination);
  }
  return mount;
}

// A host path as the host sees it: resolved beneath /oldroot, so an absolute
// symlink on the way (/home -> /srv/home) means the host's /srv, not the
// staging root's.
Result<UniqueFd> clone_tree(const std::string& source, bool recursive) {
  const UniqueFd old_root(::open(kOldRoot, O_PATH | O_DIRECTORY | O_CLOEXEC));
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = source.find_first_not_of('/') == std::string::npos ? "." : source.substr(1);
  const UniqueFd at(old_root ? openat2(old_root.get(), relative.c_str(), how) : -1);
  if (!at) {
    return fail_errno("bind mount source", source);
  }
  UniqueFd tree(::open_tree(
      at.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0U)));
  if (!tree) {
    return fail_errno("bind mount source", source);
  }
  return tree;
}

Result<> mount_bind(int root, const MountStep& step) {
  auto tree = clone_tree(step.source, true);
  if (!tree) {
    return std::unexpected(tree.error());
  }
  struct stat st = {};
  if (::fstat(tree->get(), &st) != 0) {
    return fail_errno("stat bind source", step.source);
  }
  const std::uint64_t attrs = MOUNT_ATTR_NOSUID | (step.read_only ? MOUNT_ATTR_RDONLY : 0);
  if (auto ok = set_attrs(tree->get(), attrs, true); !ok) {
    return fail_errno("make bind mount read-only", step.source, ok.error().err);
  }
  auto target = resolve(root, step.destination, S_ISDIR(st.st_mode), step.no_symlinks);
  if (!target) {
    return std::unexpected(target.error());
  }
  return attach(tree->get(), target->get(), step.destination);
}

// A host device node bound onto an empty file: a user namespace cannot mknod.
// The source is checked to really be a character device, so a host whose
// /dev/null was replaced cannot hand the sandbox something else.
Result<> mount_device(int root, const MountStep& step) {
  auto tree = clone_tree(step.source, false);
  if (!tree) {
    return std::unexpected(tree.error());
  }
  struct stat st = {};
  if (::fstat(tree->get(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return fail("bind device", step.source, "is not a character device");
  }
  if (auto ok = set_attrs(tree->get(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false); !ok) {
    return std::unexpected(ok.error());
  }
  auto target = resolve(root, step.destination, false, true);
  if (!target) {
    return std::unexpected(target.error());
  }
  return attach(tree->get(), target->get(), step.destination);
}

Result<> mount_new(int root, const MountStep& step) {
  const char* type = "tmpfs";
  std::uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (step.kind == StepKind::proc || step.kind == StepKind::sysfs) {
    type = step.kind == StepKind::proc ? "proc" : "sysfs";
    attrs |= MOUNT_ATTR_NOEXEC;
  } else if (step.kind == StepKind::devpts) {
    type = "devpts";
    attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
  }
  if (step.read_only) {
    attrs |= MOUNT_ATTR_RDONLY;
  }
  auto mount = new_filesystem(type, step, attrs);
  if (!mount) {
    return std::unexpected(mount.error());
  }
  auto target = resolve(root, step.destination, true, step.no_symlinks);
  if (!target) {
    return std::unexpected(target.error());
  }
  return attach(mount->get(), target->get(), step.destination);
}

// Opens an existing path beneath root without following any symlink; an
// empty fd when it does not exist (masks apply only to what is there).
Result<UniqueFd> lookup(int root, const std::string& path) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
  UniqueFd fd(openat2(root, path.substr(1).c_str(), how));
  if (!fd && errno != ENOENT) {
    return fail_errno("look up", path);
  }
  return fd;
}

// Masked files are covered by an empty read-only file of strata's own,
// created in the staging tmpfs: reads see nothing, writes fail with EROFS,
// and no rootfs-controlled /dev/null is involved (CVE-2025-31133).
constexpr const char* kMaskFile = "/mask";

Result<UniqueFd> mask_file() {
  UniqueFd tree(::open_tree(AT_FDCWD, kMaskFile, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) {
    return fail_errno("clone mask source", kMaskFile);
  }
  if (auto ok = set_attrs(
          tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false);
      !ok) {
    return std::unexpected(ok.error());
  }
  return tree;
}

Result<> mask(int root, const MountStep& step) {
  auto target = lookup(root, step.destination);
  if (!target || !*target) {
    return target ? Result<>{} : std::unexpected(target.error());
  }
  struct stat st = {};
  if (::fstat(target->get(), &st) != 0) {
    return fail_errno("stat masked path", step.destination);
  }
  auto cover =
      S_ISDIR(st.st_mode)
          ? new_filesystem("tmpfs", MountStep{.kind = StepKind::tmpfs, .mode = "0755"},
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)
          : mask_file();
  if (!cover) {
    return std::unexpected(cover.error());
  }
  return attach(cover->get(), target->get(), step.destination);
}

Result<> remount_read_only(int root, const MountStep& step) {
  auto target = lookup(root, step.destination);
  if (!target || !*target) {
    return target ? Result<>{} : std::unexpected(target.error());
  }
  UniqueFd tree(
      ::open_tree(target->get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
  if (!tree) {
    return fail_errno("clone mount", step.destination);
  }
  if (auto ok = set_attrs(tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, true); !ok) {
    return fail_errno("make read-only", step.destination, ok.error().err);
  }
  return attach(tree.get(), target->get(), step.destination);
}

Result<> make_symlink(int root, const MountStep& step) {
  auto parent = resolve(root, parent_of(step.destination), true, true);
  if (!parent) {
    return std::unexpected(parent.error());
  }
  if (::symlinkat(step.source.c_str(), parent->get(), base_of(step.destination).c_str()) != 0) {
    return fail_errno("create symlink", step.destination);
  }
  return {};
}

Result<> apply(int root, const MountStep& step) {
  switch (step.kind) {
    case StepKind::bind:
      return mount_bind(root, step);
    case StepKind::dev_node:
      return mount_device(root, step);
    case StepKind::symlink:
      return make_symlink(root, step);
    case StepKind::tmpfs:
    case StepKind::proc:
    case StepKind::sysfs:
    case StepKind::devpts:
      return mount_new(root, step);
    case StepKind::mask:
      return mask(root, step);
    case StepKind::read_only:
      return remount_read_only(root, step);
  }
  return {};
}

// ---- the three moves ---------------------------------------------------------

Result<> enter_stage() {
  // Nothing done from here on may propagate back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail_errno("make mounts private", "/");
  }
  if (::mount("tmpfs", kStage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0) {
    return fail_errno("mount staging tmpfs", kStage);
  }
  if (::chdir(kStage) != 0 || ::mkdir("newroot", 0755) != 0 || ::mkdir("oldroot", 0755) != 0 ||
      !UniqueFd(::open("mask", O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0444)).valid()) {
    return fail_errno("prepare staging tmpfs", kStage);
  }
  if (pivot_root(".", "oldroot") != 0 || ::chdir("/") != 0) {
    return fail_errno("pivot_root into staging tmpfs", kStage);
  }
  return {};
}

// The kernel's own words on a refused fsconfig ("overlayfs: failed to
// resolve ..."), queued on the filesystem context.
std::string context_message(int fs) {
  std::array<char, 512> buffer{};
  const ssize_t n = ::read(fs, buffer.data(), buffer.size() - 1);
  return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
}

// Layers as lowerdir+ one by one (Linux 6.8: no length limit), else as one
// colon-separated lowerdir.
bool set_lowers(int fs, const std::vector<std::string>& lowers) {
  bool appended = true;
  for (const auto& lower : lowers) {
    const std::string path = kOldRoot + lower;
    if (::fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", path.c_str(), 0) != 0) {
      appended = false;
      break;
    }
  }
  if (appended) {
    return true;
  }
  std::string joined;
  for (const auto& lower : lowers) {
    joined += (joined.empty() ? "" : ":") + (kOldRoot + lower);
  }
  return ::fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", joined.c_str(), 0) == 0;
}

// The image's layers under an upper directory, mounted in the sandbox's user
// namespace, so overlayfs keeps its own metadata in user.overlay.* xattrs.
// Without a host directory the upper lives on the staging tmpfs, which the
// overlay keeps alive after the staging root is detached and which ends with
// the sandbox; a read-only root uses it for the mount points the Plan needs
// and is made read-only at the end.
Result<UniqueFd> mount_overlay(const OverlayRoot& overlay) {
  std::string upper = overlay.upper.empty() ? "/overlay-upper" : kOldRoot + overlay.upper;
  std::string work = overlay.upper.empty() ? "/overlay-work" : kOldRoot + overlay.work;
  if (overlay.upper.empty() && (::mkdir(upper.c_str(), 0755) != 0 || ::mkdir(work.c_str(), 0700) != 0)) {
    return fail_errno("create the overlay's private upper directory");
  }
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) {
    return fail_errno("open filesystem overlay", "/", errno);
  }
  const auto set = [&fs](const char* key, const std::string& value) {
    return ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) == 0;
  };
  const auto flag = [&fs](const char* key) {
    return ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key, nullptr, 0) == 0;
  };
  const bool configured = set_lowers(fs.get(), overlay.lowers) && set("upperdir", upper) &&
                          set("workdir", work) && flag("userxattr") &&
                          (!overlay.volatile_upper || flag("volatile"));
  if (!configured || ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    const int err = errno;
    auto error = fail_errno("mount the image's layers with overlayfs", overlay.lowers.front(), err);
    if (auto message = context_message(fs.get()); !message.empty()) {
      error.error().detail = message;
    }
    return error;
  }
  UniqueFd mount(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mount) {
    return fail_errno("mount the image's layers with overlayfs", overlay.lowers.front());
  }
  return mount;
}

Result<UniqueFd> mount_root(const Plan& plan) {
  UniqueFd target(::open(kNewRoot, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!target) {
    return fail_errno("open", kNewRoot);
  }
  Result<> attached;
  if (plan.overlay) {
    auto mount = mount_overlay(*plan.overlay);
    if (!mount) {
      return std::unexpected(mount.error());
    }
    attached = attach(mount->get(), target.get(), "/");
  } else if (plan.rootfs) {
    auto tree = clone_tree(*plan.rootfs, true);
    if (!tree) {
      return std::unexpected(tree.error());
    }
    // Submounts of the rootfs become read-only now; the top stays writable
    // until enter_root, so missing mount points can still be created.
    if (plan.root_read_only) {
      if (auto ok = set_attrs(tree->get(), MOUNT_ATTR_RDONLY, true); !ok) {
        return fail_errno("make the rootfs read-only", *plan.rootfs, ok.error().err);
      }
      // A rootfs that was already read-only where it came from (a VM guest's
      // root share) keeps that flag locked in a user namespace: then its
      // mount points must exist already, and a missing one fails later, named.
      if (auto ok = clear_attrs(tree->get(), MOUNT_ATTR_RDONLY); !ok && ok.error().err != EPERM) {
        return fail_errno("prepare the rootfs", *plan.rootfs, ok.error().err);
      }
    }
    attached = attach(tree->get(), target.get(), "/");
  } else {
    auto mount =
        new_filesystem("tmpfs", MountStep{.kind = StepKind::tmpfs, .destination = "/", .mode = "0755"},
                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (!mount) {
      return std::unexpected(mount.error());
    }
    attached = attach(mount->get(), target.get(), "/");
  }
  if (!attached) {
    return std::unexpected(attached.error());
  }
  UniqueFd root(::open(kNewRoot, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    return fail_errno("open", kNewRoot);
  }
  return root;
}

Result<> enter_root(int root, bool read_only) {
  if (::umount2(kOldRoot, MNT_DETACH) != 0) {
    return fail_errno("detach the host's root", kOldRoot);
  }
  // pivot_root(".", ".") stacks the staging root on top of the new one; the
  // detach then leaves only the new root.
  if (::fchdir(root) != 0 || pivot_root(".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0 ||
      ::chdir("/") != 0) {
    return fail_errno("pivot_root into the new root");
  }
  if (read_only) {
    UniqueFd self(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (auto ok = set_attrs(self.get(), MOUNT_ATTR_RDONLY, false); !ok) {
      return fail_errno("make the root read-only", "/", ok.error().err);
    }
  }
  return {};
}

}  // namespace

Result<> enter_new_root(const Plan& plan) {
  if (auto ok = enter_stage(); !ok) {
    return ok;
  }
  auto root = mount_root(plan);
  if (!root) {
    return std::unexpected(root.error());
  }
  for (const auto& step : plan.mounts) {
    if (auto ok = apply(root->get(), step); !ok) {
      return ok;
    }
  }
  return enter_root(root->get(), plan.root_read_only);
}

}  // namespace strata
