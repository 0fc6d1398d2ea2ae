// SECURITY.md item 30: when the supervisor is SIGKILLed (no chance to clean
// up), the sandbox still dies with it and leaves no mounts, cgroups or
// network namespaces behind.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "security.hpp"

namespace strata::test {
namespace {

// The net namespace links ("net:[4026...]") of every host process.
std::set<std::string> net_namespaces_in_use() {
  std::set<std::string> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return out;
  }
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') {
      continue;
    }
    char target[128];
    const std::string link = std::string("/proc/") + entry->d_name + "/ns/net";
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0) {
      out.emplace(target, static_cast<std::size_t>(n));
    }
  }
  ::closedir(proc);
  return out;
}

class SupervisorKilled : public testing::Test {
 protected:
  void SetUp() override {
    marker_ = "STRATA_ATTACK=" + unique_token();
    before_ = HostState::now();
    descendants_ = descendants_of(::getpid());
  }
  void TearDown() override {
    for (pid_t pid : processes_carrying(marker_)) {
      ::kill(pid, SIGKILL);
    }
    kill_new_descendants(descendants_);
  }

  // Starts a sandbox whose workload prints its net namespace, then leaves a
  // setsid'd, SIGTERM-ignoring daemon and waits; SIGKILLs strata once the
  // daemon is up; checks that nothing of the run remains.
  void kill_and_check(std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--env", marker_});
    std::vector<std::string> argv{strata_bin(), "run", "--ro-bind", attacker_bin() + ":/attacker"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(),
                {"--", "/bin/sh", "-c", "/attacker readlink /proc/self/ns/net; exec /attacker daemonize"});
    Process p = Process::start(argv);
    const auto netns = p.read_line(std::chrono::seconds(20));
    const auto daemon = p.read_line(std::chrono::seconds(20));
    ASSERT_TRUE(netns && netns->starts_with("ok net:["))
        << (netns ? *netns : "no line") << " " << describe(p.wait(std::chrono::seconds(1)));
    ASSERT_TRUE(daemon && daemon->starts_with("daemon ")) << (daemon ? *daemon : "no line");
    ASSERT_FALSE(processes_carrying(marker_).empty()) << "the marker does not find the run's processes";
    p.kill(SIGKILL);
    const Finished f = p.wait();
    EXPECT_EQ(f.signal, SIGKILL) << describe(f);

    EXPECT_TRUE(eventually([this] { return processes_carrying(marker_).empty(); }, std::chrono::seconds(3)))
        << "processes of the run survived its supervisor";
    const std::string ns = netns->substr(3);
    EXPECT_TRUE(eventually([&ns] { return !net_namespaces_in_use().contains(ns); }, std::chrono::seconds(2)))
        << "the sandbox's network namespace " << ns << " is still in use";
    EXPECT_TRUE(eventually([this] { return new_cgroups(before_.cgroups).empty(); }, std::chrono::seconds(3)))
        << "cgroups left behind";
    expect_unchanged(before_, "after SIGKILL of the supervisor");
  }

  const ScopedSubreaper subreaper_;
  std::string marker_;
  HostState before_;
  std::set<pid_t> descendants_;
};

TEST_F(SupervisorKilled, DefaultSandboxDiesWithIt) {
  kill_and_check({});
}

TEST_F(SupervisorKilled, SandboxWithCgroupLimitsDiesWithItAndLeavesNoCgroup) {
  kill_and_check({"--memory", "256m", "--pids", "128"});
}

TEST_F(SupervisorKilled, LeftCgroupsAreSweptByTheNextRun) {
  // strata's answer to a SIGKILLed run's cgroups: the next run with a cgroup
  // removes those whose strata is gone.
  Process p = Process::start(attack_argv({"--env", marker_, "--pids", "64"}, {"sleep", "30"}));
  ASSERT_EQ(p.read_line(), "ready");
  std::set<std::string> made;  // this live run's cgroups (new_cgroups() counts only dead owners')
  for (const auto& cgroup : strata_cgroups()) {
    if (!before_.cgroups.contains(cgroup) &&
        cgroup.find("strata-" + std::to_string(p.pid()) + "-") != std::string::npos) {
      made.insert(cgroup);
    }
  }
  ASSERT_FALSE(made.empty()) << "the run has no cgroup of its own";
  // The janitor removes them at once; without it (killed too) the sweep must.
  const std::string self = std::to_string(p.pid());
  const auto children = read_file("/proc/" + self + "/task/" + self + "/children").value_or("");
  int janitors = 0;
  std::istringstream pids(children);
  for (pid_t child = 0; pids >> child;) {
    if (read_file("/proc/" + std::to_string(child) + "/comm").value_or("") == "strata-janitor\n") {
      ::kill(child, SIGKILL);
      ++janitors;
    }
  }
  ASSERT_EQ(janitors, 1) << "strata's children: " << children;
  p.kill(SIGKILL);
  p.wait(std::chrono::seconds(5));
  const Finished next = attack({"--pids", "64"}, {"exit", "0"});
  EXPECT_EQ(next.exit_code, 0) << describe(next);
  for (const auto& cgroup : made) {
    EXPECT_FALSE(path_exists(cgroup)) << cgroup << " survived the next run";
  }
}

