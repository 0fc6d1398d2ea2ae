// The guest's initramfs: strata itself as /init, the kernel modules it loads
// before anything else (virtio-mmio, the console port, virtio-fs), and the
// empty directories it mounts on. Built into a memfd on every VM start, so
// it is an uncompressed newc cpio written with in-kernel copies.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace strata::vm {

struct Module {
  std::string name;  // "virtio_mmio": underscores, no suffix
  std::string path;  // absolute, on the host and at the same place in the guest

  bool operator==(const Module&) const = default;
};

// The modules strata's guest needs, by name: virtio-mmio, the channel's
// console port, virtio-fs, and virtio-net with `network`.
std::vector<std::string> guest_module_names(bool network);

// `names` and what they depend on, from <modules_dir>/modules.dep, in load
// order (dependencies first, each once). Dashes and underscores in names are
// the same; a module that modules.builtin lists is skipped. An empty
// `modules_dir` (no modules for the kernel) means all are built in.
Result<std::vector<Module>> resolve_modules(const std::string& modules_dir,
                                            const std::vector<std::string>& names);

// The guest's init: strata-vm-init beside the running strata, else in
// ../libexec/strata, else strata itself (/proc/self/exe, with a warning: its
// debug info makes it large).
Result<std::string> find_guest_init();

// Where the initramfs lists the modules, one absolute path a line, in load order.
inline constexpr const char* kModuleListPath = "/strata/modules";

// Writes the initramfs to `fd` from its current offset: /init (a copy of
// `init_binary`), /dev/console, the mount points (/dev /proc /sys /newroot
// /strata), each module at its own path and the list at kModuleListPath.
Result<> write_initramfs(int fd, const std::string& init_binary, const std::vector<Module>& modules);

}  // namespace strata::vm
