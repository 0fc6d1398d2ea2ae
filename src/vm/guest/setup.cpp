#include "vm/guest/setup.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "base/files.hpp"
#include "base/unique_fd.hpp"

namespace strata::vm::guest {

namespace {

namespace fs = std::filesystem;

// finit_module's flag for a module file the kernel decompresses itself (5.17).
constexpr unsigned kModuleInitCompressedFile = 4;

// How long devices may take to appear: virtio probing runs from a workqueue,
// and under TCG emulation everything is slow.
constexpr auto kDeviceWait = std::chrono::seconds(10);
constexpr auto kPoll = std::chrono::milliseconds(2);

Result<> mount_fs(const char* source, const std::string& target, const char* type, unsigned long flags,
                  const char* data = nullptr) {
  if (::mount(source, target.c_str(), type, flags, data) != 0) {
    return fail_errno(std::string("mount ") + type, target);
  }
  return {};
}

// A mount point the root must already have: a read-only root cannot grow one.
Result<> require_directory(const std::string& path, const std::string& inside) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail("prepare the guest's root", inside, "no such directory in the root to mount on");
  }
  return {};
}

// Creates the mount point if the root is writable there, then requires it.
Result<> mount_point(const std::string& path, const std::string& inside) {
  std::error_code ec;
  fs::create_directories(path, ec);  // fails harmlessly on a read-only root
  return require_directory(path, inside);
}

// A tmpfs on /tmp, with the binds below it (part of the root share's tree)
// cloned first and moved back on top of it.
Result<> mount_private_tmp(const std::string& root, const std::vector<std::string>& under_tmp) {
  if (auto ok = require_directory(root + "/tmp", "/tmp"); !ok) {
    return ok;
  }
  std::vector<std::pair<std::string, UniqueFd>> lifted;
  for (const std::string& destination : under_tmp) {
    UniqueFd tree(::open_tree(AT_FDCWD, (root + destination).c_str(),
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree) {
      return fail_errno("keep the bind below /tmp", destination);
    }
    lifted.emplace_back(destination, std::move(tree));
  }
  if (auto ok = mount_fs("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"); !ok) {
    return ok;
  }
  for (const auto& [destination, tree] : lifted) {
    const std::string target = root + destination;
    struct stat st = {};
    std::error_code ec;
    if (::fstat(tree.get(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      fs::create_directories(fs::path(target).parent_path(), ec);
      const UniqueFd created(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    } else {
      fs::create_directories(target, ec);
    }
    if (::move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      return fail_errno("put the bind back below /tmp", destination);
    }
  }
  return {};
}

Result<> set_flags(int sock, const char* name, short set) {
  ifreq req = {};
  std::strncpy(req.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &req) != 0) {
    return fail_errno("read the flags of", name);
  }
  req.ifr_flags = static_cast<short>(req.ifr_flags | set);
  if (::ioctl(sock, SIOCSIFFLAGS, &req) != 0) {
    return fail_errno("bring up", name);
  }
  return {};
}

sockaddr ipv4(const char* text) {
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  ::inet_pton(AF_INET, text, &in.sin_addr);
  sockaddr out = {};
  std::memcpy(&out, &in, sizeof in);
  return out;
}

Result<> set_address(int sock, const char* name, unsigned long request, const char* address) {
  ifreq req = {};
  std::strncpy(req.ifr_name, name, IFNAMSIZ - 1);
  req.ifr_addr = ipv4(address);
  if (::ioctl(sock, request, &req) != 0) {
    return fail_errno("set the address of", name);
  }
  return {};
}

}  // namespace

Result<> mount_early() {
  if (auto ok = mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID); !ok) {
    return ok;
  }
  if (auto ok = mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC); !ok) {
    return ok;
  }
  return mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

Result<> load_modules(const std::string& list) {
  std::ifstream in(list);
  if (!in) {
    return {};  // no modules: the kernel has the drivers built in
  }
  for (std::string path; std::getline(in, path);) {
    if (path.empty()) {
      continue;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      return fail_errno("open the kernel module", path);
    }
    const bool compressed = !path.ends_with(".ko");
    if (::syscall(SYS_finit_module, fd.get(), "", compressed ? kModuleInitCompressedFile : 0U) != 0 &&
        errno != EEXIST) {
      return fail_errno("load the kernel module", path);
    }
  }
  return {};
}

Result<UniqueFd> open_channel() {
  const auto deadline = std::chrono::steady_clock::now() + kDeviceWait;
  while (true) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/sys/class/virtio-ports", ec)) {
      auto name = read_small_file(entry.path() / "name", 256, "read the port name");
      if (!name || name->substr(0, name->find('\n')) != kChannelName) {
        continue;
      }
      const std::string device = "/dev/" + entry.path().filename().string();
      UniqueFd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
      if (fd) {
        return fd;
      }
      if (errno != ENOENT) {
        return fail_errno("open the channel port", device);
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return fail("find the channel port", std::string(kChannelName),
                  "no virtio-serial port by that name appeared within 10 s");
    }
    std::this_thread::sleep_for(kPoll);
  }
}

