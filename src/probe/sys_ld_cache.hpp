// The binary /etc/ld.so.cache written by glibc's ldconfig (layout: glibc
// sysdeps/generic/dl-cache.h). It comes from an image, so it is untrusted:
// every offset is bounds-checked and a file with any inconsistency yields
// nothing rather than half a list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::probe::sys {

struct LdCacheEntry {
  std::string soname;  // "libz.so.1"
  std::string path;    // "/lib/x86_64-linux-gnu/libz.so.1"
  std::int32_t flags;  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 ...
  std::string hwcaps;  // "x86-64-v3" for a glibc-hwcaps entry, "" otherwise
  friend bool operator==(const LdCacheEntry&, const LdCacheEntry&) = default;
};

// The entries in cache order. Accepts the new format ("glibc-ld.so.cache1.1",
// the only one glibc >= 2.32 writes) alone or after the old "ld.so-1.7.0"
// table (ldconfig -c compat), in either byte order. nullopt when the bytes
// are not such a cache or any offset, count or string is out of bounds.
[[nodiscard]] std::optional<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view bytes);

// The architecture an entry's flags require ("x86-64", "aarch64", "x32"...);
// "" for the flags' "no requirement" value, which is each platform's 32-bit
// default ABI (i386 on x86 machines): the caller names it.
[[nodiscard]] std::string_view ld_cache_arch(std::int32_t flags);

}  // namespace strata::probe::sys
