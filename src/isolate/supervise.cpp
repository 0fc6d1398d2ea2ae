#include "isolate/supervise.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <optional>

#include "isolate/exec.hpp"
#include "isolate/pty.hpp"

namespace strata {

namespace {

constexpr std::array kForwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

int send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// What the supervisor learned while the child ran.
struct Reports {
  std::optional<Error> setup_error;
  std::optional<Error> exec_error;
  std::optional<Message> exited;  // the sandbox init's report of the workload's end
  bool timed_out = false;

  void take(const Message& message) {
    switch (message.kind) {
      case MessageKind::setup_failed:
        setup_error = message.to_error();
        break;
      case MessageKind::exec_failed:
        exec_error = message.to_error();
        exec_error->exit_code = exec_failure_code(message.err);
        break;
      case MessageKind::workload_exited:
        exited = message;
        break;
      case MessageKind::ids_mapped:
      case MessageKind::child_ready:
      case MessageKind::pty_master:
        break;
    }
  }
};

class Loop {
 public:
  Loop(const Child& child, SyncChannel& channel, const ForwardedSignals& signals,
       const SuperviseOptions& options)
      : child_(child), channel_(channel), signals_(signals), options_(options) {}

  Result<Reports> run() {
    if (auto ok = arm_timer(); !ok) {
      return std::unexpected(ok.error());
    }
    while (!child_exited_) {
      if (auto ok = step(); !ok) {
        return std::unexpected(ok.error());
      }
    }
    // The child is gone; whatever it reported is queued. Take it all.
    while (channel_open_) {
      auto incoming = channel_.receive(/*wait=*/false);
      if (!incoming || !*incoming) {
        break;
      }
      take(**incoming);
    }
    while (output_open_ && ::poll(std::array{pollfd{pty_->master(), POLLIN, 0}}.data(), 1, 0) > 0) {
      output_open_ = pty_->copy_output();
    }
    return reports_;
  }

 private:
  enum Slot : std::size_t { kSignals, kChild, kChannel, kPtyOut, kPtyIn, kTimer, kSlots };

  // --timeout: first the stop signal (SIGTERM unless the image or
  // --stop-signal says otherwise), then, kill_after later, everything is killed.
  Result<> arm_timer() {
    if (!options_.timeout) {
      return {};
    }
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!timer_) {
      return fail_errno("create the --timeout timer");
    }
    return set_timer(*options_.timeout);
  }

  Result<> set_timer(std::chrono::milliseconds after) {
    itimerspec when{};
    when.it_value.tv_sec = after.count() / 1000;
    when.it_value.tv_nsec = (after.count() % 1000) * 1000000;
    if (::timerfd_settime(timer_.get(), 0, &when, nullptr) != 0) {
      return fail_errno("arm the --timeout timer");
    }
    return {};
  }

  Result<> on_timer() {
    std::uint64_t expirations = 0;
    [[maybe_unused]] ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
    if (!reports_.timed_out) {
      reports_.timed_out = true;
      send_signal(child_.pidfd.get(), options_.stop_signal);
      return set_timer(std::max(options_.kill_after, std::chrono::milliseconds(1)));
    }
    kill_all();
    return {};
  }

  void kill_all() const {
    if (options_.kill_all) {
      options_.kill_all();
    } else {
      send_signal(child_.pidfd.get(), SIGKILL);
    }
  }

