// The system layer's parsers on byte strings: os-release, dpkg/apk
// databases, the libc version scans, tool and time zone helpers.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "probe/sys_ca_bundle.hpp"
#include "probe/sys_libc.hpp"
#include "probe/sys_libraries.hpp"
#include "probe/sys_locale_tz.hpp"
#include "probe/sys_os_release.hpp"
#include "probe/sys_packages.hpp"
#include "probe/sys_text.hpp"
#include "probe/sys_tools.hpp"

namespace strata::probe::sys {
namespace {

using namespace std::string_literals;

TEST(ProbeSystemOsRelease, QuotesAndEscapesLikeTheShell) {
  const auto fields = parse_assignments(
      "# comment\n"
      "ID=debian\n"
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
      "SINGLE='a \"b\" $c'\n"
      "ESCAPED=\"say \\\"hi\\\" \\$HOME \\\\ \\n\"\n"
      "BARE=a\\ b\n"
      "MIXED=one\"two three\"'four'\n"
      "TRAILING=value # a comment\n"
      "  SPACED = no\n"
      "BROKEN=\"unterminated\n"
      "1BAD=x\n"
      "export EXPORTED=yes\n"
      "ID=ubuntu\n");
  EXPECT_EQ(fields.at("ID"), "ubuntu");  // later assignments win
  EXPECT_EQ(fields.at("PRETTY_NAME"), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(fields.at("SINGLE"), "a \"b\" $c");
  // Inside double quotes only $ " \ ` are escapable: "\n" stays as written.
  EXPECT_EQ(fields.at("ESCAPED"), "say \"hi\" $HOME \\ \\n");
  EXPECT_EQ(fields.at("BARE"), "a b");
  EXPECT_EQ(fields.at("MIXED"), "onetwo threefour");
  EXPECT_EQ(fields.at("TRAILING"), "value");
  EXPECT_EQ(fields.at("EXPORTED"), "yes");
  EXPECT_FALSE(fields.contains("SPACED "));
  EXPECT_FALSE(fields.contains("SPACED"));
  EXPECT_FALSE(fields.contains("BROKEN"));
  EXPECT_FALSE(fields.contains("1BAD"));
}

TEST(ProbeSystemPackages, DpkgKeepsOnlyInstalledStanzas) {
  const auto packages = parse_dpkg_status(
      "Package: a\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n"
      "Description: x\n Package: not-a-field\n Version: 9\n\n"
      "Package: held\nVersion: 2:3.4-5\nStatus: hold ok installed\nArchitecture: all\n\n"
      "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n\n"
      "Package: trig\nStatus: install ok triggers-pending\nVersion: 7\nArchitecture: arm64\n"
      "\n\n\nPackage: nostatus\nVersion: 1\n\n"
      "Package: last\nStatus: install ok installed\nVersion: 0.1");
  ASSERT_EQ(packages.size(), 4U);
  EXPECT_EQ(packages[0], (Package{.name = "a", .version = "1.0-1", .arch = "amd64"}));
  EXPECT_EQ(packages[1], (Package{.name = "held", .version = "2:3.4-5", .arch = "all"}));
  EXPECT_EQ(packages[2], (Package{.name = "trig", .version = "7", .arch = "arm64"}));
  EXPECT_EQ(packages[3], (Package{.name = "last", .version = "0.1", .arch = ""}));
}

TEST(ProbeSystemPackages, ApkStanzas) {
  const auto packages = parse_apk_installed(
      "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nT:the musl c library\n\n"
      "P:busybox\nV:1.36.1-r29\nA:x86_64\n");
  ASSERT_EQ(packages.size(), 2U);
  EXPECT_EQ(packages[0], (Package{.name = "musl", .version = "1.2.5-r0", .arch = "x86_64"}));
  EXPECT_EQ(packages[1], (Package{.name = "busybox", .version = "1.36.1-r29", .arch = "x86_64"}));
  EXPECT_TRUE(parse_apk_installed("").empty());
  EXPECT_TRUE(parse_dpkg_status("").empty());
}

TEST(ProbeSystemText, VersionsAndPaths) {
  EXPECT_EQ(upstream_version("4:12.2.0-3"), "12.2.0");
  EXPECT_EQ(upstream_version("5.2.15-2+b8"), "5.2.15");
  EXPECT_EQ(upstream_version("3.12.7-r0"), "3.12.7");
  EXPECT_EQ(upstream_version("1:1.2.13.dfsg-1"), "1.2.13.dfsg");
  EXPECT_EQ(upstream_version("2024a"), "2024a");
  EXPECT_EQ(so_version("libz.so.1.2.13"), "1.2.13");
  EXPECT_EQ(so_version("libssl.so.3"), "3");
  EXPECT_EQ(so_version("libfoo.so"), std::nullopt);
  EXPECT_EQ(so_version("libfoo.so."), std::nullopt);
  EXPECT_EQ(implied_soname("libz.so.1.3.1"), "libz.so.1");
  EXPECT_EQ(implied_soname("libz.so.1"), "libz.so.1");
  EXPECT_EQ(implied_soname("libpython3.12.so.1.0"), "libpython3.12.so.1");
  EXPECT_EQ(join_path("/lib/", "/libz.so.1"), "/lib/libz.so.1");
  EXPECT_EQ(dir_name("/libz.so.1"), "/");
  EXPECT_EQ(dir_name("/lib/x/libz.so.1"), "/lib/x");
  EXPECT_EQ(base_name("/lib/x/libz.so.1"), "libz.so.1");
  EXPECT_EQ(trim(" \t a b \n"), "a b");
  EXPECT_EQ(std::ranges::distance(split_lines("a\n\nb")), 3);
  EXPECT_EQ(std::ranges::distance(split_lines("")), 0);
}

TEST(ProbeSystemLibc, GlibcBannerVersion) {
  const std::string libc =
      "\x7f"
      "ELF\0junk GNU C Library without a version\0"
      "GNU C Library (Debian GLIBC 2.36-9+deb12u13) stable release version 2.36.\n"
      "Copyright (C) 2022\0"s;
  EXPECT_EQ(glibc_release_version(libc), "2.36");
  EXPECT_EQ(glibc_release_version("GNU C Library (GNU libc) development release version 2.40.9000."),
            "2.40.9000");
  EXPECT_EQ(glibc_release_version("GNU C Library (GNU libc) stable release version "), std::nullopt);
  EXPECT_EQ(glibc_release_version("no banner here"), std::nullopt);
  EXPECT_EQ(glibc_release_version(""), std::nullopt);
}

TEST(ProbeSystemLibc, HighestVersionNodeComparesNumerically) {
  const std::string dynstr =
      "GLIBC_2.2.5\0GLIBC_2.9\0GLIBC_2.10\0GLIBC_PRIVATE\0GLIBC_ABI_DT_RELR\0"
      "xGLIBC_2.99\0GLIBC_2.40x\0GLIBC_2.3.4\0"s;
  EXPECT_EQ(max_glibc_version_node(dynstr), "GLIBC_2.10");
  // Must start a string and end with a NUL inside the bytes.
  EXPECT_EQ(max_glibc_version_node("GLIBC_2.36"), std::nullopt);
  EXPECT_EQ(max_glibc_version_node("\0GLIBC_2.36\0"s), "GLIBC_2.36");
  EXPECT_EQ(max_glibc_version_node("GLIBC_PRIVATE\0"s), std::nullopt);
  EXPECT_EQ(max_glibc_version_node("GLIBC_\0GLIBC_2.\0GLIBC_.2\0"s), std::nullopt);
}

TEST(ProbeSystemLibc, MuslVersionNeedsTheBanner) {
  const std::string loader =
      "musl libc (x86_64)\nVersion %s\n\0"
      "2.5\0"
      "1.2.5\0"s;
  EXPECT_EQ(musl_embedded_version(loader), "1.2.5");
  EXPECT_EQ(musl_embedded_version("no banner\0"
                                  "1.2.5\0"s),
            std::nullopt);
  EXPECT_EQ(musl_embedded_version("musl libc (x86_64)\0"
                                  "1.2\0"s),
            std::nullopt);
  EXPECT_EQ(musl_embedded_version("musl libc (x86_64)\0"
                                  "1.2.5"s),
            "1.2.5");
}

TEST(ProbeSystemTools, HintsAndBusybox) {
  EXPECT_EQ(version_hints("/usr/bin/x86_64-linux-gnu-gcc-12"), (std::vector<std::string>{"86", "64", "12"}));
  EXPECT_EQ(version_hints("/usr/bin/python3.11"), (std::vector<std::string>{"3.11"}));
  EXPECT_EQ(version_hints("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
            (std::vector<std::string>{"17", "64"}));
  EXPECT_TRUE(version_hints("/usr/bin/make").empty());
  EXPECT_EQ(busybox_version("\0BusyBox v1.36.1 (2024-06-10) multi-call binary.\0"s), "1.36.1");
  EXPECT_EQ(busybox_version("BusyBox v"), std::nullopt);
  EXPECT_EQ(busybox_version("BusyBox vX"), std::nullopt);
  EXPECT_EQ(busybox_version("nothing"), std::nullopt);
}

TEST(ProbeSystemTimezone, ZoneNamesAndTzdata) {
  EXPECT_EQ(zone_from_link("/usr/share/zoneinfo/Europe/Berlin"), "Europe/Berlin");
  EXPECT_EQ(zone_from_link("../usr/share/zoneinfo/Etc/UTC"), "Etc/UTC");
  EXPECT_EQ(zone_from_link("/usr/share/zoneinfo/"), std::nullopt);
  EXPECT_EQ(zone_from_link("/etc/somewhere"), std::nullopt);
  EXPECT_EQ(tzdata_version("# version 2024a\n# more\n"), "2024a");
  EXPECT_EQ(tzdata_version("# version 2025b"), "2025b");
  EXPECT_EQ(tzdata_version("# version \n"), std::nullopt);
  EXPECT_EQ(tzdata_version("R d 1916\n# version 2024a\n"), std::nullopt);
}

TEST(ProbeSystemCaBundle, CountsCertificates) {
  EXPECT_EQ(count_certificates("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
                               "-----BEGIN CERTIFICATE-----\ny\n-----END CERTIFICATE-----\n"),
            2U);
  EXPECT_EQ(count_certificates("-----BEGIN PRIVATE KEY-----\n"), 0U);
}

}  // namespace
}  // namespace strata::probe::sys
