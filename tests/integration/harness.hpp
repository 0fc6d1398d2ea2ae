// Runs the real strata binary (and the static probe helper inside it) for the
// integration tests, capturing what they print and how they end.
#pragma once

#include <sys/prctl.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace strata::test {

// Paths baked in by CMake.
std::string strata_bin();
std::string probe_bin();

struct Finished {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// A running child process with its stdin, stdout and stderr on pipes.
class Process {
 public:
  // Starts argv[0] (a path) with the given argv; extra_fds are dup'ed to
  // the same numbers in the child without CLOEXEC (to test fd leaks).
  // in_child, if given, runs in the forked child just before the exec (for
  // set-up that must not touch the test process, such as a private mount
  // namespace); it must only make async-signal-safe calls and _exit on failure.
  static Process start(const std::vector<std::string>& argv, const std::vector<int>& leak_fds = {},
                       const std::function<void()>& in_child = {});

  [[nodiscard]] pid_t pid() const { return pid_; }
  void write_stdin(const std::string& data);
  void close_stdin();
  // Reads stdout until a full line arrives; nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void kill(int sig) const;
  // Waits for exit (killing with SIGKILL after timeout) and collects output.
  Finished wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  UniqueFd in_, out_, err_;
  std::string out_buffer_;
  std::string err_buffer_;
};

// Runs argv to completion.
Finished run(const std::vector<std::string>& argv, const std::string& input = "");

// Runs `strata ARGS...`.
Finished strata(const std::vector<std::string>& args, const std::string& input = "");

// Where probe() makes the probe visible inside a sandbox: the host path of
// the build tree is not (and must not be) visible there.
inline constexpr const char* kProbeInside = "/probe";

// The argv of `strata run FLAGS... --ro-bind PROBE:/probe -- /probe PROBE_ARGS...`.
// With `--isolation host` among the flags nothing is bound and the probe runs
// from its host path.
std::vector<std::string> probe_argv(const std::vector<std::string>& flags,
                                    const std::vector<std::string>& probe_args);

// Runs `strata run FLAGS... -- probe PROBE_ARGS...` (see probe_argv).
Finished probe(const std::vector<std::string>& flags, const std::vector<std::string>& probe_args);

// Starts `strata run FLAGS... -- probe PROBE_ARGS...` (see probe_argv).
Process start_probe(const std::vector<std::string>& flags, const std::vector<std::string>& probe_args,
                    const std::vector<int>& leak_fds = {});

// Makes the test process the reaper of its orphaned descendants while it
// lives, so a sandbox process that outlives strata stays visible to
// descendants_of() instead of moving to the host's init.
class ScopedSubreaper {
 public:
  ScopedSubreaper() { enabled_ = ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }
  ~ScopedSubreaper() {
    if (enabled_) {
      ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }
  }
  ScopedSubreaper(const ScopedSubreaper&) = delete;
  ScopedSubreaper& operator=(const ScopedSubreaper&) = delete;

 private:
  bool enabled_ = false;
};

// Splits text into lines without the newlines.
std::vector<std::string> lines(const std::string& text);

// A one-line summary of how a run ended and what it printed, for failure messages.
std::string describe(const Finished& f);

// 32 random hex digits, for names and markers no other run can share.
std::string unique_token();

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // path() + "/" + name
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Whole-file helpers; read_file returns nullopt when the file cannot be opened.
std::optional<std::string> read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
bool path_exists(const std::string& path);  // lstat, so dangling symlinks exist

// The processes (including zombies) whose parent chain reaches `ancestor`,
// not counting `ancestor` itself.
std::set<pid_t> descendants_of(pid_t ancestor);

// The pids of host processes whose command line or environment contains
// `marker` (other than the calling process).
std::set<pid_t> processes_carrying(const std::string& marker);

}  // namespace strata::test
