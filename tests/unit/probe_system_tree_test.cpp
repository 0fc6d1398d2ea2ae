// probe_system() on recorded trees (tests/fixtures/probe/sys-*): a Debian 12
// system with a real ldconfig-written cache, an Alpine (musl, apk, no cache)
// system and a static busybox image; plus broken trees made on the fly.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "probe/layers.hpp"
#include "probe/sys_ld_conf.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using namespace test_support;

TEST(ProbeSystemDebian, OsLibcAndLoader) {
  const Facts facts = probe_tree(kFixtures / "sys-debian12", probe_system);
  EXPECT_EQ(value(facts, "os.id"), "debian");
  EXPECT_EQ(value(facts, "os.version_id"), "12");
  EXPECT_EQ(value(facts, "os.pretty_name"), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(value(facts, "os.version_codename"), "bookworm");
  EXPECT_EQ(value(facts, "os.debian_version"), "12.12");
  EXPECT_EQ(source(facts, "os.id"), "/etc/os-release");
  EXPECT_FALSE(facts.contains("os.id_like"));
  EXPECT_FALSE(facts.contains("os.alpine_release"));

  EXPECT_EQ(value(facts, "libc.flavour"), "glibc");
  EXPECT_EQ(value(facts, "libc.version"), "2.36");
  EXPECT_EQ(value(facts, "libc.max_symbol_version"), "GLIBC_2.36");
  EXPECT_EQ(value(facts, "libc.path"), "/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(source(facts, "libc.version"), "/lib/x86_64-linux-gnu/libc.so.6");
  // The absolute link target resolves inside the tree, not on the host.
  EXPECT_EQ(value(facts, "ld.path"), "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(value(facts, "ld.target"), "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
}

TEST(ProbeSystemDebian, SearchPathAndHwcaps) {
  const Facts facts = probe_tree(kFixtures / "sys-debian12", probe_system);
  // ld.so.conf.d/*.conf in glob order (not .hidden.conf, not README), then
  // Debian's built-in multiarch and classic directories.
  EXPECT_EQ(value(facts, "ld.search_path"),
            json({"/usr/local/lib", "/usr/local/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                  "/usr/lib/x86_64-linux-gnu", "/lib32", "/usr/lib32", "/lib", "/usr/lib"}));
  EXPECT_EQ(source(facts, "ld.search_path"), "/etc/ld.so.conf");
  EXPECT_EQ(value(facts, "ld.hwcaps"),
            json::parse(R"([{"name":"x86-64-v3","path":"/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3"}])"));
}

TEST(ProbeSystemDebian, LibrariesFromTheCache) {
  const Facts facts = probe_tree(kFixtures / "sys-debian12", probe_system);
  EXPECT_EQ(value(facts, "ld.cache"),
            json::parse(R"({"path":"/etc/ld.so.cache","valid":true,"entries":10})"));
  EXPECT_EQ(count_prefix(facts, "library."), 7U);
  EXPECT_EQ(value(facts, "library.libz.so.1"), json::parse(R"({
    "path": "/lib/x86_64-linux-gnu/libz.so.1", "target": "libz.so.1.2.13", "version": "1.2.13",
    "arch": "x86-64", "alternates": [
      {"path": "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1.2.13", "arch": "x86-64",
       "hwcaps": "x86-64-v3"},
      {"path": "/lib32/libz.so.1", "arch": "i386"}]})"));
  EXPECT_EQ(source(facts, "library.libz.so.1"), "/etc/ld.so.cache");
  EXPECT_EQ(value(facts, "library.libc.so.6"), json::parse(R"({
    "path": "/lib/x86_64-linux-gnu/libc.so.6", "target": "libc.so.6", "version": "6", "arch": "x86-64",
    "alternates": [{"path": "/lib32/libc.so.6", "arch": "i386"}]})"));
  EXPECT_EQ(value(facts, "library.libstdc++.so.6")["target"], "libstdc++.so.6.0.30");
  EXPECT_EQ(value(facts, "library.libfoo.so.2")["version"], "2.0.1");
  EXPECT_EQ(value(facts, "library.libssl.so.3")["version"], "3");
  // In the cache but deleted from the tree since: no target, no version.
  EXPECT_EQ(value(facts, "library.libcrypto.so.3"), json::parse(R"({
    "path": "/lib/x86_64-linux-gnu/libcrypto.so.3", "target": null, "version": null, "arch": "x86-64"})"));
}

TEST(ProbeSystemDebian, PackagesAndTools) {
  const Facts facts = probe_tree(kFixtures / "sys-debian12", probe_system);
  EXPECT_EQ(value(facts, "packages.manager"), "dpkg");
  EXPECT_EQ(value(facts, "packages.count"), 13);
  EXPECT_EQ(value(facts, "package.libc6"), json::parse(R"({"version":"2.36-9+deb12u13","arch":"amd64"})"));
  EXPECT_EQ(value(facts, "package.libc6:i386"),
            json::parse(R"({"version":"2.36-9+deb12u13","arch":"i386"})"));
  EXPECT_EQ(value(facts, "package.make"), json::parse(R"({"version":"4.3-4.1","arch":"amd64"})"));  // on hold
  EXPECT_EQ(value(facts, "package.tzdata")["arch"], "all");
  EXPECT_EQ(source(facts, "package.bash"), "/var/lib/dpkg/status");
  for (const char* absent :
       {"package.oldtool", "package.brokentool", "package.openssl", "package.not-a-field"}) {
    EXPECT_FALSE(facts.contains(absent)) << absent;
  }

  EXPECT_EQ(value(facts, "tool.gcc"),
            json::parse(R"({"path":"/usr/bin/gcc","version":"12.2.0","package":"gcc-12"})"));
  EXPECT_EQ(value(facts, "tool.python3"),
            json::parse(R"({"path":"/usr/bin/python3","version":"3.11.2","package":"python3.11-minimal"})"));
  EXPECT_EQ(value(facts, "tool.perl"),
            json::parse(R"({"path":"/usr/bin/perl","version":"5.36.0","package":"perl-base"})"));
  EXPECT_EQ(value(facts, "tool.make")["version"], "4.3");
  EXPECT_EQ(value(facts, "tool.bash")["version"], "5.2.15");
  // A /usr/local build shadows the package and has no known version.
  EXPECT_EQ(value(facts, "tool.cmake"),
            json::parse(R"({"path":"/usr/local/bin/cmake","version":null,"package":null})"));
  EXPECT_EQ(source(facts, "tool.cmake"), "/usr/local/bin/cmake");
  EXPECT_EQ(count_prefix(facts, "tool."), 6U);  // no g++, clang, git, java, openssl binary...
}

TEST(ProbeSystemDebian, LocaleTimezoneCaBundle) {
  const Facts facts = probe_tree(kFixtures / "sys-debian12", probe_system);
  EXPECT_EQ(value(facts, "locale"), json::parse(R"({"LANG":"en_US.UTF-8","LANGUAGE":"en_US:en"})"));
  EXPECT_EQ(source(facts, "locale"), "/etc/default/locale");
  EXPECT_FALSE(facts.contains("locale.env"));  // the process environment is the host's, not the tree's
  EXPECT_EQ(value(facts, "locale.available"), json({"C.utf8", "locale-archive"}));
  EXPECT_EQ(value(facts, "timezone"), "Europe/Berlin");
  EXPECT_EQ(source(facts, "timezone"), "/etc/localtime");
  EXPECT_EQ(value(facts, "tzdata.version"), "2024a");
  EXPECT_EQ(value(facts, "ca_bundle.path"), "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(value(facts, "ca_bundle.sha256"),
            "49e870390ae2f5ce8fffec20b7bf4518874adaf9ddd1895a877aaa950107ba84");
  EXPECT_EQ(value(facts, "ca_bundle.certificates"), 2);
}

TEST(ProbeSystemAlpine, MuslApkAndListedLibraries) {
  const Facts facts = probe_tree(kFixtures / "sys-alpine", probe_system);
  EXPECT_EQ(value(facts, "os.id"), "alpine");
  EXPECT_EQ(value(facts, "os.version_id"), "3.20.3");
  EXPECT_EQ(value(facts, "os.pretty_name"), "Alpine Linux v3.20");
  EXPECT_EQ(value(facts, "os.alpine_release"), "3.20.3");
  EXPECT_EQ(value(facts, "libc.flavour"), "musl");
  EXPECT_EQ(value(facts, "libc.path"), "/lib/ld-musl-x86_64.so.1");
  EXPECT_EQ(value(facts, "libc.version"), "1.2.5");
  EXPECT_EQ(source(facts, "libc.version"), "/lib/apk/db/installed");
  EXPECT_FALSE(facts.contains("libc.max_symbol_version"));
  EXPECT_EQ(value(facts, "ld.path"), "/lib/ld-musl-x86_64.so.1");
  EXPECT_EQ(value(facts, "ld.search_path"), json({"/lib", "/usr/local/lib", "/usr/lib"}));
  EXPECT_FALSE(facts.contains("ld.hwcaps"));
  EXPECT_FALSE(facts.contains("ld.cache"));

  EXPECT_EQ(
      value(facts, "library.libz.so.1"),
      json::parse(R"({"path":"/lib/libz.so.1","target":"libz.so.1.3.1","version":"1.3.1","arch":null})"));
  EXPECT_EQ(source(facts, "library.libz.so.1"), "/lib");
  EXPECT_EQ(value(facts, "library.libc.musl-x86_64.so.1")["target"], "ld-musl-x86_64.so.1");
  EXPECT_EQ(value(facts, "library.libssl.so.3")["path"], "/usr/lib/libssl.so.3");
  EXPECT_EQ(value(facts, "library.libpython3.12.so.1.0")["version"], "1.0");
  EXPECT_FALSE(facts.contains("library.libz.so.1.3.1"));  // the file behind libz.so.1
  EXPECT_EQ(count_prefix(facts, "library."), 5U);
}

TEST(ProbeSystemAlpine, PackagesToolsAndTheRest) {
  const Facts facts = probe_tree(kFixtures / "sys-alpine", probe_system);
  EXPECT_EQ(value(facts, "packages.manager"), "apk");
  EXPECT_EQ(value(facts, "packages.count"), 6);
  EXPECT_EQ(value(facts, "package.musl"), json::parse(R"({"version":"1.2.5-r0","arch":"x86_64"})"));
  EXPECT_EQ(value(facts, "tool.busybox"),
            json::parse(R"({"path":"/bin/busybox","version":"1.36.1","package":"busybox"})"));
  EXPECT_EQ(value(facts, "tool.python3"),
            json::parse(R"({"path":"/usr/bin/python3","version":"3.12.7","package":"python3"})"));
  EXPECT_EQ(value(facts, "timezone"), "UTC");
  EXPECT_EQ(source(facts, "timezone"), "/etc/timezone");
  EXPECT_FALSE(facts.contains("tzdata.version"));
  EXPECT_FALSE(facts.contains("locale"));
  EXPECT_EQ(value(facts, "ca_bundle.sha256"),
            "30c6cbcd48c09c38b3c0f2e921bc1bc07d888a301b679b4ff13d66a56901a2b6");
  EXPECT_EQ(value(facts, "ca_bundle.certificates"), 1);
}

TEST(ProbeSystemAlpine, MuslVersionFromTheLoaderWithoutApk) {
  TempTree tree;
  fs::copy(kFixtures / "sys-alpine", tree.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::remove(tree.path() / "lib/apk/db/installed");
  const Facts facts = probe_tree(tree.path(), probe_system);
  EXPECT_EQ(value(facts, "libc.version"), "1.2.5");
  EXPECT_EQ(source(facts, "libc.version"), "/lib/ld-musl-x86_64.so.1");
  EXPECT_EQ(value(facts, "packages.manager"), "none");
  EXPECT_EQ(value(facts, "tool.busybox"),
            json::parse(R"({"path":"/bin/busybox","version":"1.36.1","package":null})"));
}

TEST(ProbeSystemBusybox, StaticTreeHasNoLibc) {
  const Facts facts = probe_tree(kFixtures / "sys-busybox", probe_system);
  EXPECT_EQ(value(facts, "libc.flavour"), "none");
  EXPECT_EQ(value(facts, "packages.manager"), "none");
  EXPECT_EQ(value(facts, "packages.count"), 0);
  EXPECT_EQ(value(facts, "tool.busybox"),
            json::parse(R"({"path":"/bin/busybox","version":"1.36.1","package":null})"));
  EXPECT_EQ(source(facts, "tool.busybox"), "/bin/busybox");
  EXPECT_EQ(count_prefix(facts, "library."), 0U);
  EXPECT_EQ(count_prefix(facts, "ld."), 0U);
  EXPECT_EQ(count_prefix(facts, "os."), 0U);
  EXPECT_EQ(count_prefix(facts, "tool."), 1U);
  EXPECT_EQ(facts.size(), 4U);  // libc.flavour, packages.manager, packages.count, tool.busybox
}

TEST(ProbeSystemBroken, CorruptCacheGivesNoLibraries) {
  TempTree tree;
  fs::copy(kFixtures / "sys-debian12", tree.path(),
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::resize_file(tree.path() / "etc/ld.so.cache", 300);
  Facts facts = probe_tree(tree.path(), probe_system);
  EXPECT_EQ(value(facts, "ld.cache"),
            json::parse(R"({"path":"/etc/ld.so.cache","valid":false,"entries":0})"));
  EXPECT_EQ(count_prefix(facts, "library."), 0U);
  EXPECT_EQ(value(facts, "os.id"), "debian");  // the rest of the layer is unaffected
  EXPECT_EQ(value(facts, "libc.version"), "2.36");

  tree.write("etc/ld.so.cache", std::string(100000, '\xff'));
  facts = probe_tree(tree.path(), probe_system);
  EXPECT_EQ(value(facts, "ld.cache")["valid"], false);
  EXPECT_EQ(count_prefix(facts, "library."), 0U);
}

TEST(ProbeSystemBroken, LinksCannotLeaveTheTree) {
  // Targets that exist on the host (/etc/os-release) but not in the tree.
  TempTree tree;
  tree.link("lib/libabs.so.1", "/etc/os-release");
  tree.link("lib/librel.so.1", "../../../../../../../../../../etc/os-release");
  tree.link("lib/libloop.so.1", "libloop.so.1");
  tree.write("lib/libok.so.1", "");
  const Facts facts = probe_tree(tree.path(), probe_system);
  EXPECT_EQ(value(facts, "library.libabs.so.1")["target"], nullptr);
  EXPECT_EQ(value(facts, "library.librel.so.1")["target"], nullptr);
  EXPECT_EQ(value(facts, "library.libloop.so.1")["target"], nullptr);
  EXPECT_EQ(value(facts, "library.libok.so.1")["target"], "libok.so.1");
}

TEST(ProbeSystemBroken, LdSoConfIncludesTerminate) {
  TempTree tree;
  tree.write("etc/ld.so.conf", "include /etc/ld.so.conf\n/first\ninclude conf.d/*.conf\nhwcap 1 x\n/last/\n");
  tree.write("etc/conf.d/b.conf", "/b # trailing comment\n\tinclude\t/etc/conf.d/b.conf\n");
  tree.write("etc/conf.d/a.conf", "/a\n/first\n/usr/lib=libc5\n");
  auto root = Root::open(tree.path().string());
  ASSERT_TRUE(root.has_value());
  // The self-include recurses to the depth limit, where the deepest copy
  // adds /first and /last (its own includes are too deep); the copy above it
  // then includes conf.d/*.conf in glob order. Duplicates are dropped.
  EXPECT_EQ(sys::read_ld_so_conf(*root, "/etc/ld.so.conf"),
            (std::vector<std::string>{"/first", "/last", "/a", "/usr/lib", "/b"}));
}

TEST(ProbeSystemBroken, LdSoConfIncludeFanOutIsBounded) {
  TempTree tree;
  tree.write("etc/ld.so.conf", "include /etc/ld.so.conf /etc/ld.so.conf /etc/ld.so.conf\n/only\n");
  auto root = Root::open(tree.path().string());
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(sys::read_ld_so_conf(*root, "/etc/ld.so.conf"), (std::vector<std::string>{"/only"}));
}

}  // namespace
}  // namespace strata::probe
