// What the VM tests share: whether this machine can boot a strata VM at all.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace strata::test {

// Why VM runs cannot work here, or "" when they can.
inline std::string vm_unavailable() {
  if (::geteuid() != 0) {
    return "--isolation vm needs root (virtiofsd)";
  }
  if (run({"/bin/sh", "-c", "command -v qemu-system-x86_64"}).exit_code != 0) {
    return "qemu-system-x86_64 is not installed (qemu-system-x86)";
  }
  if (!path_exists("/usr/lib/qemu/virtiofsd")) {
    return "virtiofsd is not installed (qemu-system-common)";
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/boot", ec)) {
    if (entry.path().filename().string().starts_with("vmlinuz-")) {
      return {};
    }
  }
  return "no /boot/vmlinuz-* (linux-image-cloud-amd64)";
}

#define SKIP_WITHOUT_VM()                                               \
  do {                                                                  \
    if (auto why = vm_unavailable(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

}  // namespace strata::test
