// The dynamic loader's search path: /etc/ld.so.conf with its includes for
// glibc, /etc/ld-musl-<arch>.path for musl, plus each one's built-in dirs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"
#include "probe/sys_libc.hpp"

namespace strata::probe::sys {

// The directories ld.so.conf names, in order, with `include` globs expanded
// the way ldconfig does (relative patterns against the including file's
// directory, matches sorted). A wildcard is honoured in the last component
// only, which is all any distribution uses; includes nest at most 8 deep and
// at most 256 files are read.
[[nodiscard]] std::vector<std::string> read_ld_so_conf(const Root& root, std::string_view path);

struct SearchPath {
  std::vector<std::string> dirs;  // configured first, then the built-in ones
  std::string source;
};

// "x86_64-linux-gnu" when the loader lives in a Debian multiarch directory.
[[nodiscard]] std::string multiarch_triplet(const Loader& loader);

[[nodiscard]] SearchPath search_path(const Root& root, const Loader& loader);

// ld.path, ld.target, ld.search_path, ld.hwcaps.
void add_ld_facts(const Root& root, const Loader& loader, const SearchPath& search, Facts& facts);

}  // namespace strata::probe::sys
