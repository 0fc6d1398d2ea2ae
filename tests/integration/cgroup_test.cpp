// RunCgroup against the real kernel: limits written and enforced, every
// process killed, nothing left behind. Needs root; skips what the machine's
// cgroups lack.
#include "isolate/cgroup/cgroup.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/unique_fd.hpp"
#include "harness.hpp"

namespace strata {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
const CgroupLimits kAllLimits{.memory_bytes = 64 * kMiB, .pids = 16, .cpus = 0.5};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Every `prefix`* directory in the caller's cgroups, in every hierarchy.
std::set<std::string> strata_dirs(const CgroupMounts& mounts, const std::string& prefix = "strata-") {
  std::set<std::string> found;
  for (const auto& [key, own] : mounts.own) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(own.dir, error)) {
      if (entry.path().filename().string().starts_with(prefix)) {
        found.insert(entry.path().string());
      }
    }
  }
  return found;
}

// A forked child that waits for the go-ahead before running `body`, so that
// it is in the cgroup before it does anything (as the sandbox child waits on
// its sync channel). `body` gets a pipe to report on.
struct Child {
  pid_t pid = -1;
  UniqueFd go;
  UniqueFd report;

  void release() {
    ASSERT_EQ(::write(go.get(), "g", 1), 1);
    go.reset();
  }
  // Reads one int the child (or a descendant) reported.
  int read_report() const {
    int value = -1;
    EXPECT_EQ(::read(report.get(), &value, sizeof value), static_cast<ssize_t>(sizeof value));
    return value;
  }
  int wait() const {
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return status;
  }
};

template <class F>
Child spawn(F body) {
  std::array<int, 2> go{};
  std::array<int, 2> report{};
  EXPECT_EQ(::pipe2(go.data(), O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(report.data(), O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(go[1]);
    ::close(report[0]);
    char byte = 0;
    if (::read(go[0], &byte, 1) != 1) {
      ::_exit(90);
    }
    ::_exit(body(report[1]));
  }
  ::close(go[0]);
  ::close(report[1]);
  return Child{.pid = pid, .go = UniqueFd(go[1]), .report = UniqueFd(report[0])};
}

void report(int fd, int value) {
  if (::write(fd, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) {
    ::_exit(91);
  }
}

// The process ended (exited, reaped or not) within a generous bound.
bool ended(int pidfd) {
  pollfd poll_fd{.fd = pidfd, .events = POLLIN, .revents = 0};
  return ::poll(&poll_fd, 1, 5000) == 1;
}

class Cgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "creating cgroups needs root";
    }
    auto detected = detect_cgroups();
    ASSERT_TRUE(detected) << detected.error().message();
    mounts_ = *detected;
    if (mounts_.layout == CgroupLayout::none) {
      GTEST_SKIP() << "no cgroup file system is mounted";
    }
    before_ = strata_dirs(mounts_, mine());
    checked_ = true;
  }

  void TearDown() override {
    if (checked_) {
      EXPECT_EQ(strata_dirs(mounts_, mine()), before_) << "a cgroup of this test was left behind";
    }
  }

  // This process's cgroups: other tests may run beside this one.
  static std::string mine() { return "strata-" + std::to_string(::getpid()) + "-"; }

  // A RunCgroup with `limits`; nullopt (and the test skipped) when the
  // machine lacks a controller they need.
  std::optional<RunCgroup> make(const CgroupLimits& limits, const CgroupMounts* mounts = nullptr) {
    auto made = RunCgroup::create(mounts != nullptr ? *mounts : mounts_, limits);
    if (!made && made.error().step.starts_with("find cgroup controller")) {
      skip_reason_ = made.error().message();
      return std::nullopt;
    }
    EXPECT_TRUE(made) << made.error().message();
    return made ? std::optional<RunCgroup>(std::move(*made)) : std::nullopt;
  }

  // The same machine seen as pure v2: only the v2 hierarchy, for the v2
  // code paths on a hybrid machine.
  [[nodiscard]] std::optional<CgroupMounts> v2_only() const {
    if (!mounts_.own.contains("")) {
      return std::nullopt;
    }
    CgroupMounts v2{.layout = CgroupLayout::v2, .unified = mounts_.unified};
    v2.roots[""] = mounts_.roots.at("");
    v2.own[""] = mounts_.own.at("");
    return v2;
  }

  // The same machine seen as pure v1: no v2 hierarchy, so no cgroup.kill.
  [[nodiscard]] std::optional<CgroupMounts> v1_only() const {
    if (mounts_.v1.empty()) {
      return std::nullopt;
    }
    CgroupMounts v1 = mounts_;
    v1.layout = CgroupLayout::v1;
    v1.unified.clear();
    v1.roots.erase("");
    v1.own.erase("");
    return v1;
  }

  CgroupMounts mounts_;
  std::set<std::string> before_;
  bool checked_ = false;
  std::string skip_reason_;
};

