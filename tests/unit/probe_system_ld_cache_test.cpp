// The ld.so.cache parser on caches the real ldconfig wrote
// (tests/fixtures/probe/sys-ldcache/make-caches.sh), and on broken ones: the
// cache comes from an image, so no input may crash it or yield half a list.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "probe/sys_ld_cache.hpp"
#include "probe/sys_libraries.hpp"
#include "probe_support.hpp"

namespace strata::probe::sys {
namespace {

using test_support::kFixtures;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string new_cache() {
  return slurp(kFixtures / "sys-debian12/etc/ld.so.cache");
}

constexpr std::int32_t kLibc6X8664 = 0x0303;

void expect_fixture_entries(const std::vector<LdCacheEntry>& entries) {
  ASSERT_EQ(entries.size(), 10U);
  EXPECT_EQ(entries[0], (LdCacheEntry{.soname = "libz.so.1",
                                      .path = "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1.2.13",
                                      .flags = kLibc6X8664,
                                      .hwcaps = "x86-64-v3"}));
  EXPECT_EQ(entries[1], (LdCacheEntry{.soname = "libz.so.1",
                                      .path = "/lib/x86_64-linux-gnu/libz.so.1",
                                      .flags = kLibc6X8664,
                                      .hwcaps = ""}));
  EXPECT_EQ(entries[2],
            (LdCacheEntry{.soname = "libz.so.1", .path = "/lib32/libz.so.1", .flags = 0x0003, .hwcaps = ""}));
  EXPECT_EQ(entries[8],
            (LdCacheEntry{.soname = "libc.so.6", .path = "/lib32/libc.so.6", .flags = 0x0001, .hwcaps = ""}));
  EXPECT_EQ(entries[9].soname, "ld-linux-x86-64.so.2");
  EXPECT_EQ(entries[9].path, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
}

TEST(ProbeSystemLdCache, ParsesTheNewFormat) {
  const std::string bytes = new_cache();
  ASSERT_TRUE(bytes.starts_with("glibc-ld.so.cache1.1"));
  const auto entries = parse_ld_cache(bytes);
  ASSERT_TRUE(entries.has_value());
  expect_fixture_entries(*entries);
}

TEST(ProbeSystemLdCache, ParsesTheCompatFormat) {
  const std::string bytes = slurp(kFixtures / "sys-ldcache/ld.so.cache.compat");
  ASSERT_TRUE(bytes.starts_with("ld.so-1.7.0"));
  const auto entries = parse_ld_cache(bytes);
  ASSERT_TRUE(entries.has_value());
  expect_fixture_entries(*entries);
  EXPECT_EQ(*entries, *parse_ld_cache(new_cache()));
}

// The same cache as a big-endian machine's ldconfig writes it.
std::string byte_swapped(std::string bytes) {
  const auto swap32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes.data() + at, 4);
    v = std::byteswap(v);
    std::memcpy(bytes.data() + at, &v, 4);
    return std::byteswap(v);  // the value as it was
  };
  const auto swap64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, 8);
    v = std::byteswap(v);
    std::memcpy(bytes.data() + at, &v, 8);
  };
  const std::uint32_t nlibs = swap32(20);
  swap32(24);
  bytes[28] = 3;  // cache_file_new_flags_endian_big
  const std::uint32_t ext = swap32(32);
  for (std::size_t i = 0; i < nlibs; ++i) {
    const std::size_t at = 48 + (i * 24);
    swap32(at);
    swap32(at + 4);
    swap32(at + 8);
    swap32(at + 12);
    swap64(at + 16);
  }
  swap32(ext);
  const std::uint32_t count = swap32(ext + 4);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t section = ext + 8 + (i * 16);
    const std::uint32_t tag = swap32(section);
    swap32(section + 4);
    const std::uint32_t offset = swap32(section + 8);
    const std::uint32_t size = swap32(section + 12);
    for (std::size_t at = offset; tag == 1 && at < offset + size; at += 4) {
      swap32(at);
    }
  }
  return bytes;
}

TEST(ProbeSystemLdCache, ReadsTheOtherByteOrder) {
  const std::string swapped = byte_swapped(new_cache());
  ASSERT_NE(swapped, new_cache());
  const auto entries = parse_ld_cache(swapped);
  ASSERT_TRUE(entries.has_value());
  expect_fixture_entries(*entries);
}