Result<> enter_root(const Job& job) {
  const std::string root = "/newroot";
  if (job.shares.empty() || job.shares.front().destination != "/") {
    return fail("prepare the guest's root", "", "the job names no root share");
  }
  for (const auto& share : job.shares) {
    const std::string target = share.destination == "/" ? root : root + share.destination;
    if (share.destination != "/") {
      if (auto ok = mount_point(target, share.destination); !ok) {
        return ok;
      }
    }
    // virtio-fs devices register their tags as they are probed: retry briefly.
    const auto deadline = std::chrono::steady_clock::now() + kDeviceWait;
    while (::mount(share.tag.c_str(), target.c_str(), "virtiofs", share.read_only ? MS_RDONLY : 0, nullptr) !=
           0) {
      if ((errno != ENOENT && errno != ENODEV) || std::chrono::steady_clock::now() > deadline) {
        return fail_errno("mount the host's share " + share.tag, share.destination);
      }
      std::this_thread::sleep_for(kPoll);
    }
  }
  struct Special {
    const char* type;
    const char* where;
    unsigned long flags;
    const char* data;
  };
  const Special specials[] = {
      {"proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
      {"sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
      {"devtmpfs", "/dev", MS_NOSUID, nullptr},
  };
  for (const auto& s : specials) {
    if (auto ok = require_directory(root + s.where, s.where); !ok) {
      return ok;
    }
    if (auto ok = mount_fs(s.type, root + s.where, s.type, s.flags, s.data); !ok) {
      return ok;
    }
  }
  // Inside the guest's own devtmpfs: always writable.
  for (const char* dir : {"/dev/pts", "/dev/shm"}) {
    ::mkdir((root + dir).c_str(), 0755);
  }
  if (auto ok =
          mount_fs("devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666");
      !ok) {
    return ok;
  }
  if (auto ok = mount_fs("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"); !ok) {
    return ok;
  }
  if (job.private_tmp) {
    if (auto ok = mount_private_tmp(root, job.under_tmp); !ok) {
      return ok;
    }
  }
  for (const auto& mount : job.tmpfs) {
    if (auto ok = mount_point(root + mount.destination, mount.destination); !ok) {
      return ok;
    }
    std::string options = "mode=755";
    if (mount.size != 0) {
      options += ",size=" + std::to_string(mount.size);
    }
    if (auto ok = mount_fs("tmpfs", root + mount.destination, "tmpfs", MS_NOSUID | MS_NODEV, options.c_str());
        !ok) {
      return ok;
    }
  }
  if (::chdir(root.c_str()) != 0) {
    return fail_errno("enter the guest's root", root);
  }
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) {
    return fail_errno("move the guest's root", root);
  }
  if (::chroot(".") != 0 || ::chdir("/") != 0) {
    return fail_errno("switch to the guest's root", root);
  }
  return {};
}

Result<> bring_up_network(const Job& job) {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) {
    return fail_errno("open a socket to configure the network");
  }
  if (auto ok = set_flags(sock.get(), "lo", IFF_UP); !ok) {
    return ok;
  }
  if (!job.network) {
    return {};
  }
  const auto deadline = std::chrono::steady_clock::now() + kDeviceWait;
  while (::if_nametoindex("eth0") == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail("bring up the guest's network", "eth0", "the virtio-net device did not appear within 10 s");
    }
    std::this_thread::sleep_for(kPoll);
  }
  // QEMU user networking: the guest is 10.0.2.15, the host's gateway 10.0.2.2.
  if (auto ok = set_address(sock.get(), "eth0", SIOCSIFADDR, "10.0.2.15"); !ok) {
    return ok;
  }
  if (auto ok = set_address(sock.get(), "eth0", SIOCSIFNETMASK, "255.255.255.0"); !ok) {
    return ok;
  }
  if (auto ok = set_flags(sock.get(), "eth0", IFF_UP); !ok) {
    return ok;
  }
  rtentry route = {};
  route.rt_dst = ipv4("0.0.0.0");
  route.rt_genmask = ipv4("0.0.0.0");
  route.rt_gateway = ipv4("10.0.2.2");
  route.rt_flags = RTF_UP | RTF_GATEWAY;
  if (::ioctl(sock.get(), SIOCADDRT, &route) != 0) {
    return fail_errno("add the default route", "10.0.2.2");
  }
  return {};
}

}  // namespace strata::vm::guest