TEST_F(Cgroup, LimitsAreWrittenAndTheChildJoins) {
  auto made = make(kAllLimits);
  if (!made) {
    GTEST_SKIP() << skip_reason_;
  }
  RunCgroup cgroup = std::move(*made);  // a moved-from RunCgroup removes nothing
  for (const char* controller : {"memory", "pids", "cpu"}) {
    const std::string dir = cgroup.directory_for(controller);
    ASSERT_FALSE(dir.empty()) << controller;
    const bool in_v2 = !mounts_.unified.empty() && dir.starts_with(mounts_.unified + "/");
    const auto writes = limit_writes(kAllLimits, in_v2);
    ASSERT_TRUE(writes);
    for (const auto& write : *writes) {
      const std::string file = dir + "/" + write.file;
      if (write.controller == controller && (write.required || std::filesystem::exists(file))) {
        EXPECT_EQ(trimmed(slurp(file)), write.value) << file;
      }
    }
  }
  if (mounts_.own.contains("")) {
    EXPECT_GE(cgroup.v2_dirfd(), 0);
  }

  Child child = spawn([](int) {
    volatile std::uint64_t sum = 0;  // some CPU time to account
    for (std::uint64_t i = 0; i < 20'000'000; ++i) {
      sum = sum + i;
    }
    return 0;
  });
  ASSERT_TRUE(cgroup.add(child.pid)) << cgroup.add(child.pid).error().message();
  const std::string own = slurp("/proc/" + std::to_string(child.pid) + "/cgroup");
  std::size_t lines_naming_it = 0;
  for (std::size_t at = own.find("/" + cgroup.name()); at != std::string::npos;
       at = own.find("/" + cgroup.name(), at + 1)) {
    ++lines_naming_it;
  }
  EXPECT_EQ(lines_naming_it, cgroup.directories().size()) << own;
  child.release();
  const int status = child.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  const auto usage = cgroup.usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_GT(usage->cpu_usage_ns, 0U);
  EXPECT_FALSE(usage->oom_killed);
  EXPECT_FALSE(usage->pids_limit_hit);

  const auto directories = cgroup.directories();
  const auto removed = cgroup.remove();
  ASSERT_TRUE(removed) << removed.error().message();
  for (const auto& dir : directories) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
  EXPECT_TRUE(cgroup.directories().empty());
  EXPECT_TRUE(cgroup.remove());  // twice is harmless
}

TEST_F(Cgroup, AForkBombStopsAtThePidsLimit) {
  auto cgroup = make({.pids = 16});
  if (!cgroup) {
    GTEST_SKIP() << skip_reason_;
  }
  Child child = spawn([](int report_fd) {
    int forks = 0;
    for (int i = 0; i < 200; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::pause();
        ::_exit(0);
      }
      if (pid < 0) {
        report(report_fd, errno == EAGAIN ? forks : -errno);
        return 0;
      }
      ++forks;
    }
    report(report_fd, 1000);  // never stopped
    return 0;
  });
  ASSERT_TRUE(cgroup->add(child.pid));
  child.release();
  const int forks = child.read_report();
  EXPECT_GE(forks, 1);
  EXPECT_LE(forks, 15) << "the child itself is one of the 16";
  const int status = child.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const auto usage = cgroup->usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_TRUE(usage->pids_limit_hit);
  // The paused grandchildren are still there; remove() ends them.
  const auto removed = cgroup->remove();
  EXPECT_TRUE(removed) << removed.error().message();
}

