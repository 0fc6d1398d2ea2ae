// probe_system() on the running machine, checked against what the process
// itself knows (the glibc it runs on). Needs a Debian system.
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <string>

#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

TEST(ProbeSystemLive, DebianGlibcMachine) {
  const Root root = Root::live();
  if (!root.exists("/etc/debian_version")) {
    GTEST_SKIP() << "not a Debian system";
  }
  const Facts facts = probe_system(root);
  const auto value = [&](const std::string& key) {
    return test_support::value(facts, key);
  };
  EXPECT_EQ(value("os.id"), "debian");
  EXPECT_EQ(value("libc.flavour"), "glibc");
  // The glibc this test runs on is the machine's.
  EXPECT_EQ(value("libc.version"), gnu_get_libc_version());
  EXPECT_TRUE(value("libc.version").get<std::string>().starts_with("2."));
  EXPECT_TRUE(value("libc.max_symbol_version").get<std::string>().starts_with("GLIBC_2."));
  const nlohmann::json libc = value("library.libc.so.6");
  EXPECT_EQ(libc["target"], "libc.so.6");
  EXPECT_EQ(libc["version"], "6");
#if defined(__x86_64__)
  EXPECT_EQ(libc["arch"], "x86-64");
  EXPECT_EQ(value("ld.path"), "/lib64/ld-linux-x86-64.so.2");
#endif
  EXPECT_EQ(value("ld.cache")["valid"], true);
  EXPECT_EQ(value("packages.manager"), "dpkg");
  EXPECT_GT(value("packages.count").get<int>(), 50);
  EXPECT_TRUE(value("package.libc6")["version"].get<std::string>().starts_with(gnu_get_libc_version()));
  EXPECT_EQ(value("tool.bash")["package"], "bash");
}

}  // namespace
}  // namespace strata::probe
