#include "vm/session.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>

#include "base/files.hpp"
#include "base/log.hpp"

namespace strata::vm {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kChunk = 64UL * 1024;
constexpr std::size_t kConsoleLines = 40;
// After the guest's last word, how long its power-off may take.
constexpr milliseconds kShutdownGrace{3000};

// Console lines that mean the guest is lost and waiting longer is useless.
constexpr std::array<std::string_view, 3> kFatalConsole{"Kernel panic", "System halted", "strata vm-init:"};

class Loop {
 public:
  explicit Loop(Session& s) : s_(s) {}

  Outcome run() {
    // The Job goes out at once: QEMU holds it until the guest's init opens
    // the port, which saves the guest a round trip after it says ready.
    send(FrameType::job, to_json_text(s_.job));
    while (!finished_) {
      step();
    }
    kill_and_reap(s_.qemu);
    kill_and_reap(s_.virtiofsd);
    drain_errors();
    return outcome();
  }

 private:
  void step() {
    const auto now = Clock::now();
    check_deadlines(now);
    if (finished_) {
      return;
    }
    std::array<pollfd, 7> fds{};
    fds[0] = {.fd = s_.channel.get(), .events = POLLIN, .revents = 0};
    fds[1] = {.fd = s_.console.get(), .events = POLLIN, .revents = 0};
    fds[2] = {.fd = s_.qemu_errors.get(), .events = POLLIN, .revents = 0};
    fds[3] = {.fd = s_.signals, .events = POLLIN, .revents = 0};
    fds[4] = {.fd = s_.qemu.pidfd.get(), .events = POLLIN, .revents = 0};
    fds[5] = {.fd = ready_ && stdin_open_ && !reported() ? 0 : -1, .events = POLLIN, .revents = 0};
    fds[6] = {.fd = s_.share_errors.get(), .events = POLLIN, .revents = 0};
    const int wait = next_wait(now);
    if (::poll(fds.data(), fds.size(), wait) < 0 && errno != EINTR) {
      fail_with(fail_errno("wait for the VM").error());
      return;
    }
    if (fds[0].revents != 0) {
      read_channel();
    }
    if (fds[1].revents != 0) {
      read_console();
    }
    if (fds[2].revents != 0) {
      read_errors(s_.qemu_errors, qemu_errors_);
    }
    if (fds[6].revents != 0) {
      read_errors(s_.share_errors, share_errors_);
    }
    if (fds[3].revents != 0) {
      forward_signals();
    }
    if (fds[5].revents != 0) {
      read_stdin();
    }
    if (fds[4].revents != 0) {
      // QEMU is gone: whatever it still had buffered is in the sockets.
      read_channel();
      read_console();
      qemu_status_ = reap(s_.qemu);
      finished_ = true;
    }
  }

  [[nodiscard]] bool reported() const { return status_.has_value() || guest_error_.has_value(); }

