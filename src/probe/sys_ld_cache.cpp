#include "probe/sys_ld_cache.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

namespace strata::probe::sys {

namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr std::size_t kOldHeader = 16;  // magic[11], pad, uint32 nlibs
constexpr std::size_t kOldEntry = 12;   // int32 flags, uint32 key, value
constexpr std::size_t kNewHeader = 48;  // static_assert in dl-cache.h
constexpr std::size_t kNewEntry = 24;   // flags, key, value, osversion, uint64 hwcap
constexpr std::uint32_t kExtensionMagic = 0xeaa42174;
constexpr std::uint32_t kTagGlibcHwcaps = 1;
constexpr std::uint64_t kHwcapExtension = std::uint64_t{1} << 62;
constexpr std::uint64_t kIsaLevelMask = (1U << 10) - 1;

// Bounds-checked fixed-width reads in the cache's byte order.
class Bytes {
 public:
  Bytes(std::string_view data, bool swap) : data_(data), swap_(swap) {}

  [[nodiscard]] std::optional<std::uint32_t> u32(std::uint64_t offset) const {
    std::uint32_t value = 0;
    if (!copy(offset, &value, sizeof value)) {
      return std::nullopt;
    }
    return swap_ ? std::byteswap(value) : value;
  }
  [[nodiscard]] std::optional<std::uint64_t> u64(std::uint64_t offset) const {
    std::uint64_t value = 0;
    if (!copy(offset, &value, sizeof value)) {
      return std::nullopt;
    }
    return swap_ ? std::byteswap(value) : value;
  }
  // A NUL-terminated string that ends inside the data.
  [[nodiscard]] std::optional<std::string_view> cstr(std::uint64_t offset) const {
    if (offset >= data_.size()) {
      return std::nullopt;
    }
    const std::string_view rest = data_.substr(offset);
    const auto nul = rest.find('\0');
    if (nul == std::string_view::npos) {
      return std::nullopt;
    }
    return rest.substr(0, nul);
  }
  [[nodiscard]] std::uint64_t size() const { return data_.size(); }

 private:
  bool copy(std::uint64_t offset, void* out, std::size_t n) const {
    if (offset > data_.size() || data_.size() - offset < n) {
      return false;
    }
    std::memcpy(out, data_.data() + offset, n);
    return true;
  }

