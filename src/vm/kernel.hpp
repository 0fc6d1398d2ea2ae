// The guest's kernel: which bzImage QEMU boots (--kernel, else the newest in
// /boot), its release as its own header states it, and the host's modules
// for that release, from which the initramfs takes the virtio drivers.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"

namespace strata::vm {

struct Kernel {
  std::string path;         // the bzImage
  std::string release;      // "6.1.0-56-cloud-amd64": the first word of the header's version string
  std::string modules_dir;  // <modules_root>/<release> if it is a directory, else empty (all built in)
};

// The kernel given with --kernel, else the newest /boot/vmlinuz-* (versions
// compared the way people read them); an error naming the Debian package
// that provides one when there is none.
Result<Kernel> find_kernel(const std::optional<std::string>& given, const std::string& boot_dir = "/boot",
                           const std::string& modules_root = "/lib/modules");

// Checks that `path` is an x86 bzImage QEMU can boot a 64-bit guest from
// (boot protocol 2.06 or later with XLF_KERNEL_64) and returns its release.
// Reads only the setup code at the front, not the compressed kernel.
Result<std::string> read_bzimage_release(const std::string& path);

}  // namespace strata::vm
