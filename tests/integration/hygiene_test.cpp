// What strata must not leave behind or let through: inherited file
// descriptors, mounts and processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "harness.hpp"

namespace strata::test {
namespace {

std::vector<long> fd_list(const std::string& out) {
  std::vector<long> fds;
  for (const auto& line : lines(out)) {
    fds.push_back(std::stol(line));
  }
  return fds;
}

// An fd number >= `from` that is not open in the test process.
int unused_fd(int from) {
  int fd = from;
  while (::fcntl(fd, F_GETFD) >= 0) {
    ++fd;
  }
  return fd;
}

class LeakedFds : public testing::Test {
 protected:
  void SetUp() override {
    // CLOEXEC here so no other test's child gets them; the harness clears the
    // flag in the child for the fds it is asked to leak.
    root_.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    socket_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(root_.valid());
    ASSERT_TRUE(socket_.valid());
  }

  [[nodiscard]] std::vector<int> leaked() const { return {root_.get(), socket_.get()}; }

  UniqueFd root_;
  UniqueFd socket_;
};

TEST_F(LeakedFds, HarnessReallyLeaksThem) {
  // Control: without strata in between, the probe sees both fds.
  Process p = Process::start({probe_bin(), "fds"}, leaked());
  const Finished f = p.wait();
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  const auto fds = fd_list(f.out);
  EXPECT_TRUE(std::ranges::find(fds, root_.get()) != fds.end()) << f.out;
  EXPECT_TRUE(std::ranges::find(fds, socket_.get()) != fds.end()) << f.out;
}

TEST_F(LeakedFds, SandboxWorkloadGetsOnlyStdio) {
  Process p = start_probe({}, {"fds"}, leaked());
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "0\n1\n2\n");
}

TEST_F(LeakedFds, HostWorkloadGetsOnlyStdio) {
  Process p = start_probe({"--isolation", "host"}, {"fds"}, leaked());
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "0\n1\n2\n");
}

TEST_F(LeakedFds, PassFdKeepsOnlyThatFd) {
  const TempDir dir;
  write_file(dir / "passed", "through the passed fd\n");
  const UniqueFd file(::open((dir / "passed").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  const UniqueFd high(::fcntl(file.get(), F_DUPFD_CLOEXEC, unused_fd(40)));
  ASSERT_TRUE(high.valid());
  const std::string n = std::to_string(high.get());
  std::vector<int> leak = leaked();
  leak.push_back(high.get());

  Process fds = start_probe({"--pass-fd", n}, {"fds"}, leak);
  const Finished listed = fds.wait();
  EXPECT_EQ(listed.exit_code, 0) << describe(listed);
  EXPECT_EQ(listed.out, "0\n1\n2\n" + n + "\n");

  // It is the same open file, not just the same number.
  Process read = start_probe({"--pass-fd", n}, {"read-fd", n}, leak);
  const Finished content = read.wait();
  EXPECT_EQ(content.exit_code, 0) << describe(content);
  EXPECT_EQ(content.out, "through the passed fd\n");

  // Reopening it by /proc/self/fd/N is a new open of a host file that no
  // Landlock rule covers; without Landlock only the mounts decide.
  Process reopen = start_probe({"--pass-fd", n}, {"read", "/proc/self/fd/" + n}, leak);
  EXPECT_EQ(reopen.wait().out, "error EACCES\n");
  Process unlocked = start_probe({"--pass-fd", n, "--landlock", "off"}, {"read", "/proc/self/fd/" + n}, leak);
  EXPECT_EQ(unlocked.wait().out, "through the passed fd\n");
}

TEST_F(LeakedFds, PassFdInHostIsolation) {
  const UniqueFd high(::fcntl(socket_.get(), F_DUPFD_CLOEXEC, unused_fd(40)));
  ASSERT_TRUE(high.valid());
  const std::string n = std::to_string(high.get());
  Process p = start_probe({"--isolation", "host", "--pass-fd", n}, {"fds"}, {root_.get(), high.get()});
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "0\n1\n2\n" + n + "\n");
}

TEST_F(LeakedFds, PassedHostDirectoryCannotBecomeWorkdir) {
  // CVE-2024-21626: a host directory fd must not be a way out of the root.
  const UniqueFd high(::fcntl(root_.get(), F_DUPFD_CLOEXEC, unused_fd(40)));
  ASSERT_TRUE(high.valid());
  const std::string n = std::to_string(high.get());
  Process p = start_probe({"--pass-fd", n, "--workdir", "/proc/self/fd/" + n}, {"cwd"}, {high.get()});
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << f.err;
}

TEST(Hygiene, PassFdThatIsNotOpenIs125) {
  const int fd = unused_fd(300);
  const Finished f = probe({"--pass-fd", std::to_string(fd)}, {"fds"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << f.err;
}

TEST(Hygiene, NoLeftoversAfterManyRuns) {
  constexpr int kRuns = 200;
  const ScopedSubreaper subreaper;
  const auto mounts_before = read_file("/proc/self/mountinfo");
  ASSERT_TRUE(mounts_before.has_value());
  const std::set<pid_t> processes_before = descendants_of(::getpid());

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    const Finished f = strata({"run", "--", "/bin/true"});
    ASSERT_EQ(f.exit_code, 0) << "run " << i << ": " << describe(f);
    ASSERT_EQ(f.err, "") << "run " << i;
    // Bail out rather than blow the suite's time budget on a very slow machine.
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(40)) {
      ADD_FAILURE() << "only " << i + 1 << " runs in 40 s";
      break;
    }
  }

  EXPECT_EQ(read_file("/proc/self/mountinfo"), mounts_before);
  const std::set<pid_t> processes_after = descendants_of(::getpid());
  EXPECT_EQ(processes_after, processes_before);
  // Clean up anything left so it does not disturb later tests.
  for (pid_t pid : processes_after) {
    if (!processes_before.contains(pid)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
}

}  // namespace
}  // namespace strata::test