  std::string_view data_;
  bool swap_;
};

// Where the new-format header starts: 0, or after the old table in a
// "compat" file (aligned to 8, the alignment of struct cache_file_new).
std::optional<std::uint64_t> new_header_offset(std::string_view bytes, bool swap) {
  if (bytes.starts_with(kNewMagic)) {
    return 0;
  }
  if (!bytes.starts_with(kOldMagic)) {
    return std::nullopt;
  }
  const auto nlibs = Bytes(bytes, swap).u32(12);
  if (!nlibs) {
    return std::nullopt;
  }
  const std::uint64_t end = kOldHeader + (std::uint64_t{*nlibs} * kOldEntry);
  const std::uint64_t aligned = (end + 7) & ~std::uint64_t{7};
  if (aligned > bytes.size() || !bytes.substr(aligned).starts_with(kNewMagic)) {
    return std::nullopt;
  }
  return aligned;
}

// The glibc-hwcaps section: string-table indices (relative to the new
// header) of the subdirectory names. Extension offsets are file offsets.
std::optional<std::vector<std::string>> read_hwcaps(const Bytes& file, std::uint64_t base) {
  std::vector<std::string> names;
  const auto ext = file.u32(base + 32);
  if (!ext || *ext == 0) {
    return ext ? std::optional(names) : std::nullopt;
  }
  const auto magic = file.u32(*ext);
  const auto count = file.u32(std::uint64_t{*ext} + 4);
  if (!magic || !count || *magic != kExtensionMagic || *ext % 4 != 0) {
    return std::nullopt;
  }
  for (std::uint64_t i = 0; i < *count; ++i) {
    const std::uint64_t section = std::uint64_t{*ext} + 8 + (i * 16);
    const auto tag = file.u32(section);
    const auto offset = file.u32(section + 8);
    const auto size = file.u32(section + 12);
    if (!tag || !offset || !size || std::uint64_t{*offset} + *size > file.size()) {
      return std::nullopt;
    }
    if (*tag != kTagGlibcHwcaps) {
      continue;
    }
    for (std::uint64_t at = *offset; at + 4 <= std::uint64_t{*offset} + *size; at += 4) {
      const auto index = file.u32(at);
      const auto name = index ? file.cstr(base + *index) : std::nullopt;
      if (!name) {
        return std::nullopt;
      }
      names.emplace_back(*name);
    }
  }
  return names;
}

std::optional<LdCacheEntry> read_entry(const Bytes& file, std::uint64_t base, std::uint64_t at,
                                       const std::vector<std::string>& hwcaps) {
  const auto flags = file.u32(at);
  const auto key = file.u32(at + 4);
  const auto value = file.u32(at + 8);
  const auto hwcap = file.u64(at + 16);
  if (!flags || !key || !value || !hwcap) {
    return std::nullopt;
  }
  const auto soname = file.cstr(base + *key);
  const auto path = file.cstr(base + *value);
  if (!soname || !path || soname->empty() || path->empty()) {
    return std::nullopt;
  }
  LdCacheEntry entry{.soname = std::string(*soname),
                     .path = std::string(*path),
                     .flags = static_cast<std::int32_t>(*flags),
                     .hwcaps = {}};
  // dl_cache_hwcap_extension(): only bit 62 set above the ISA-level bits.
  if (((*hwcap >> 32) & ~kIsaLevelMask) == (kHwcapExtension >> 32)) {
    const auto index = static_cast<std::uint32_t>(*hwcap);
    if (index >= hwcaps.size()) {
      return std::nullopt;
    }
    entry.hwcaps = hwcaps[index];
  } else if (*hwcap != 0) {
    entry.hwcaps = "legacy";  // pre-2.33 hwcap bits ("tls", "x86_64" subdirectories)
  }
  return entry;
}

std::optional<std::vector<LdCacheEntry>> parse_in_order(std::string_view bytes, bool swap) {
  const auto base = new_header_offset(bytes, swap);
  if (!base) {
    return std::nullopt;
  }
  const Bytes file(bytes, swap);
  if (*base + kNewHeader > file.size()) {
    return std::nullopt;
  }
  const auto nlibs = file.u32(*base + 20);
  const unsigned endian = static_cast<unsigned char>(bytes[*base + 28]) & 3U;
  constexpr unsigned kLittle = 2;
  constexpr unsigned kBig = 3;
  const bool little = (std::endian::native == std::endian::little) != swap;
  // 0: written before ldconfig recorded the byte order, so assume the reader's.
  const bool order_ok = endian == (little ? kLittle : kBig) || (endian == 0 && !swap);
  if (!nlibs || !order_ok || *base + kNewHeader + (std::uint64_t{*nlibs} * kNewEntry) > file.size()) {
    return std::nullopt;
  }
  const auto hwcaps = read_hwcaps(file, *base);
  if (!hwcaps) {
    return std::nullopt;
  }
  std::vector<LdCacheEntry> entries;
  entries.reserve(*nlibs);
  for (std::uint64_t i = 0; i < *nlibs; ++i) {
    auto entry = read_entry(file, *base, *base + kNewHeader + (i * kNewEntry), *hwcaps);
    if (!entry) {
      return std::nullopt;
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

}  // namespace

std::optional<std::vector<LdCacheEntry>> parse_ld_cache(std::string_view bytes) {
  if (bytes.size() < kNewHeader) {
    return std::nullopt;
  }
  // An image of the other byte order (s390x on x86) has a cache in its order.
  if (auto entries = parse_in_order(bytes, false)) {
    return entries;
  }
  return parse_in_order(bytes, true);
}

std::string_view ld_cache_arch(std::int32_t flags) {
  // Indexed by the FLAG_*_LIB64 / FLAG_*_FLOAT_ABI_* value >> 8 (glibc's
  // sysdeps/generic/ldconfig.h); 0 is "no requirement".
  static constexpr std::array<std::string_view, 0x13> kNames{
      "",
      "sparc64",
      "ia64",
      "x86-64",
      "s390x",
      "ppc64",
      "mips64-n32",
      "mips64",
      "x32",
      "armhf",
      "aarch64",
      "armel",
      "mips-nan2008",
      "mips64-n32-nan2008",
      "mips64-nan2008",
      "riscv-soft-float",
      "riscv-double-float",
      "loongarch-soft-float",
      "loongarch-double-float",
  };
  const auto required = (static_cast<std::uint32_t>(flags) & 0xff00U) >> 8;
  return required < kNames.size() ? kNames.at(required) : std::string_view("unknown");
}

}  // namespace strata::probe::sys