TEST_F(Cgroup, AMemoryHogIsOomKilled) {
  auto cgroup = make({.memory_bytes = 64 * kMiB});
  if (!cgroup) {
    GTEST_SKIP() << skip_reason_;
  }
  Child child = spawn([](int) {
    const std::size_t size = 128 * kMiB;
    void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      return 2;
    }
    std::memset(memory, 1, size);  // touch every page
    return 0;
  });
  ASSERT_TRUE(cgroup->add(child.pid));
  child.release();
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "the hog was not killed, status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  const auto usage = cgroup->usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_TRUE(usage->oom_killed);
  EXPECT_TRUE(usage->memory_limit_hit);
  EXPECT_GT(usage->memory_peak_bytes, 32 * kMiB);
  EXPECT_LE(usage->memory_peak_bytes, 64 * kMiB);
  EXPECT_TRUE(cgroup->remove());
}

// A daemon: its own session, double-forked away from the child, deaf to
// SIGTERM, with the child itself lingering too.
Child spawn_daemon() {
  return spawn([](int report_fd) {
    if (::signal(SIGTERM, SIG_IGN) == SIG_ERR || ::setsid() < 0) {
      return 3;
    }
    if (::fork() == 0) {
      if (::fork() == 0) {
        ::setsid();
        report(report_fd, ::getpid());
        for (;;) {
          ::pause();
        }
      }
      ::_exit(0);
    }
    for (;;) {
      ::pause();
    }
  });
}

void expect_kills_daemon(RunCgroup& cgroup, KillMethod method) {
  Child child = spawn_daemon();
  ASSERT_TRUE(cgroup.add(child.pid));
  child.release();
  const pid_t daemon = child.read_report();
  ASSERT_GT(daemon, 0);
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, daemon, 0U)));
  ASSERT_TRUE(pidfd) << std::strerror(errno);
  ASSERT_EQ(::kill(daemon, SIGTERM), 0);
  const auto killed = cgroup.kill_all(method);
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_TRUE(ended(pidfd.get())) << "the daemon survived kill_all";
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  const auto removed = cgroup.remove();
  EXPECT_TRUE(removed) << removed.error().message();
}

TEST_F(Cgroup, KillAllEndsADaemon) {
  auto cgroup = make({});
  ASSERT_TRUE(cgroup);
  expect_kills_daemon(*cgroup, KillMethod::automatic);
}

TEST_F(Cgroup, KillAllEndsADaemonByFreezing) {
  auto cgroup = make({});
  ASSERT_TRUE(cgroup);
  expect_kills_daemon(*cgroup, KillMethod::freezer);
}

TEST_F(Cgroup, KillAllEndsADaemonBySignalsAlone) {
  auto cgroup = make({});
  ASSERT_TRUE(cgroup);
  expect_kills_daemon(*cgroup, KillMethod::signals);
}

// On a v1 or hybrid machine the v2 paths (cgroup.freeze, cgroup.kill) run
// only when the v2 hierarchy is all there is.
TEST_F(Cgroup, KillAllEndsADaemonInV2Alone) {
  const auto v2 = v2_only();
  if (!v2) {
    GTEST_SKIP() << "no v2 hierarchy";
  }
  for (const KillMethod method : {KillMethod::automatic, KillMethod::freezer}) {
    auto cgroup = make({}, &*v2);
    ASSERT_TRUE(cgroup);
    ASSERT_EQ(cgroup->directories().size(), 1U);
    expect_kills_daemon(*cgroup, method);
  }
}

// A workload with write access to cgroupfs can nest cgroups of its own and
// move into them; cgroup.procs of the run's directories no longer lists it.
TEST_F(Cgroup, KillAllAndRemoveReachNestedCgroups) {
  for (const KillMethod method : {KillMethod::automatic, KillMethod::freezer, KillMethod::signals}) {
    auto cgroup = make({});
    ASSERT_TRUE(cgroup);
    const auto directories = cgroup->directories();
    Child child = spawn([&directories](int report_fd) {
      for (const auto& dir : directories) {
        const std::string inner = dir + "/inner";
        const int procs =
            ::mkdir(inner.c_str(), 0755) == 0 ? ::open((inner + "/cgroup.procs").c_str(), O_WRONLY) : -1;
        if (procs < 0 || ::write(procs, "0", 1) != 1) {
          return 5;
        }
        ::close(procs);
      }
      report(report_fd, ::getpid());
      for (;;) {
        ::pause();
      }
    });
    ASSERT_TRUE(cgroup->add(child.pid));
    child.release();
    ASSERT_EQ(child.read_report(), child.pid);
    const auto killed = cgroup->kill_all(method);
    ASSERT_TRUE(killed) << killed.error().message();
    const int status = child.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    const auto removed = cgroup->remove();
    EXPECT_TRUE(removed) << removed.error().message();
    for (const auto& dir : directories) {
      EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
    }
  }
}

