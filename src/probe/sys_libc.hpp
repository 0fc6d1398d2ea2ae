// Which C library a tree has and its version, found without executing
// anything: the dynamic loader's name says glibc or musl, and the version is
// a string the library itself embeds.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"
#include "probe/sys_packages.hpp"

namespace strata::probe::sys {

enum class LibcFlavour { glibc, musl, none };

struct Loader {
  LibcFlavour flavour = LibcFlavour::none;
  std::string path;    // "/lib64/ld-linux-x86-64.so.2"; "" for none
  std::string target;  // after its symlinks: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
};

// The tree's dynamic loader: the glibc one for this machine's architecture
// first, then any other glibc one, then a musl one (/lib/ld-musl-*.so.1).
// A glibc system with the musl package installed stays glibc.
[[nodiscard]] Loader find_loader(const Root& root);

// "2.36" from the banner libc.so.6 embeds ("GNU C Library (Debian GLIBC
// 2.36-9+deb12u13) stable release version 2.36.").
[[nodiscard]] std::optional<std::string> glibc_release_version(std::string_view bytes);

// The highest numeric "GLIBC_x.y[.z]" version node among the NUL-delimited
// strings of `bytes` ("GLIBC_2.36"): libc.so.6's .dynstr holds the names of
// the versions it defines, and a binary built against it may need any.
[[nodiscard]] std::optional<std::string> max_glibc_version_node(std::string_view bytes);

// musl keeps its version as a bare string ("1.2.4") next to the ldd banner
// "musl libc (x86_64)"; the first NUL-delimited "x.y.z" in a file carrying
// that banner.
[[nodiscard]] std::optional<std::string> musl_embedded_version(std::string_view bytes);

// libc.flavour, libc.path, libc.version, libc.max_symbol_version.
void add_libc_facts(const Root& root, const Loader& loader, const PackageDb& packages, Facts& facts);

}  // namespace strata::probe::sys
