// strata as an unprivileged user, and with a terminal on stdin.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

// Copies of strata and the probe that user 65534 can execute: the build
// directory may sit under a path only root can traverse.
class Unprivileged : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "already unprivileged: every other integration test covers this case";
    }
    if (::access("/usr/bin/setpriv", X_OK) != 0) {
      GTEST_SKIP() << "setpriv (util-linux) is missing";
    }
    char dir[] = "/tmp/strata-unpriv-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    fs::copy_file(strata_bin(), dir_ / "strata");
    fs::copy_file(probe_bin(), dir_ / "probe");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  Finished as_nobody(const std::vector<std::string>& run_flags, const std::vector<std::string>& probe_args) {
    std::vector<std::string> argv{"/usr/bin/setpriv",
                                  "--reuid=65534",
                                  "--regid=65534",
                                  "--clear-groups",
                                  (dir_ / "strata").string(),
                                  "run"};
    argv.insert(argv.end(), run_flags.begin(), run_flags.end());
    argv.push_back("--ro-bind");
    argv.push_back((dir_ / "probe").string() + ":/probe");
    argv.push_back("--");
    argv.push_back("/probe");
    argv.insert(argv.end(), probe_args.begin(), probe_args.end());
    return run(argv);
  }

  fs::path dir_;
};

TEST_F(Unprivileged, RootInsideMapsToTheCaller) {
  const Finished f = as_nobody({}, {"id"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "uid=0 euid=0 gid=0 egid=0 groups=0\n");
}

TEST_F(Unprivileged, ChosenIdentityInside) {
  const Finished f = as_nobody({"--uid", "1000", "--gid", "1000"}, {"id"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "uid=1000 euid=1000 gid=1000 egid=1000 groups=0\n");
}

TEST_F(Unprivileged, SameSandboxView) {
  Finished f = as_nobody({}, {"ps"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "1\n2\n");
  f = as_nobody({}, {"write", "/usr/strata-test"});
  EXPECT_EQ(f.out, "error EROFS\n");
  f = as_nobody({}, {"write", "/tmp/x"});
  EXPECT_EQ(f.out, "ok\n");
  f = as_nobody({}, {"netifs"});
  EXPECT_EQ(f.out, "lo\n");
}

TEST_F(Unprivileged, RootInsideCannotWriteWhatTheCallerCannot) {
  // /root is 0700 root:root. Binding it is allowed (a bind needs no access),
  // but root inside is only user 65534 outside, with no power over it.
  const Finished f = as_nobody({"--bind", "/root:/r"}, {"mkdir", "/r/strata-test"});
  EXPECT_EQ(f.exit_code, 1) << f.err;
  EXPECT_EQ(f.out, "error EACCES\n");
  EXPECT_FALSE(fs::exists("/root/strata-test"));
}

// `script` gives strata a terminal on stdin, as an interactive user has.
Finished under_terminal(const std::string& command) {
  return run({"/usr/bin/script", "-qec", command, "/dev/null"});
}

TEST(Pty, WorkloadGetsATerminalFromTheSandboxDevpts) {
  if (::access("/usr/bin/script", X_OK) != 0) {
    GTEST_SKIP() << "script (bsdutils) is missing";
  }
  const Finished f =
      under_terminal(strata_bin() + " run --ro-bind " + probe_bin() + ":/probe -- sh -c 'tty; /probe tty'");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  // ttyname() resolves inside: the pty comes from the sandbox's own /dev/pts.
  EXPECT_EQ(f.out, "/dev/pts/0\r\nyes\r\n");
}

TEST(Pty, NoPtyPassesTheCallersTerminalThrough) {
  if (::access("/usr/bin/script", X_OK) != 0) {
    GTEST_SKIP() << "script (bsdutils) is missing";
  }
  const Finished f =
      under_terminal(strata_bin() + " run --no-pty --ro-bind " + probe_bin() + ":/probe -- /probe tty");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "yes\r\n");
}

TEST(Pty, ExitStatusComesBackThroughThePty) {
  if (::access("/usr/bin/script", X_OK) != 0) {
    GTEST_SKIP() << "script (bsdutils) is missing";
  }
  const Finished f =
      under_terminal(strata_bin() + " run --ro-bind " + probe_bin() + ":/probe -- /probe exit 7");
  EXPECT_EQ(f.exit_code, 7);
}

}  // namespace
}  // namespace strata::test