  int next_wait(Clock::time_point now) const {
    std::optional<Clock::time_point> next;
    const auto consider = [&next](std::optional<Clock::time_point> t) {
      if (t && (!next || *t < *next)) {
        next = t;
      }
    };
    if (!ready_) {
      consider(s_.started + s_.boot_bound);
    }
    if (s_.timeout && !timed_out_) {
      consider(s_.started + *s_.timeout);
    }
    consider(kill_at_);
    if (!next) {
      return -1;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(*next - now).count() + 1;
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
  }

  void check_deadlines(Clock::time_point now) {
    if (kill_at_ && now >= *kill_at_) {
      finished_ = true;  // the run loop kills QEMU
      return;
    }
    if (!ready_ && now >= s_.started + s_.boot_bound) {
      fail_with(Error{.step = "boot the VM",
                      .path = {},
                      .err = 0,
                      .detail = fmt::format("strata's init did not start within {} s{}",
                                            s_.boot_bound.count() / 1000, console_tail()),
                      .exit_code = kExitFailure});
      return;
    }
    if (s_.timeout && !timed_out_ && now >= s_.started + *s_.timeout) {
      timed_out_ = true;
      if (ready_ && !reported()) {
        send(FrameType::signal, std::to_string(s_.stop_signal));
        kill_at_ = now + s_.kill_after;
      } else {
        finished_ = true;
      }
    }
  }

  void fail_with(Error error) {
    if (!guest_error_ && !status_) {
      guest_error_ = std::move(error);
    }
    finished_ = true;
  }

  void send(FrameType type, std::string_view payload) {
    if (auto ok = write_all(s_.channel.get(), encode_frame(type, payload), "write to the VM channel", "");
        !ok) {
      fail_with(ok.error());
    }
  }

  void read_channel() {
    std::array<char, kChunk> buffer{};
    while (true) {
      const ssize_t n = ::recv(s_.channel.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) {
        return;
      }
      if (auto ok = reader_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !ok) {
        fail_with(ok.error());
        return;
      }
      while (auto frame = reader_.next()) {
        take(*frame);
      }
    }
  }

  void take(const Frame& frame) {
    switch (frame.type) {
      case FrameType::ready:
        ready_ = true;  // the boot watchdog is satisfied; stdin may flow
        break;
      case FrameType::stdout_data:
        output(1, frame.payload);
        break;
      case FrameType::stderr_data:
        output(2, frame.payload);
        break;
      case FrameType::status: {
        auto status = parse_status(frame.payload);
        if (!status) {
          fail_with(status.error());
          return;
        }
        status_ = *status;
        kill_at_ = Clock::now() + kShutdownGrace;
        break;
      }
      case FrameType::error: {
        auto error = parse_error(frame.payload);
        guest_error_ = error ? *error : error.error();
        kill_at_ = Clock::now() + kShutdownGrace;
        break;
      }
      default:
        fail_with(fail("read the VM channel", "", "the guest sent a frame meant for the host side").error());
    }
  }

  void output(int fd, std::string_view bytes) {
    if (!output_ok_[fd]) {
      return;
    }
    if (!write_all(fd, bytes, "write the workload's output", "")) {
      output_ok_[fd] = false;  // the reader went away; the workload runs on
    }
  }

  void read_console() {
    std::array<char, kChunk> buffer{};
    while (true) {
      const ssize_t n = ::recv(s_.console.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) {
        return;
      }
      const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
      if (s_.console_file) {
        if (!write_all(s_.console_file.get(), bytes, "write --keep-console", "")) {
          s_.console_file.reset();  // a full disk ends the copy, not the run
        }
      }
      for (char c : bytes) {
        if (c == '\n') {
          end_console_line();
        } else if (c != '\r') {
          partial_ += c;
        }
      }
    }
  }

  void end_console_line() {
    for (std::string_view fatal : kFatalConsole) {
      if (partial_.find(fatal) != std::string::npos && !reported()) {
        console_.push_back(partial_);
        fail_with(Error{.step = "run the VM",
                        .path = {},
                        .err = 0,
                        .detail = fmt::format("the guest failed{}", console_tail()),
                        .exit_code = kExitFailure});
        partial_.clear();
        return;
      }
    }
    console_.push_back(std::move(partial_));
    partial_.clear();
    if (console_.size() > kConsoleLines) {
      console_.pop_front();
    }
  }

  // ": last console lines: a | b | c", or "" when the console said nothing.
  [[nodiscard]] std::string console_tail() const {
    std::vector<std::string> lines;
    for (auto it = console_.rbegin(); it != console_.rend() && lines.size() < 3; ++it) {
      if (!it->empty()) {
        lines.insert(lines.begin(), *it);
      }
    }
    if (lines.empty()) {
      return {};
    }
    std::string out = "; last console lines: ";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += (i == 0 ? "" : " | ") + lines[i];
    }
    return out;
  }

  // The pipes are non-blocking: this reads what is there.
  static void read_errors(UniqueFd& fd, std::string& into) {
    std::array<char, 4096> buffer{};
    for (ssize_t n; fd && (n = ::read(fd.get(), buffer.data(), buffer.size())) != 0;) {
      if (n < 0) {
        return;
      }
      if (into.size() < 16UL * 1024) {
        into.append(buffer.data(), static_cast<std::size_t>(n));
      }
    }
    fd.reset();  // EOF
  }

  void drain_errors() {
    read_errors(s_.qemu_errors, qemu_errors_);
    read_errors(s_.share_errors, share_errors_);
  }

