// strata as an unprivileged user, and with a terminal on stdin.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

// Runs `sh -c command` with a terminal on stdin, stdout and stderr, as an
// interactive user has (forkpty: a new session whose controlling terminal is
// the slave). Returns what the terminal showed and the exit code.
Finished under_terminal(const std::string& command) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  Finished f;
  if (pid < 0) {
    return f;
  }
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR);) {
    f.out.append(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  f.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return f;
}

TEST(Pty, WorkloadGetsATerminalFromTheSandboxDevpts) {
  const Finished f =
      under_terminal(strata_bin() + " run --ro-bind " + probe_bin() + ":/probe -- sh -c 'tty; /probe tty'");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  // ttyname() resolves inside: the pty comes from the sandbox's own /dev/pts.
  EXPECT_EQ(f.out, "/dev/pts/0\r\nyes\r\n");
}

TEST(Pty, NoPtyPassesTheCallersTerminalThrough) {
  const Finished f =
      under_terminal(strata_bin() + " run --no-pty --ro-bind " + probe_bin() + ":/probe -- /probe tty");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.out, "yes\r\n");
}

TEST(Pty, ExitStatusComesBackThroughThePty) {
  const Finished f =
      under_terminal(strata_bin() + " run --ro-bind " + probe_bin() + ":/probe -- /probe exit 7");
  EXPECT_EQ(f.exit_code, 7);
}

}  // namespace
}  // namespace strata::test
