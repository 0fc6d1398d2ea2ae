#include "probe/sys_text.hpp"

#include <filesystem>

namespace strata::probe::sys {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  while (!name.empty() && name.front() == '/') {
    name.remove_prefix(1);
  }
  out += name;
  return out;
}

std::string_view dir_name(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return ".";
  }
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::optional<std::string> follow_links(const Root& root, std::string path) {
  // Only the last component is followed by hand: the kernel resolves the
  // parents (inside the root) on every open, so "/lib -> usr/lib" is free.
  for (int hops = 0; hops < 16; ++hops) {
    auto target = root.read_link(path);
    if (!target) {
      if (!root.exists(path)) {
        return std::nullopt;
      }
      return std::filesystem::path(path).lexically_normal().string();
    }
    path = target->starts_with('/') ? *target : join_path(dir_name(path), *target);
  }
  return std::nullopt;
}

std::string upstream_version(std::string_view version) {
  if (const auto colon = version.find(':'); colon != std::string_view::npos) {
    version.remove_prefix(colon + 1);
  }
  if (const auto dash = version.rfind('-'); dash != std::string_view::npos) {
    version = version.substr(0, dash);
  }
  return std::string(version);
}

std::optional<std::string> so_version(std::string_view file_name) {
  const auto so = file_name.find(".so.");
  if (so == std::string_view::npos || so + 4 >= file_name.size()) {
    return std::nullopt;
  }
  return std::string(file_name.substr(so + 4));
}

}  // namespace strata::probe::sys
