// Who the workload is (ids, capabilities) and what it is given (environment,
// working directory), in the sandbox and with --isolation host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace strata::test {
namespace {

constexpr const char* kNoCaps =
    "CapEff:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapBnd:\t0000000000000000\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n";

// Sets (or unsets, with nullopt) a variable of the test process for the
// lifetime of the object, so strata inherits it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_ = old;
    }
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Runs the test (and so strata) from `dir` for the lifetime of the object.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::string& dir) : old_(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (::chdir(dir.c_str()) != 0) {
      ADD_FAILURE() << "chdir " << dir << ": " << std::strerror(errno);
    }
  }
  ~ScopedCwd() {
    if (old_ >= 0) {
      [[maybe_unused]] int rc = ::fchdir(old_);
      ::close(old_);
    }
  }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;

 private:
  int old_;
};

// Sorted NAME=VALUE lines, the way `probe env` prints them.
std::string env_listing(std::vector<std::string> vars) {
  std::ranges::sort(
      vars, [](const std::string& a, const std::string& b) { return std::strcmp(a.c_str(), b.c_str()) < 0; });
  std::string out;
  for (const auto& var : vars) {
    out += var + "\n";
  }
  return out;
}

std::string probe_ok(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  const Finished f = probe(flags, args);
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.err, "") << describe(f);
  return f.out;
}

// ---- identity -------------------------------------------------------------------

TEST(SandboxIdentity, RootMapsToCaller) {
  const std::string out = probe_ok({}, {"id"});
  if (::geteuid() == 0) {
    EXPECT_EQ(out, "uid=0 euid=0 gid=0 egid=0 groups=0\n");
  } else {
    EXPECT_TRUE(out.starts_with("uid=0 euid=0 gid=0 egid=0 groups=")) << out;
  }
}

