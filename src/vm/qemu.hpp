// The QEMU command line for a strata guest: the microvm machine, its RAM in
// a shared memfd (virtiofsd maps it), the kernel and strata's initramfs, the
// console and the channel on sockets strata holds, the root over
// vhost-user-fs, and a user-mode NIC only when asked. Built as plain data so
// --dry-run can print it and the unit tests can read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace strata::vm {

// The fd numbers QEMU gets them at.
inline constexpr int kConsoleFd = 3;
inline constexpr int kChannelFd = 4;
inline constexpr int kRootShareFd = 5;
inline constexpr int kInitrdFd = 6;

struct QemuConfig {
  std::string qemu;  // the binary
  bool kvm = false;
  std::string kernel;
  std::string initrd = "/dev/fd/6";  // strata's memfd, or --initrd
  std::uint64_t memory_mib = 512;
  unsigned cpus = 1;
  bool network = false;
  std::uint64_t tsc_khz = 0;  // under TCG: the guest's TSC rate (see tsc.hpp); 0 = let it calibrate
};

// The kernel command line: the console, quiet, a panic that ends QEMU, and
// strata's init with its verb.
std::string kernel_command_line(const QemuConfig& config);

std::vector<std::string> qemu_argv(const QemuConfig& config);

// The QEMU binary strata looks for on PATH (see find_qemu in boot_probe.hpp).
inline constexpr const char* kQemuName = "qemu-system-x86_64";

}  // namespace strata::vm
