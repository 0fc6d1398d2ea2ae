// Well-known tools (compilers, interpreters, build tools) and their versions,
// found without running them: the binary's presence in /usr/local/bin,
// /usr/bin or /bin, and the version of the package that ships it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"
#include "probe/sys_packages.hpp"

namespace strata::probe::sys {

// The numbers in a resolved binary path, in order: "/usr/bin/x86_64-linux-
// gnu-gcc-12" -> {"86", "64", "12"}, "/usr/bin/python3.11" -> {"3.11"}. They
// fill the "{N}" of versioned package names (gcc-{N}, python{N}-minimal).
[[nodiscard]] std::vector<std::string> version_hints(std::string_view path);

// "1.36.1" from a busybox binary's "BusyBox v1.36.1 (2023-...) multi-call".
[[nodiscard]] std::optional<std::string> busybox_version(std::string_view bytes);

// tool.<name> = {"path", "version", "package"} for each tool whose binary
// exists; version and package are null when no package owns it (anything in
// /usr/local/bin, a tree without a package database).
void add_tool_facts(const Root& root, const PackageDb& packages, Facts& facts);

}  // namespace strata::probe::sys
