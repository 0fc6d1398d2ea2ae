// SECURITY.md item 19: Landlock keeps the workload inside the allowed tree
// even when it holds a way out (a host directory fd the caller passed), and
// a kernel whose Landlock cannot enforce the policy is loud about it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "security.hpp"

namespace strata::test {
namespace {

int landlock_abi() {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

// A host directory tree the caller hands in by fd: dir/sub is passed, the
// secret sits beside it in dir.
class PassedHostDirectory : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir((dir_ / "sub").c_str(), 0755), 0);
    write_file(dir_ / "secret", "host secret\n");
    write_file(dir_ / "sub/inside", "passed\n");
    const UniqueFd sub(::open((dir_ / "sub").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(sub.valid());
    fd_.reset(::fcntl(sub.get(), F_DUPFD_CLOEXEC, 50));
    ASSERT_TRUE(fd_.valid());
    n_ = std::to_string(fd_.get());
  }

  std::string ask_with_fd(std::vector<std::string> flags, const std::vector<std::string>& args) const {
    flags.insert(flags.begin(), {"--pass-fd", n_});
    Process p = start_attack(flags, args, {fd_.get()});
    const Finished f = p.wait();
    EXPECT_EQ(f.exit_code, 0) << describe(f);
    return answer(f);
  }

  TempDir dir_;
  UniqueFd fd_;
  std::string n_;
};

TEST_F(PassedHostDirectory, FilesBeneathItCannotBeOpened) {
  // The fd itself is usable (that is what passing it is for), but every new
  // open of a host file through it is outside the policy.
  EXPECT_EQ(ask_with_fd({}, {"openat", n_, "inside"}), "errno EACCES");
  EXPECT_EQ(ask_with_fd({}, {"openat", n_, "../secret"}), "errno EACCES");
  EXPECT_EQ(ask_with_fd({}, {"cat", "/proc/self/fd/" + n_ + "/../secret"}), "errno EACCES");
}

TEST_F(PassedHostDirectory, ControlWithoutLandlockTheWayOutIsOpen) {
  // What Landlock stands between: the same attempts succeed without it.
  EXPECT_EQ(ask_with_fd({"--landlock", "off"}, {"openat", n_, "../secret"}), "host secret");
  EXPECT_EQ(ask_with_fd({"--landlock", "off"}, {"cat", "/proc/self/fd/" + n_ + "/../secret"}), "host secret");
}

TEST_F(PassedHostDirectory, NothingCanBeWrittenThroughIt) {
  for (const auto& target : {"/proc/self/fd/" + n_ + "/new", "/proc/self/fd/" + n_ + "/../new"}) {
    EXPECT_EQ(ask_with_fd({}, {"create", target}), "errno EACCES") << target;
  }
  EXPECT_EQ(ask_with_fd({}, {"write", "/proc/self/fd/" + n_ + "/inside", "x"}), "errno EACCES");
  EXPECT_EQ(ask_with_fd({}, {"truncate", "/proc/self/fd/" + n_ + "/inside"}), "errno EACCES");
  EXPECT_EQ(ask_with_fd({}, {"unlink", "/proc/self/fd/" + n_ + "/inside"}), "errno EACCES");
  const std::string renamed = ask_with_fd({}, {"rename", "/proc/self/fd/" + n_ + "/inside", "/tmp/stolen"});
  EXPECT_TRUE(renamed == "errno EACCES" || renamed == "errno EXDEV") << renamed;
  EXPECT_FALSE(path_exists(dir_ / "new"));
  EXPECT_FALSE(path_exists(dir_ / "sub/new"));
  EXPECT_EQ(read_file(dir_ / "sub/inside"), "passed\n");
}

TEST_F(PassedHostDirectory, AsWorkingDirectoryItLeadsNowhere) {
  // chdir into it from inside (not refused: the fd was passed on purpose);
  // getcwd must not name a host path, and relative opens stay denied.
  const std::string cwd = ask_with_fd({}, {"chdir", "/proc/self/fd/" + n_});
  EXPECT_TRUE(cwd == "errno ENOENT at getcwd" || cwd.starts_with("errno ")) << cwd;
  EXPECT_EQ(cwd.find(dir_.path()), std::string::npos) << cwd;
}

TEST(Landlock, WritesOutsideWritableMountsAreDenied) {
  // Read everywhere, write only beneath writable mounts. /dev itself is a
  // writable tmpfs for setup, but not in the policy.
  EXPECT_EQ(ask({}, {"create", "/dev/new"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"mkdir", "/dev/dir"}), "errno EACCES");
  EXPECT_EQ(ask({}, {"create", "/tmp/new"}), "ok");
  EXPECT_EQ(ask({}, {"create", "/dev/shm/new"}), "ok");
}

TEST(Landlock, RequireRunsWhereTheAbiSuffices) {
  if (landlock_abi() < 3) {
    GTEST_SKIP() << "Landlock ABI " << landlock_abi() << " here; the require case is tested below";
  }
  const Finished f = attack({"--landlock", "require"}, {"create", "/dev/new"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "errno EACCES");
  EXPECT_EQ(f.err, "") << "no warning when the ABI suffices";
}

TEST(Landlock, AnAbiTooOldIsLoudNeverSilent) {
  const int abi = landlock_abi();
  if (abi >= 3) {
    GTEST_SKIP() << "this kernel's Landlock ABI is " << abi
                 << " (>= 3): the too-old-ABI warning and refusal cannot be triggered here";
  }
  // best-effort: runs, with a warning on stderr.
  const Finished best = attack({}, {"exit", "0"});
  EXPECT_EQ(best.exit_code, 0) << describe(best);
  EXPECT_NE(best.err.find("Landlock"), std::string::npos) << "no warning: " << describe(best);
  // require: refuses before starting anything.
  const Finished required = attack({"--landlock", "require"}, {"exit", "0"});
  EXPECT_EQ(required.exit_code, 125) << describe(required);
  EXPECT_EQ(lines(required.err).size(), 1U) << required.err;
}

TEST(Landlock, OffIsSaidInThePlan) {
  const Finished f = strata({"run", "--dry-run", "--landlock", "off", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("landlock: off"), std::string::npos) << f.out;
}

}  // namespace
}  // namespace strata::test
