// Shared by the security tests: running the attacker helper inside a sandbox
// and snapshotting the host state an attack must leave alone.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace strata::test {

inline std::string attacker_bin() {
  return ATTACKER_BIN;
}

// Where the attacker is bound inside the sandbox.
inline constexpr const char* kAttackerInside = "/attacker";

// `strata run --ro-bind ATTACKER:/attacker FLAGS... -- /attacker ARGS...`
inline std::vector<std::string> attack_argv(const std::vector<std::string>& flags,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> argv{strata_bin(), "run", "--ro-bind", attacker_bin() + ":" + kAttackerInside};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.push_back(kAttackerInside);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

inline Finished attack(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  return run(attack_argv(flags, args));
}

inline Process start_attack(const std::vector<std::string>& flags, const std::vector<std::string>& args,
                            const std::vector<int>& leak_fds = {}) {
  return Process::start(attack_argv(flags, args), leak_fds);
}

// `strata run --ro-bind ATTACKER:/attacker FLAGS... -- /bin/sh -c SCRIPT`, for
// attacks of several steps in one sandbox.
inline Finished attack_script(const std::vector<std::string>& flags, const std::string& script) {
  std::vector<std::string> argv{strata_bin(), "run", "--ro-bind", attacker_bin() + ":" + kAttackerInside};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"--", "/bin/sh", "-c", script});
  return run(argv);
}

// The attacker's one-line answer, without its newline; the whole output if
// there is more than one line (so a comparison shows it).
inline std::string answer(const Finished& f) {
  std::string out = f.out;
  if (!out.empty() && out.back() == '\n' && out.find('\n') == out.size() - 1) {
    out.pop_back();
  }
  return out;
}

// Runs the attacker and returns its answer; fails the test when the run
// itself did not end normally (strata refused, the helper crashed).
inline std::string ask(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  const Finished f = attack(flags, args);
  EXPECT_EQ(f.exit_code, 0) << "attacker " << testing::PrintToString(args) << ": " << describe(f);
  return answer(f);
}

// Kills and reaps descendants of the test process that were not there before.
inline void kill_new_descendants(const std::set<pid_t>& before) {
  for (pid_t pid : descendants_of(::getpid())) {
    if (!before.contains(pid)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, WNOHANG);
    }
  }
}

// Every cgroup directory whose name starts with "strata-" in every mounted
// hierarchy under /sys/fs/cgroup (v1 controllers and v2 alike).
inline std::set<std::string> strata_cgroups() {
  std::set<std::string> out;
  const std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
    if (depth > 12) {
      return;
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      return;
    }
    while (const dirent* entry = ::readdir(d)) {
      const std::string name = entry->d_name;
      if (entry->d_type != DT_DIR || name == "." || name == "..") {
        continue;
      }
      const std::string path = dir + "/" + name;
      if (name.starts_with("strata-")) {
        out.insert(path);
      }
      walk(path, depth + 1);
    }
    ::closedir(d);
  };
  walk("/sys/fs/cgroup", 0);
  return out;
}

// What a run must not change on the host.
struct HostState {
  std::string mountinfo;
  std::set<std::string> cgroups;

  static HostState now() {
    return HostState{.mountinfo = read_file("/proc/self/mountinfo").value_or("?"),
                     .cgroups = strata_cgroups()};
  }
};

// Whether the strata that made "…/strata-<pid>-<random>" is still running:
// ctest runs other tests, and their live runs' cgroups, alongside.
inline bool owner_alive(const std::string& cgroup) {
  const std::string name = cgroup.substr(cgroup.rfind('/') + 1);
  const std::string pid = name.substr(7, name.find('-', 7) - 7);
  return !pid.empty() && std::filesystem::exists("/proc/" + pid);
}

// Cgroups in `after` that were not in `before` and whose strata is gone.
// (strata may remove stale cgroups of earlier, SIGKILLed runs at any start:
// vanishing is fine.)
inline std::set<std::string> new_cgroups(const std::set<std::string>& before,
                                         const std::set<std::string>& after = strata_cgroups()) {
  std::set<std::string> out;
  for (const auto& cgroup : after) {
    if (!before.contains(cgroup) && !owner_alive(cgroup)) {
      out.insert(cgroup);
    }
  }
  return out;
}

inline void expect_unchanged(const HostState& before, const std::string& context) {
  const HostState after = HostState::now();
  EXPECT_EQ(after.mountinfo, before.mountinfo) << context << ": the host's mount table changed";
  EXPECT_EQ(new_cgroups(before.cgroups, after.cgroups), std::set<std::string>{})
      << context << ": strata cgroups were left behind";
}

// The --json-status file of a run, or null when it is missing or not JSON.
// Swaps `a` and `b` with renameat2(RENAME_EXCHANGE) on a thread, as fast as
// it can, for as long as it lives (CVE-2021-30465-style races).
class ExchangeRacer {
 public:
  ExchangeRacer(std::string a, std::string b)
      : a_(std::move(a)), b_(std::move(b)), thread_([this] { race(); }) {}
  ExchangeRacer(const ExchangeRacer&) = delete;
  ExchangeRacer& operator=(const ExchangeRacer&) = delete;
  ~ExchangeRacer() {
    stop_ = true;
    thread_.join();
  }
  [[nodiscard]] long swaps() const { return swaps_.load(); }

 private:
  void race() {
    while (!stop_.load()) {
      if (::syscall(SYS_renameat2, AT_FDCWD, a_.c_str(), AT_FDCWD, b_.c_str(), RENAME_EXCHANGE) == 0) {
        swaps_.fetch_add(1);
      }
    }
  }
  std::string a_;
  std::string b_;
  std::atomic<bool> stop_{false};
  std::atomic<long> swaps_{0};
  std::thread thread_;
};

// The names in a directory, sorted (a host directory an attack must leave alone).
inline std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(entry.path().filename());
  }
  std::ranges::sort(out);
  return out;
}

inline nlohmann::json read_status(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return nullptr;
  }
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// Polls `done` for up to `timeout`; true as soon as it holds.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10),
                       useconds_t poll_interval_us = 20000) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    ::usleep(poll_interval_us);
  }
  return done();
}

inline bool pid_alive(pid_t pid) {
  // A zombie is not alive: read its state.
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return false;
  }
  const auto paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z';
}

}  // namespace strata::test
