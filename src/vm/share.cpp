#include "vm/share.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <map>

namespace strata::vm {

namespace {

namespace fs = std::filesystem;

// virtiofsd's mount namespace is its own: a tmpfs here hides nothing on the
// host. Every source is opened before it is mounted over.
constexpr const char* kStage = "/tmp";
constexpr const char* kRoot = "/tmp/root";

std::string fd_path(int fd) {
  return fmt::format("/proc/self/fd/{}", fd);
}

Result<> mount_or_fail(const std::string& source, const std::string& target, const char* type,
                       unsigned long flags, const std::string& data, const std::string& what) {
  if (::mount(source.c_str(), target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0) {
    return fail_errno("serve the VM's root: " + what, target);
  }
  return {};
}

Result<> make_read_only(const std::string& target) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::syscall(SYS_mount_setattr, AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return fail_errno("serve the VM's root: make read-only", target);
  }
  return {};
}

// A mount point for a bind: a directory, or an empty file for a file.
Result<> mount_point(const std::string& target, bool directory) {
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  if (directory) {
    fs::create_directory(target, ec);
  } else if (!fs::exists(target, ec)) {
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (!fs::exists(target, ec)) {
    return fail("serve the VM's root", target.substr(std::strlen(kRoot)),
                "cannot create the mount point (its parent is read-only in the root)");
  }
  return {};
}

// Runs in virtiofsd's child, before exec: builds the tree at kRoot.
Result<> stage_root(const Plan& plan) {
  if (::unshare(CLONE_NEWNS) != 0) {
    return fail_errno("serve the VM's root: new mount namespace");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail_errno("serve the VM's root: make mounts private");
  }
  // Open every source first: the staging tmpfs may cover some of them.
  std::map<std::string, int> sources;
  const auto open_source = [&sources](const std::string& path) -> Result<> {
    if (sources.contains(path)) {
      return {};
    }
    const int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) {
      return fail_errno("serve the VM's root: open", path);
    }
    sources[path] = fd;
    return {};
  };
  for (const auto& step : plan.mounts) {
    if (step.kind == StepKind::bind) {
      if (auto ok = open_source(step.source); !ok) {
        return ok;
      }
    }
  }
  if (plan.rootfs) {
    if (auto ok = open_source(*plan.rootfs); !ok) {
      return ok;
    }
  }
  if (plan.overlay) {
    for (const auto& lower : plan.overlay->lowers) {
      if (auto ok = open_source(lower); !ok) {
        return ok;
      }
    }
    for (const auto* dir : {&plan.overlay->upper, &plan.overlay->work}) {
      if (!dir->empty()) {
        if (auto ok = open_source(*dir); !ok) {
          return ok;
        }
      }
    }
  }
  if (auto ok = mount_or_fail("tmpfs", kStage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", "stage"); !ok) {
    return ok;
  }
  ::mkdir(kRoot, 0755);
  // Mount points are made where the tree is writable here: strata's own
  // tmpfs, an image's writable layer, and (as runc and the sandbox do) a
  // --rootfs, before it is made read-only. A read-only image has none.
  const bool own_tree = !(plan.overlay && plan.root_read_only);
  if (plan.overlay) {
    const OverlayRoot& o = *plan.overlay;
    std::string lowers;
    for (const auto& lower : o.lowers) {
      lowers += (lowers.empty() ? "" : ":") + fd_path(sources.at(lower));
    }
    std::string data = "lowerdir=" + lowers;
    if (!plan.root_read_only) {
      std::string upper = "/tmp/upper";
      std::string work = "/tmp/work";
      if (!o.upper.empty()) {
        upper = fd_path(sources.at(o.upper));
        work = fd_path(sources.at(o.work));
      } else {
        ::mkdir(upper.c_str(), 0755);
        ::mkdir(work.c_str(), 0755);
      }
      data += ",upperdir=" + upper + ",workdir=" + work;
    }
    if (plan.root_read_only && o.lowers.size() == 1) {
      if (auto ok = mount_or_fail(fd_path(sources.at(o.lowers.front())), kRoot, nullptr, MS_BIND | MS_REC, {},
                                  "bind the image's layer");
          !ok) {
        return ok;
      }
    } else if (auto ok = mount_or_fail("overlay", kRoot, "overlay", 0, data, "stack the image's layers");
               !ok) {
      return ok;
    }
  } else if (plan.rootfs) {
    if (auto ok = mount_or_fail(fd_path(sources.at(*plan.rootfs)), kRoot, nullptr, MS_BIND | MS_REC, {},
                                "bind --rootfs");
        !ok) {
      return ok;
    }
  } else if (auto ok = mount_or_fail("tmpfs", kRoot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", "the root");
             !ok) {
    return ok;
  }
  // The guest mounts its own /proc, /sys, /dev and /tmp here; with the
  // host's system dirs, these are all the root has besides them.
  if (own_tree) {
    for (const char* dir : {"/proc", "/sys", "/dev", "/tmp"}) {
      ::mkdir((std::string(kRoot) + dir).c_str(), dir == std::string_view("/tmp") ? 01777 : 0755);
    }
  }
  for (const auto& step : plan.mounts) {
    const std::string target = std::string(kRoot) + step.destination;
    if (step.kind == StepKind::symlink) {
      if (::symlink(step.source.c_str(), target.c_str()) != 0 && errno != EEXIST) {
        return fail_errno("serve the VM's root: symlink", step.destination);
      }
    } else if (step.kind == StepKind::bind && own_tree) {
      struct stat st = {};
      ::fstat(sources.at(step.source), &st);
      if (auto ok = mount_point(target, S_ISDIR(st.st_mode)); !ok) {
        return ok;
      }
    }
  }
  if (plan.root_read_only) {
    if (auto ok = make_read_only(kRoot); !ok) {
      return ok;
    }
  }
  for (const auto& step : plan.mounts) {
    if (step.kind != StepKind::bind) {
      continue;  // tmpfs mounts are the guest's; symlinks are in place
    }
    const std::string target = std::string(kRoot) + step.destination;
    if (auto ok = mount_or_fail(fd_path(sources.at(step.source)), target, nullptr, MS_BIND | MS_REC, {},
                                "bind " + step.source);
        !ok) {
      return ok;
    }
    if (step.read_only) {
      if (auto ok = make_read_only(target); !ok) {
        return ok;
      }
    }
  }
  for (const auto& [path, fd] : sources) {
    ::close(fd);
  }
  return {};
}

// A listening socket under a random abstract name, and strata's connection
// to it made at once: virtiofsd accepts exactly one connection, which is
// already queued before virtiofsd starts, and nothing touches the filesystem.
Result<std::pair<UniqueFd, UniqueFd>> socket_pair_for_vhost() {
  std::array<unsigned char, 16> random{};
  if (::getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
    return fail_errno("name the virtio-fs socket");
  }
  std::string name = "strata-vm-";
  for (unsigned char byte : random) {
    name += fmt::format("{:02x}", byte);
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (!listener || !client || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::connect(client.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) {
    return fail_errno("create the virtio-fs socket");
  }
  // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
  return std::pair{std::move(listener), std::move(client)};
}

}  // namespace

Result<std::string> find_virtiofsd() {
  for (const char* path : {"/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd", "/usr/lib/virtiofsd"}) {
    if (::access(path, X_OK) == 0) {
      return std::string(path);
    }
  }
  return fail("find virtiofsd", "/usr/lib/qemu/virtiofsd",
              "not found: it shares the root with the guest (install qemu-system-common)");
}

bool root_wholly_read_only(const Plan& plan) {
  if (!plan.root_read_only) {
    return false;
  }
  for (const auto& step : plan.mounts) {
    if (step.kind == StepKind::bind && !step.read_only) {
      return false;
    }
  }
  return true;
}

Result<RootShare> serve_root(const std::string& virtiofsd, const Plan& plan, int errors) {
  auto sockets = socket_pair_for_vhost();
  if (!sockets) {
    return std::unexpected(sockets.error());
  }
  // A tree of read-only system files changes under nobody's feet: let the
  // guest cache it. With writable binds, stay coherent with the host.
  const std::string cache = root_wholly_read_only(plan) ? "always" : "auto";
  const std::vector<std::string> argv{virtiofsd,
                                      "--fd=3",
                                      "-o",
                                      std::string("source=") + kRoot,
                                      "-o",
                                      "sandbox=chroot",
                                      "-o",
                                      "cache=" + cache,
                                      "-o",
                                      "announce_submounts",
                                      "-o",
                                      "log_level=err",
                                      "--thread-pool-size=0"};
  SpawnOptions options;
  options.fds = {{3, sockets->first.get()}};
  options.stderr_fd = errors;
  options.before_exec = [&plan] {
    return stage_root(plan);
  };
  auto process = spawn(argv, options);
  if (!process) {
    return std::unexpected(process.error());
  }
  return RootShare{.virtiofsd = std::move(*process), .client = std::move(sockets->second)};
}

}  // namespace strata::vm