  void forward_signals() {
    signalfd_siginfo info{};
    while (::read(s_.signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const auto sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGWINCH) {
        continue;
      }
      if (ready_ && !reported()) {
        send(FrameType::signal, std::to_string(sig));
      } else if (!ready_) {
        interrupted_ = sig;
        finished_ = true;
      }
    }
  }

  void read_stdin() {
    std::array<char, kChunk> buffer{};
    const ssize_t n = ::read(0, buffer.data(), buffer.size());
    if (n > 0) {
      send(FrameType::stdin_data, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      stdin_open_ = false;
      send(FrameType::stdin_eof, {});
    }
  }

  // The first line of QEMU's complaints. virtiofsd's only complain about
  // the guest going away; they are shown with --verbose.
  [[nodiscard]] std::string qemu_complaint() const {
    if (!share_errors_.empty()) {
      log::debug("virtiofsd: {}", share_errors_);
    }
    return first_line(qemu_errors_);
  }

  static std::string first_line(std::string_view text) {
    while (!text.empty()) {
      const auto end = text.find('\n');
      std::string_view line = text.substr(0, end);
      if (!line.empty() && line.find("warning:") == std::string_view::npos) {
        return std::string(line);
      }
      if (end == std::string_view::npos) {
        break;
      }
      text.remove_prefix(end + 1);
    }
    return {};
  }

  Outcome outcome() const {
    Outcome out;
    out.wall_seconds = std::chrono::duration<double>(Clock::now() - s_.started).count();
    if (timed_out_) {
      out.reason = EndReason::timeout;
      out.exit_code = kExitTimeout;
      return out;
    }
    if (status_) {
      switch (status_->kind) {
        case GuestStatus::Kind::exited:
          out.exit_code = status_->code;
          break;
        case GuestStatus::Kind::signaled:
          out.reason = EndReason::signaled;
          out.signal = status_->code;
          out.exit_code = 128 + status_->code;
          break;
        case GuestStatus::Kind::exec_failed:
          out.reason = EndReason::exec_failed;
          out.exit_code = status_->code;
          out.error = Error{.step = "execute",
                            .path = status_->detail,
                            .err = status_->err,
                            .detail = "in the VM",
                            .exit_code = status_->code};
          break;
      }
      return out;
    }
    if (interrupted_ != 0) {
      out.reason = EndReason::signaled;
      out.signal = interrupted_;
      out.exit_code = 128 + interrupted_;
      return out;
    }
    Error error =
        guest_error_.value_or(Error{.step = ready_ ? "run the VM" : "boot the VM",
                                    .path = ready_ ? std::string() : s_.kernel,
                                    .err = 0,
                                    .detail = ready_ ? "the guest ended without saying how the workload ended"
                                                     : "the guest ended before strata's init started",
                                    .exit_code = kExitFailure});
    if (!guest_error_) {
      if (auto complaint = qemu_complaint(); !complaint.empty()) {
        error.detail += ": " + complaint;
      } else if (auto tail = console_tail(); !tail.empty()) {
        error.detail += tail;
      } else {
        error.detail += " (the console stayed silent: is it a working x86-64 kernel?)";
      }
    }
    error.exit_code = kExitFailure;
    return Outcome::from_error(error);
  }

  Session& s_;
  FrameReader reader_;
  bool ready_ = false;
  bool finished_ = false;
  bool timed_out_ = false;
  bool stdin_open_ = true;
  int interrupted_ = 0;
  int qemu_status_ = 0;
  std::array<bool, 3> output_ok_{true, true, true};
  std::optional<GuestStatus> status_;
  std::optional<Error> guest_error_;
  std::optional<Clock::time_point> kill_at_;
  std::deque<std::string> console_;
  std::string partial_;
  std::string qemu_errors_;
  std::string share_errors_;
};

}  // namespace

Outcome run_session(Session& session) {
  // A reader of our stdout that goes away must not take strata (and so,
  // through PDEATHSIG, the guest) down with SIGPIPE.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous = {};
  ::sigaction(SIGPIPE, &ignore, &previous);
  Outcome outcome = Loop(session).run();
  ::sigaction(SIGPIPE, &previous, nullptr);
  return outcome;
}

}  // namespace strata::vm