TEST(SandboxIdentity, FilesCreatedInsideBelongToCaller) {
  const TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  EXPECT_EQ(probe_ok({"--bind", dir.path() + ":/out"}, {"write", "/out/by-root"}), "ok\n");
  EXPECT_EQ(
      probe_ok({"--bind", dir.path() + ":/out", "--uid", "1000", "--gid", "1000"}, {"write", "/out/by-1000"}),
      "ok\n");
  for (const char* name : {"by-root", "by-1000"}) {
    struct stat st = {};
    ASSERT_EQ(::stat((dir / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_uid, ::geteuid()) << name;
    EXPECT_EQ(st.st_gid, ::getegid()) << name;
  }
}

TEST(SandboxIdentity, UidAndGidFlags) {
  const std::string out = probe_ok({"--uid", "1000", "--gid", "1000"}, {"id"});
  if (::geteuid() == 0) {
    EXPECT_EQ(out, "uid=1000 euid=1000 gid=1000 egid=1000 groups=0\n");
  } else {
    EXPECT_TRUE(out.starts_with("uid=1000 euid=1000 gid=1000 egid=1000 groups=")) << out;
  }
}

TEST(SandboxIdentity, NonRootWorkloadCanUseTmp) {
  EXPECT_EQ(probe_ok({"--uid", "1000", "--gid", "1000"}, {"write", "/tmp/mine"}), "ok\n");
}

TEST(SandboxIdentity, NoCapabilitiesAndNoNewPrivs) {
  EXPECT_EQ(probe_ok({}, {"caps"}), kNoCaps);
}

TEST(SandboxIdentity, NoCapabilitiesAsNonRoot) {
  EXPECT_EQ(probe_ok({"--uid", "1000", "--gid", "1000"}, {"caps"}), kNoCaps);
}

// ---- environment ----------------------------------------------------------------

TEST(SandboxEnv, DefaultKeepsOnlySafeVariables) {
  const ScopedEnv secret("STRATA_TEST_SECRET", "do-not-leak");
  std::vector<std::string> expected{"HOME=/tmp"};
  for (const char* name : {"PATH", "TERM", "LANG"}) {
    if (const char* value = std::getenv(name)) {
      expected.push_back(std::string(name) + "=" + value);
    }
  }
  const std::string out = probe_ok({}, {"env"});
  EXPECT_EQ(out, env_listing(expected));
  EXPECT_EQ(out.find("STRATA_TEST_SECRET"), std::string::npos);
}

TEST(SandboxEnv, DefaultPathWhenCallerHasNone) {
  const ScopedEnv no_path("PATH", std::nullopt);
  const ScopedEnv no_term("TERM", std::nullopt);
  const ScopedEnv no_lang("LANG", std::nullopt);
  EXPECT_EQ(probe_ok({}, {"env"}),
            "HOME=/tmp\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
}

TEST(SandboxEnv, EnvFlagAddsAndOverrides) {
  const ScopedEnv lang("LANG", "C.UTF-8");
  const ScopedEnv path("PATH", "/usr/bin:/bin");
  const ScopedEnv no_term("TERM", std::nullopt);
  EXPECT_EQ(probe_ok({"--env", "A=1", "--env", "HOME=/home/x", "--env", "LANG=C"}, {"env"}),
            "A=1\nHOME=/home/x\nLANG=C\nPATH=/usr/bin:/bin\n");
}

TEST(SandboxEnv, CallersEnvironmentIsNotReadableThroughInit) {
  // pid 1 is a fork of strata and still holds the caller's whole environment.
  const ScopedEnv secret("STRATA_TEST_SECRET", "do-not-leak");
  const Finished f = probe({}, {"read", "/proc/1/environ"});
  EXPECT_EQ(f.exit_code, 1) << describe(f);
  EXPECT_EQ(f.out, "error EACCES\n");
}

TEST(SandboxEnv, ClearEnvWithEnvGivesExactlyThat) {
  const ScopedEnv secret("STRATA_TEST_SECRET", "do-not-leak");
  EXPECT_EQ(probe_ok({"--clear-env", "--env", "A=1"}, {"env"}), "A=1\n");
}

TEST(SandboxEnv, ClearEnvAloneGivesEmptyEnvironment) {
  EXPECT_EQ(probe_ok({"--clear-env"}, {"env"}), "");
}

TEST(SandboxEnv, WorkdirFlag) {
  EXPECT_EQ(probe_ok({"--workdir", "/tmp"}, {"cwd"}), "/tmp\n");
}

TEST(SandboxEnv, WorkdirThatDoesNotExistFails) {
  const Finished f = probe({"--workdir", "/no/such/dir"}, {"cwd"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << f.err;
}

TEST(SandboxEnv, CallersDirectoryIsUsedWhenVisible) {
  const ScopedCwd cwd("/usr/bin");
  EXPECT_EQ(probe_ok({}, {"cwd"}), "/usr/bin\n");
}

TEST(SandboxEnv, CallersDirectoryFallsBackToRootWhenInvisible) {
  const TempDir dir;
  const ScopedCwd cwd(dir.path());
  EXPECT_EQ(probe_ok({}, {"cwd"}), "/\n");
}

// ---- --isolation host --------------------------------------------------------------

TEST(HostIsolation, KeepsCallersEnvironment) {
  const ScopedEnv secret("STRATA_TEST_SECRET", "kept-on-host");
  std::vector<std::string> expected;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    expected.emplace_back(*entry);
  }
  EXPECT_EQ(probe_ok({"--isolation", "host"}, {"env"}), env_listing(expected));
}

TEST(HostIsolation, ClearEnvStillApplies) {
  EXPECT_EQ(probe_ok({"--isolation", "host", "--clear-env", "--env", "A=1"}, {"env"}), "A=1\n");
}

TEST(HostIsolation, SeesHostPidNamespace) {
  Process p = start_probe({"--isolation", "host"}, {"ppid"});
  const pid_t strata_pid = p.pid();
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  // The workload is strata's own child in the host's pid namespace.
  EXPECT_EQ(f.out, std::to_string(strata_pid) + "\n");
  const std::string pid = probe_ok({"--isolation", "host"}, {"pid"});
  EXPECT_NE(pid, "2\n");
  EXPECT_NE(pid, "1\n");
}

TEST(HostIsolation, RefusesSandboxOnlyFlags) {
  const Finished f = probe({"--isolation", "host", "--hostname", "foo"}, {"hostname"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << f.err;
}

}  // namespace
}  // namespace strata::test
