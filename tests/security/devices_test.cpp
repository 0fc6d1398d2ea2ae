// SECURITY.md item 20: no way to a host device: mknod is refused, and the
// minimal /dev holds only harmless character devices.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

struct Node {
  const char* name;
  const char* type;
  const char* major;
  const char* minor;
};

// /dev/mem, the first SCSI disk, /dev/kvm, the first loop device, /dev/port.
const std::vector<Node> kNodes{{"mem", "c", "1", "1"},
                               {"sda", "b", "8", "0"},
                               {"kvm", "c", "10", "232"},
                               {"loop0", "b", "7", "0"},
                               {"port", "c", "1", "4"}};

TEST(Devices, MknodIsRefused) {
  for (const auto& flags : std::vector<std::vector<std::string>>{
           {},
           {"--cap-add", "MKNOD"},
           {"--cap-add", "ALL", "--cap-drop", "SYS_ADMIN", "--seccomp", "unconfined", "--landlock", "off"}}) {
    for (const auto& node : kNodes) {
      // /tmp is writable: only the device-creation rule can refuse.
      const std::string result =
          ask(flags, {"mknod", std::string("/tmp/") + node.name, node.type, node.major, node.minor});
      EXPECT_EQ(result, "errno EPERM") << node.name << " " << testing::PrintToString(flags);
    }
  }
}

TEST(Devices, MknodInDevIsRefused) {
  const std::string result = ask({}, {"mknod", "/dev/mem", "c", "1", "1"});
  EXPECT_TRUE(result == "errno EPERM" || result == "errno EACCES") << result;
}

TEST(Devices, HostDevicesAreAbsent) {
  for (const char* path :
       {"/dev/mem", "/dev/kmem", "/dev/port", "/dev/kvm", "/dev/sda", "/dev/vda", "/dev/nvme0n1",
        "/dev/loop0", "/dev/loop-control", "/dev/fuse", "/dev/net/tun", "/dev/kmsg", "/dev/console",
        "/dev/tty0", "/dev/tty1", "/dev/hpet", "/dev/cpu/0/msr"}) {
    EXPECT_EQ(ask({}, {"open", path, "r"}), "errno ENOENT") << path;
  }
}

TEST(Devices, DevHoldsOnlyTheMinimalSet) {
  EXPECT_EQ(ask({"--no-pty"}, {"ls", "/dev"}),
            "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero");
  // A devpts instance of the sandbox's own: no host pty is there.
  EXPECT_EQ(ask({"--no-pty"}, {"ls", "/dev/pts"}), "ptmx");
}

TEST(Devices, NodesMadeAnywhereWouldNotOpen) {
  // Even a node that existed could not be used where the workload can write:
  // those mounts are nodev.
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    EXPECT_EQ(ask({}, {"statfs", dir}), "rw") << dir;
  }
  const Finished f = attack_script({}, "grep -E ' /(tmp|dev/shm) ' /proc/self/mountinfo");
  for (const auto& line : lines(f.out)) {
    EXPECT_NE(line.find("nodev"), std::string::npos) << line;
  }
  EXPECT_EQ(lines(f.out).size(), 2U) << describe(f);
}

}  // namespace
}  // namespace strata::test