TEST_F(SupervisorKilled, SharedPidNamespaceDiesWithIt) {
  // No pid namespace to tear down: the run's cgroup, killed by the janitor,
  // ends the daemon.
  kill_and_check({"--share", "pid"});
}

// What a process is, for a failure message: its status lines of interest.
std::string describe_process(pid_t pid) {
  std::string out = "pid " + std::to_string(pid) + ":";
  for (const auto& line : lines(read_file("/proc/" + std::to_string(pid) + "/status").value_or(""))) {
    if (line.starts_with("Name:") || line.starts_with("State:") || line.starts_with("PPid:") ||
        line.starts_with("NSpid:")) {
      out += " " + line;
    }
  }
  return out + " cmdline=" + read_file("/proc/" + std::to_string(pid) + "/cmdline").value_or("?");
}

// The first child of `pid`, or 0.
pid_t first_child(pid_t pid) {
  const auto text = read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  return text && !text->empty() ? static_cast<pid_t>(std::stol(*text)) : 0;
}

class SupervisorKilledDuringSetup : public SupervisorKilled {
 protected:
  // Starts a run whose workload would sleep 30 s, waits for `moment`, then
  // SIGKILLs strata; whatever of the run is left a second later survived.
  // True when something did.
  bool kill_at(int i, const std::function<void(pid_t)>& moment) {
    const std::string marker = marker_ + "-" + std::to_string(i);
    Process p = Process::start(attack_argv({"--env", marker}, {"sleep", "30"}));
    moment(p.pid());
    p.kill(SIGKILL);
    // The sandbox's processes hold strata's stdout: EOF comes when all are gone.
    p.wait(std::chrono::seconds(1));
    std::set<pid_t> left;
    eventually([&] { return (left = processes_carrying(marker)).empty(); }, std::chrono::seconds(1));
    for (pid_t pid : left) {
      ADD_FAILURE() << "run " << i << " survived its supervisor's SIGKILL: " << describe_process(pid);
      ::kill(pid, SIGKILL);
    }
    return !left.empty();
  }
};

TEST_F(SupervisorKilledDuringSetup, AtAssortedMomentsLeavesNothing) {
  // SIGKILL at points of the first 20 ms, before and after the clone.
  for (int i = 0; i < 40; ++i) {
    if (kill_at(i, [i](pid_t) { ::usleep(static_cast<useconds_t>(500 * i)); })) {
      break;  // one is enough to fail; the rest would only cost time
    }
  }
  expect_unchanged(before_, "after interrupted starts");
}

TEST_F(SupervisorKilledDuringSetup, RightAfterTheIdMapsLeavesNothing) {
  // SIGKILL as soon as the supervisor has written init's id maps: if init
  // has not armed its parent-death signal yet (it is armed first thing in
  // the child, but a busy machine may not have run the child at all), the
  // queued "ids mapped" message lets it carry on with no supervisor. The
  // window is narrow: 100 tries.
  for (int i = 0; i < 100; ++i) {
    const bool survived = kill_at(i, [](pid_t strata) {
      eventually(
          [strata] {
            const pid_t init = first_child(strata);
            const auto map =
                init > 0 ? read_file("/proc/" + std::to_string(init) + "/uid_map") : std::nullopt;
            return map && !map->empty();
          },
          std::chrono::seconds(5), /*poll_interval_us=*/50);
    });
    if (survived) {
      break;  // one is enough to fail; the rest would only cost time
    }
  }
  expect_unchanged(before_, "after interrupted starts");
}

}  // namespace
}  // namespace strata::test