  Result<> step() {
    std::array<pollfd, kSlots> fds{};
    fds[kSignals] = {signals_.fd(), POLLIN, 0};
    fds[kChild] = {child_.pidfd.get(), POLLIN, 0};
    fds[kChannel] = {channel_open_ ? channel_.fd() : -1, POLLIN, 0};
    fds[kPtyOut] = {output_open_ ? pty_->master() : -1, POLLIN, 0};
    fds[kPtyIn] = {input_open_ ? STDIN_FILENO : -1, POLLIN, 0};
    fds[kTimer] = {timer_.get(), POLLIN, 0};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      return errno == EINTR ? Result<>{} : fail_errno("wait for the workload");
    }
    if (fds[kSignals].revents != 0) {
      forward_signal();
    }
    if (fds[kTimer].revents != 0) {
      if (auto ok = on_timer(); !ok) {
        return ok;
      }
    }
    if (fds[kChannel].revents != 0) {
      auto incoming = channel_.receive();
      if (!incoming) {
        return std::unexpected(incoming.error());
      }
      if (*incoming) {
        take(**incoming);
      } else {
        channel_open_ = false;
      }
    }
    if (fds[kPtyOut].revents != 0) {
      output_open_ = pty_->copy_output();
    }
    if (fds[kPtyIn].revents != 0) {
      input_open_ = pty_->copy_input();
    }
    child_exited_ = fds[kChild].revents != 0;
    return {};
  }

  void take(Incoming& incoming) {
    if (incoming.message.kind == MessageKind::pty_master && incoming.fd && !pty_) {
      pty_.emplace(std::move(incoming.fd));
      input_open_ = output_open_ = true;
    }
    reports_.take(incoming.message);
  }

  void forward_signal() {
    signalfd_siginfo info{};
    if (::read(signals_.fd(), &info, sizeof info) != sizeof info) {
      return;
    }
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGWINCH) {
      if (pty_) {
        pty_->resize();
      }
      return;
    }
    if (options_.skip_terminal_signals && info.ssi_code == SI_KERNEL) {
      return;
    }
    send_signal(child_.pidfd.get(), sig);
  }

  const Child& child_;
  SyncChannel& channel_;
  std::optional<Pty> pty_;
  const ForwardedSignals& signals_;
  const SuperviseOptions& options_;
  Reports reports_;
  UniqueFd timer_;
  bool child_exited_ = false;
  bool channel_open_ = true;
  bool input_open_ = false;
  bool output_open_ = false;
};

Outcome outcome_of(const Reports& reports, int status) {
  if (reports.exec_error) {
    return Outcome::from_error(*reports.exec_error);
  }
  Outcome outcome;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (reports.exited) {  // the sandbox's init knows how the workload itself ended
    code = reports.exited->exit_code;
    sig = reports.exited->signal;
  }
  if (reports.timed_out) {
    outcome.reason = EndReason::timeout;
    outcome.signal = sig;
    outcome.exit_code = kExitTimeout;
  } else if (sig != 0) {
    outcome.reason = EndReason::signaled;
    outcome.signal = sig;
    outcome.exit_code = 128 + sig;
  } else {
    outcome.exit_code = code;
  }
  return outcome;
}

}  // namespace

sigset_t ForwardedSignals::forwarded() {
  sigset_t set;
  ::sigemptyset(&set);
  for (int sig : kForwarded) {
    ::sigaddset(&set, sig);
  }
  return set;
}

Result<ForwardedSignals> ForwardedSignals::block() {
  sigset_t set = forwarded();
  ::sigaddset(&set, SIGWINCH);
  sigset_t previous;
  if (::sigprocmask(SIG_BLOCK, &set, &previous) != 0) {
    return fail_errno("block signals");
  }
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd) {
    const int err = errno;
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return fail_errno("create a signalfd", "", err);
  }
  return ForwardedSignals(std::move(fd), previous);
}

ForwardedSignals::~ForwardedSignals() {
  if (fd_) {
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
  }
}

Result<Outcome> supervise(Child child, SyncChannel& channel, const ForwardedSignals& signals,
                          const SuperviseOptions& options) {
  Loop loop(child, channel, signals, options);
  auto reports = loop.run();
  int status = 0;
  rusage usage{};
  while (::wait4(child.pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      return fail_errno("reap the workload");
    }
  }
  if (!reports) {
    return std::unexpected(reports.error());
  }
  if (reports->setup_error) {
    return std::unexpected(*reports->setup_error);
  }
  Outcome outcome = outcome_of(*reports, status);
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - options.started).count();
  outcome.max_rss_kib = usage.ru_maxrss;
  return outcome;
}

}  // namespace strata
