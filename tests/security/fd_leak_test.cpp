// SECURITY.md items 1 and 2: a host file descriptor must not reach the
// sandbox (runc CVE-2016-9962, CVE-2024-21626), and the working directory must
// not be a way out of the root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "security.hpp"

namespace strata::test {
namespace {

// An fd number >= `from` that is not open in the test process.
int unused_fd(int from) {
  int fd = from;
  while (::fcntl(fd, F_GETFD) >= 0) {
    ++fd;
  }
  return fd;
}

// Host fds the caller leaks by mistake (no CLOEXEC in strata's process): an
// O_PATH fd of the host's "/", a socket, a pipe and a host directory, at
// low and high numbers.
class LeakedHostFds : public testing::Test {
 protected:
  void SetUp() override {
    root_.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    socket_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pipe_read_.reset(fds[0]);
    pipe_write_.reset(fds[1]);
    const UniqueFd dir(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir.valid());
    high_dir_.reset(::fcntl(dir.get(), F_DUPFD_CLOEXEC, unused_fd(100)));
    ASSERT_TRUE(root_.valid() && socket_.valid() && high_dir_.valid());
    write_file(dir_ / "host-secret", "host secret\n");
  }

  [[nodiscard]] std::vector<int> leaked() const {
    return {root_.get(), socket_.get(), pipe_read_.get(), pipe_write_.get(), high_dir_.get()};
  }

  Finished run_leaking(const std::vector<std::string>& flags, const std::vector<std::string>& args) const {
    Process p = start_attack(flags, args, leaked());
    return p.wait();
  }

  TempDir dir_;
  UniqueFd root_, socket_, pipe_read_, pipe_write_, high_dir_;
};

TEST_F(LeakedHostFds, ControlWithoutStrataTheHelperSeesThem) {
  // Proves the leak is real: the attacker run directly inherits every fd.
  Process p = Process::start({attacker_bin(), "fds"}, leaked());
  const Finished f = p.wait();
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  for (int fd : leaked()) {
    EXPECT_NE((" " + answer(f) + " ").find(" " + std::to_string(fd) + " "), std::string::npos) << f.out;
  }
}

TEST_F(LeakedHostFds, OnlyStdioReachTheWorkload) {
  const Finished f = run_leaking({}, {"fds"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "0 1 2");
}

TEST_F(LeakedHostFds, OnlyStdioWithSharedNamespacesToo) {
  const Finished f = run_leaking({"--share", "pid", "--net", "host", "--share", "ipc"}, {"fds"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "0 1 2");
}

TEST_F(LeakedHostFds, LeakedNumbersAreDeadInside) {
  // The classic escape: openat(leaked_fd, "..") walks the host's tree.
  for (int fd : {root_.get(), high_dir_.get()}) {
    const Finished f = run_leaking({}, {"openat", std::to_string(fd), "host-secret"});
    EXPECT_EQ(answer(f), "errno EBADF") << "fd " << fd << ": " << describe(f);
  }
  const Finished f = run_leaking({}, {"openat", std::to_string(root_.get()), "etc/hostname"});
  EXPECT_EQ(answer(f), "errno EBADF") << describe(f);
}

TEST_F(LeakedHostFds, ProcSelfFdOfALeakedNumberIsNotACwd) {
  const Finished f = run_leaking({}, {"chdir", "/proc/self/fd/" + std::to_string(high_dir_.get())});
  EXPECT_EQ(answer(f), "errno ENOENT") << describe(f);
}

TEST_F(LeakedHostFds, InitsFdsAreNotReachable) {
  // pid 1 is strata's init; it holds the channel to the supervisor. Its fds
  // must be closed to the workload (init is non-dumpable and its memory
  // belongs to the host's user namespace). Their numbers can be listed (the
  // directory is the caller's uid's); none can be opened or read.
  const Finished listed = run_leaking({}, {"ls", "/proc/1/fd"});
  ASSERT_EQ(listed.exit_code, 0) << describe(listed);
  std::string numbers = answer(listed);
  ASSERT_FALSE(numbers.empty());
  std::vector<std::string> probes;
  for (std::size_t start = 0; start < numbers.size();) {
    auto end = numbers.find(' ', start);
    end = end == std::string::npos ? numbers.size() : end;
    const std::string fd = "/proc/1/fd/" + numbers.substr(start, end - start);
    EXPECT_EQ(answer(run_leaking({}, {"open", fd, "r"})), "errno EACCES") << fd;
    EXPECT_EQ(answer(run_leaking({}, {"readlink", fd})), "errno EACCES") << fd;
    start = end + 1;
  }
  EXPECT_EQ(answer(run_leaking({}, {"readlink", "/proc/1/cwd"})), "errno EACCES");
  EXPECT_EQ(answer(run_leaking({}, {"readlink", "/proc/1/root"})), "errno EACCES");
}

TEST_F(LeakedHostFds, WorkdirThroughALeakedFdIsRefused) {
  // CVE-2024-21626: --workdir /proc/self/fd/N naming a leaked (not passed) fd.
  for (int fd : {root_.get(), high_dir_.get()}) {
    const Finished f = run_leaking({"--workdir", "/proc/self/fd/" + std::to_string(fd)}, {"cwd"});
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_EQ(f.out, "");
    EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  }
}

TEST_F(LeakedHostFds, WorkdirThroughAPassedHostDirectoryIsRefused) {
  // Even an fd the caller passes on purpose must not become the cwd: the
  // cwd would lie outside the root.
  const std::string n = std::to_string(high_dir_.get());
  const Finished f = run_leaking({"--pass-fd", n, "--workdir", "/proc/self/fd/" + n}, {"cwd"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << f.err;
}

TEST(Workdir, InitsMagicLinksAreRefused) {
  for (const char* dir : {"/proc/1/cwd", "/proc/1/root", "/proc/1/root/..", "/proc/self/root/../.."}) {
    const Finished f = attack({"--workdir", dir}, {"cwd"});
    // Either refused, or a directory inside the root ("/").
    if (f.exit_code == 0) {
      EXPECT_EQ(answer(f), "/") << dir;
    } else {
      EXPECT_EQ(f.exit_code, 125) << dir << ": " << describe(f);
      EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
    }
  }
}

TEST(Workdir, DotDotStaysInsideTheRoot) {
  const Finished f = attack({"--workdir", "/../../../../tmp/../.."}, {"cwd"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "/");
}

TEST(Workdir, CallersDirectoryThatIsNotInsideFallsBackToRoot) {
  // The caller's cwd is a host directory the sandbox does not show.
  const TempDir dir;
  const std::string cwd = dir.path();
  Process p = Process::start(attack_argv({}, {"cwd"}), {}, [&cwd] {
    if (::chdir(cwd.c_str()) != 0) {
      ::_exit(99);
    }
  });
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(answer(f), "/");
}

}  // namespace
}  // namespace strata::test
