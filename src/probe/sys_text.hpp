// Small text and path helpers shared by the system layer's parsers. They live
// in strata::probe::sys so that the other layers' helpers cannot collide.
#pragma once

#include <optional>
#include <ranges>
#include <string>
#include <string_view>

#include "probe/root.hpp"

namespace strata::probe::sys {

[[nodiscard]] std::string_view trim(std::string_view text);

// The lines of `text` without their '\n', as a lazy view (a dpkg status file
// has ~25,000); a trailing '\r' is kept: none of the files read here are
// written on Windows.
[[nodiscard]] inline auto split_lines(std::string_view text) {
  return text | std::views::split('\n') |
         std::views::transform([](auto&& line) { return std::string_view(line.begin(), line.end()); });
}

// "dir" + "/" + "name" without doubling the slash.
[[nodiscard]] std::string join_path(std::string_view dir, std::string_view name);
[[nodiscard]] std::string_view dir_name(std::string_view path);
[[nodiscard]] std::string_view base_name(std::string_view path);

// The path after following the symlinks of its last component inside the
// root (at most 16, as a loop guard), lexically normalized. nullopt when the
// chain ends at a name that does not exist.
[[nodiscard]] std::optional<std::string> follow_links(const Root& root, std::string path);

// The upstream part of a package version: "4:12.2.0-3" -> "12.2.0",
// "5.2.15-2+b8" -> "5.2.15", "3.12.7-r0" (apk) -> "3.12.7".
[[nodiscard]] std::string upstream_version(std::string_view version);

// The version in a shared object's file name: "libz.so.1.2.13" -> "1.2.13",
// "libssl.so.3" -> "3"; nullopt without a ".so." part.
[[nodiscard]] std::optional<std::string> so_version(std::string_view file_name);

}  // namespace strata::probe::sys