TEST_F(Cgroup, V1AloneLimitsAndKillsWithTheFreezer) {
  const auto v1 = v1_only();
  if (!v1) {
    GTEST_SKIP() << "no v1 hierarchy";
  }
  auto cgroup = make(kAllLimits, &*v1);
  if (!cgroup) {
    GTEST_SKIP() << skip_reason_;
  }
  EXPECT_EQ(cgroup->v2_dirfd(), -1);
  for (const auto& dir : cgroup->directories()) {
    EXPECT_FALSE(!mounts_.unified.empty() && dir.starts_with(mounts_.unified)) << dir;
  }
  EXPECT_EQ(trimmed(slurp(cgroup->directory_for("pids") + "/pids.max")), "16");
  expect_kills_daemon(*cgroup, KillMethod::automatic);
}

// The integrator's fast path: the child starts in the v2 cgroup, with no
// window in which it runs outside.
TEST_F(Cgroup, CloneIntoCgroupTakesTheV2Dirfd) {
  auto cgroup = make({});
  ASSERT_TRUE(cgroup);
  if (cgroup->v2_dirfd() < 0) {
    GTEST_SKIP() << "no v2 hierarchy";
  }
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<std::uint64_t>(cgroup->v2_dirfd());
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(pid, 0) << std::strerror(errno);
  const std::string own = slurp("/proc/" + std::to_string(pid) + "/cgroup");
  EXPECT_NE(own.find("0::" + mounts_.own.at("").path + (mounts_.own.at("").path == "/" ? "" : "/") +
                     cgroup->name() + "\n"),
            std::string::npos)
      << own;
  ASSERT_TRUE(cgroup->kill_all());
  int status = 0;
  EXPECT_EQ(::waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(Cgroup, TheDestructorKillsAndRemoves) {
  std::vector<std::string> directories;
  Child child = spawn([](int) {
    ::pause();
    return 0;
  });
  {
    auto cgroup = make({});
    ASSERT_TRUE(cgroup);
    directories = cgroup->directories();
    ASSERT_TRUE(cgroup->add(child.pid));
    child.release();
  }
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  for (const auto& dir : directories) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

TEST_F(Cgroup, AnUnenforceableLimitFailsNamingTheFile) {
  const auto v2 = v2_only();
  if (!v2 || slurp(v2->own.at("").dir + "/cgroup.controllers").find("memory") != std::string::npos) {
    GTEST_SKIP() << "needs a v2 hierarchy without the memory controller (a hybrid machine)";
  }
  const auto made = RunCgroup::create(*v2, {.memory_bytes = 64 * kMiB});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().path, v2->own.at("").dir + "/cgroup.controllers");
  EXPECT_NE(made.error().message().find("memory limit cannot be enforced"), std::string::npos)
      << made.error().message();
}

// A strata SIGKILLed mid-run leaves its (empty) cgroups; the next run that
// creates cgroups removes them.
TEST_F(Cgroup, TheNextRunSweepsCgroupsOfDeadRuns) {
  std::vector<std::string> stale;
  for (const auto& [key, own] : mounts_.own) {
    // pid_max is at most 2^22: no process has this pid.
    const std::string dir = own.dir + "/strata-99999999-deadbeef";
    if (::mkdir(dir.c_str(), 0755) == 0) {
      stale.push_back(dir);
    }
  }
  ASSERT_FALSE(stale.empty()) << "could not create a cgroup in any hierarchy";
  const auto result = test::strata({"run", "--pids", "100", "--", "/bin/true"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const auto& dir : stale) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << "not swept: " << dir;
    ::rmdir(dir.c_str());
  }
}

}  // namespace
}  // namespace strata
