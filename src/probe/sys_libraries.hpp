// The shared libraries the loader can find: library.<soname> facts from
// /etc/ld.so.cache, or from listing the library directories when a tree has
// no cache (musl, busybox, many minimal images).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"
#include "probe/sys_ld_cache.hpp"
#include "probe/sys_ld_conf.hpp"
#include "probe/sys_libc.hpp"

namespace strata::probe::sys {

// One soname's cache entries: the one the loader of the native architecture
// uses without hwcaps, and the others (other ABIs such as i386 on x86-64,
// glibc-hwcaps variants) in cache order.
struct LibraryChoice {
  LdCacheEntry primary;
  std::vector<LdCacheEntry> alternates;
};

// Groups entries by soname. The primary is the first entry of the native
// required-ABI bits without hwcaps, else the first native one, else the first.
[[nodiscard]] std::map<std::string, LibraryChoice, std::less<>> group_cache_entries(
    const std::vector<LdCacheEntry>& entries, std::int32_t native_abi);

// The required-ABI bits (flags & 0xff00) of the loader's own cache entry, or
// the most common ones when the loader is not in the cache.
[[nodiscard]] std::int32_t native_cache_abi(const std::vector<LdCacheEntry>& entries,
                                            std::string_view loader);

// The soname a versioned file name implies: "libz.so.1.3.1" -> "libz.so.1".
[[nodiscard]] std::string implied_soname(std::string_view file_name);

// ld.cache and library.<soname> = {"path", "target", "version", "arch"}
// (+ "hwcaps", "alternates": [{"path", "arch", "hwcaps"}]). A cache that is
// present but corrupt gives ld.cache {"valid": false} and no libraries.
void add_library_facts(const Root& root, const Loader& loader, const SearchPath& search, Facts& facts);

}  // namespace strata::probe::sys
