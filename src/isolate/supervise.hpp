// The supervisor: what strata does while a workload runs. It forwards signals,
// relays a pty, collects the sandbox's reports and reaps the child.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

#include "base/unique_fd.hpp"
#include "isolate/outcome.hpp"
#include "isolate/sandbox/sync.hpp"

namespace strata {

// Blocks the signals strata forwards (and SIGWINCH) and reads them from a
// signalfd instead, so none is lost between clone and the supervisor's loop.
// The previous mask is restored on destruction; children unblock their own.
class ForwardedSignals {
 public:
  static Result<ForwardedSignals> block();
  ForwardedSignals(ForwardedSignals&&) = default;
  ForwardedSignals& operator=(ForwardedSignals&&) = delete;
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  ~ForwardedSignals();

  [[nodiscard]] int fd() const { return fd_.get(); }

  // The signals forwarded to the workload.
  static sigset_t forwarded();

 private:
  ForwardedSignals(UniqueFd fd, sigset_t previous) : fd_(std::move(fd)), previous_(previous) {}

  UniqueFd fd_;
  sigset_t previous_{};
};

struct Child {
  pid_t pid = -1;
  UniqueFd pidfd;
};

struct SuperviseOptions {
  // --timeout: the child is sent SIGTERM at the deadline, and kill_all runs
  // kill_after later if it is still there.
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_after{0};
  int stop_signal = SIGTERM;  // what the deadline sends first
  // Ends every process of the run. Default: SIGKILL to the child, which for
  // a sandbox is its pid namespace's init and so takes the namespace down.
  std::function<void()> kill_all;
  // With --isolation host the child shares our terminal's process group and
  // already received the terminal's signals; do not send them twice.
  bool skip_terminal_signals = false;
  std::chrono::steady_clock::time_point started;
};

// Runs until the child exits, then reaps it and builds the Outcome. A
// setup_failed report becomes the error. A pty master sent by the workload
// is relayed to the caller's terminal.
Result<Outcome> supervise(Child child, SyncChannel& channel, const ForwardedSignals& signals,
                          const SuperviseOptions& options);

}  // namespace strata
