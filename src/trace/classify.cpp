#include "trace/classify.hpp"

#include <array>
#include <span>

namespace strata::trace {

namespace {

constexpr auto kKernelDirs = std::to_array<std::string_view>({"/proc", "/sys", "/dev"});
constexpr auto kPackageDirs =
    std::to_array<std::string_view>({"site-packages", "dist-packages", "node_modules"});
constexpr auto kLibraryDirs =
    std::to_array<std::string_view>({"/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32",
                                     "/usr/lib64", "/usr/libx32", "/usr/local/lib"});
constexpr auto kSystemDirs = std::to_array<std::string_view>(
    {"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/lib", "/opt"});

bool under_any(std::string_view path, std::span<const std::string_view> dirs) {
  for (const std::string_view dir : dirs) {
    if (is_under(path, dir)) {
      return true;
    }
  }
  return false;
}

bool has_component(std::string_view path, std::span<const std::string_view> names) {
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    for (const std::string_view name : names) {
      if (path.substr(start, end - start) == name) {
        return true;
      }
    }
    start = end + 1;
  }
  return false;
}

// "libc.so.6", "libfoo.so", "_ssl.cpython-311-x86_64-linux-gnu.so".
bool is_shared_object_name(std::string_view path) {
  const std::string_view base = path.substr(path.rfind('/') + 1);
  const std::size_t so = base.find(".so");
  return so != std::string_view::npos && (so + 3 == base.size() || base.at(so + 3) == '.');
}

}  // namespace

std::string_view layer_name(Layer layer) {
  switch (layer) {
    case Layer::kernel:
      return "kernel";
    case Layer::system_library:
      return "system_library";
    case Layer::system_file:
      return "system_file";
    case Layer::language_package:
      return "language_package";
    case Layer::project:
      return "project";
    case Layer::other:
      break;
  }
  return "other";
}

bool is_under(std::string_view path, std::string_view dir) {
  if (dir == "/") {
    return path.starts_with('/');
  }
  return path.starts_with(dir) && (path.size() == dir.size() || path.at(dir.size()) == '/');
}

Layer classify_path(std::string_view path, std::string_view project) {
  if (under_any(path, kKernelDirs)) {
    return Layer::kernel;
  }
  if (has_component(path, kPackageDirs)) {
    return Layer::language_package;
  }
  if (!project.empty() && project != "/" && is_under(path, project)) {
    return Layer::project;
  }
  if (under_any(path, kLibraryDirs) && is_shared_object_name(path)) {
    return Layer::system_library;
  }
  if (path == "/" || under_any(path, kSystemDirs)) {
    return Layer::system_file;
  }
  return Layer::other;
}

std::string sysctl_name(std::string_view path) {
  constexpr std::string_view kPrefix = "/proc/sys/";
  if (!path.starts_with(kPrefix) || path.size() == kPrefix.size()) {
    return {};
  }
  std::string name(path.substr(kPrefix.size()));
  for (char& c : name) {
    if (c == '/') {
      c = '.';
    }
  }
  return name;
}

}  // namespace strata::trace
