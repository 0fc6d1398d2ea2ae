// Which layer of the environment a file belongs to, from its path alone.
#pragma once

#include <string>
#include <string_view>

namespace strata::trace {

enum class Layer {
  kernel,            // /proc, /sys, /dev: the kernel's pseudo filesystems
  system_library,    // a shared object under a system library directory
  system_file,       // anything else the OS provides: /etc, /usr, /bin, /lib..., /var/lib
  language_package,  // under site-packages, dist-packages or node_modules
  project,           // under the workload's working directory (when it is not /)
  other,             // /tmp, /home, /run ...
};

// "kernel", "system_library", "system_file", "language_package", "project", "other".
[[nodiscard]] std::string_view layer_name(Layer layer);

// `path` is absolute and lexically normal; `project` is the workload's
// working directory ("/" or empty: none). The first rule that matches wins,
// in the order of the enum.
[[nodiscard]] Layer classify_path(std::string_view path, std::string_view project);

// True when `path` is `dir` or beneath it ("/usr/lib" is under "/usr", "/usrx" is not).
[[nodiscard]] bool is_under(std::string_view path, std::string_view dir);

// "kernel.osrelease" for "/proc/sys/kernel/osrelease"; empty for other paths.
[[nodiscard]] std::string sysctl_name(std::string_view path);

}  // namespace strata::trace