TEST(ProbeSystemLdCache, EveryTruncationYieldsNothing) {
  const std::string bytes = new_cache();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_ld_cache(std::string_view(bytes).substr(0, n)).has_value()) << "truncated to " << n;
  }
  const std::string compat = slurp(kFixtures / "sys-ldcache/ld.so.cache.compat");
  for (std::size_t n = 0; n < compat.size(); ++n) {
    EXPECT_FALSE(parse_ld_cache(std::string_view(compat).substr(0, n)).has_value()) << "truncated to " << n;
  }
}

TEST(ProbeSystemLdCache, CorruptFieldsYieldNothing) {
  const std::string good = new_cache();
  const auto patched = [&](std::size_t at, std::uint32_t value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + at, &value, sizeof value);
    return bytes;
  };
  EXPECT_FALSE(parse_ld_cache(patched(20, 0xffffffff)));      // nlibs far past the end
  EXPECT_FALSE(parse_ld_cache(patched(20, 0x0aaaaaab)));      // nlibs * 24 wraps 32 bits
  EXPECT_FALSE(parse_ld_cache(patched(48 + 4, 0x7fffffff)));  // soname offset out of range
  EXPECT_FALSE(parse_ld_cache(patched(48 + 8, static_cast<std::uint32_t>(good.size()))));  // path at the end
  EXPECT_FALSE(parse_ld_cache(patched(32, 0xfffffff0)));       // extension offset out of range
  EXPECT_FALSE(parse_ld_cache(patched(32, 2)));                // extension offset misaligned
  EXPECT_FALSE(parse_ld_cache(patched(48 + 16, 0x00000007)));  // hwcaps index past the section
  std::string invalid = good;
  invalid[28] = 1;  // cache_file_new_flags_endian_invalid
  EXPECT_FALSE(parse_ld_cache(invalid));
  std::string no_nul = good.substr(0, good.find("x86-64-v3")) + "x86-64-v3";
  EXPECT_FALSE(parse_ld_cache(no_nul));
  EXPECT_FALSE(parse_ld_cache("ld.so-1.7.0\0\0\0\0\0"));
  EXPECT_FALSE(parse_ld_cache(std::string(4096, '\0')));
  EXPECT_FALSE(parse_ld_cache(patched(32, 0)));  // a hwcaps entry but no hwcaps section
}

TEST(ProbeSystemLdCache, FlippedBytesNeverCrash) {
  const std::string good = new_cache();
  std::size_t parsed = 0;
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (const unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bytes = good;
      bytes[at] = static_cast<char>(static_cast<unsigned char>(bytes[at]) ^ mask);
      if (const auto entries = parse_ld_cache(bytes)) {
        ++parsed;
        for (const LdCacheEntry& entry : *entries) {
          EXPECT_FALSE(entry.soname.empty());
          EXPECT_FALSE(entry.path.empty());
        }
      }
    }
  }
  EXPECT_GT(parsed, 0U);  // flips inside strings still parse
}

TEST(ProbeSystemLdCache, ArchNames) {
  EXPECT_EQ(ld_cache_arch(0x0303), "x86-64");
  EXPECT_EQ(ld_cache_arch(0x0a03), "aarch64");
  EXPECT_EQ(ld_cache_arch(0x0903), "armhf");
  EXPECT_EQ(ld_cache_arch(0x0803), "x32");
  EXPECT_EQ(ld_cache_arch(0x1003), "riscv-double-float");
  EXPECT_EQ(ld_cache_arch(0x0003), "");
  EXPECT_EQ(ld_cache_arch(0x7f03), "unknown");
}

TEST(ProbeSystemLdCache, GroupsBySonameNativeFirst) {
  const auto entries = *parse_ld_cache(new_cache());
  EXPECT_EQ(native_cache_abi(entries, "ld-linux-x86-64.so.2"), 0x0300);
  EXPECT_EQ(native_cache_abi(entries, ""), 0x0300);  // the most common
  const auto groups = group_cache_entries(entries, 0x0300);
  ASSERT_EQ(groups.size(), 7U);
  const LibraryChoice& libz = groups.at("libz.so.1");
  EXPECT_EQ(libz.primary.path, "/lib/x86_64-linux-gnu/libz.so.1");  // not the hwcaps one, listed first
  ASSERT_EQ(libz.alternates.size(), 2U);
  EXPECT_EQ(libz.alternates[0].hwcaps, "x86-64-v3");
  EXPECT_EQ(libz.alternates[1].path, "/lib32/libz.so.1");
  // With i386 as the native ABI, the i386 entry is the one the loader uses.
  EXPECT_EQ(group_cache_entries(entries, 0).at("libz.so.1").primary.path, "/lib32/libz.so.1");
}

}  // namespace
}  // namespace strata::probe::sys
