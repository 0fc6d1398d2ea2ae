#include "vm/guest/workload.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "base/fds.hpp"
#include "base/unique_fd.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): execvp searches the Job's PATH

namespace strata::vm::guest {

namespace {

constexpr std::size_t kChunk = 64UL * 1024;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail_errno("create a pipe for the workload");
  }
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// In the child, between fork and exec: only async-signal-safe calls, and on
// failure the errno goes up the exec pipe.
[[noreturn]] void exec_child(const Job& job, std::vector<char*>& argv, std::vector<char*>& env, int in,
                             int out, int err, int report) {
  const auto die = [report](int code) {
    (void)::write(report, &code, sizeof code);
    ::_exit(127);
  };
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  (void)::signal(SIGPIPE, SIG_DFL);
  ::setsid();
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    die(errno);
  }
  if (!close_fds_except({report})) {
    die(errno);
  }
  for (const auto& limit : job.rlimits) {
    const rlimit value{.rlim_cur = limit.soft, .rlim_max = limit.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0) {
      die(errno);
    }
  }
  if (::setgroups(0, nullptr) != 0 || ::setresgid(job.gid, job.gid, job.gid) != 0 ||
      ::setresuid(job.uid, job.uid, job.uid) != 0) {
    die(errno);
  }
  if (::chdir(job.cwd.c_str()) != 0) {
    if (job.cwd_required || ::chdir("/") != 0) {
      die(errno);
    }
  }
  environ = env.data();
  if (!job.inner.empty()) {
    // Still strata's own binary in the initramfs, whatever the root is now.
    ::execve("/proc/self/exe", argv.data(), env.data());
    die(errno);
  }
  ::execvp(argv[0], argv.data());
  die(errno);
  ::_exit(127);
}

// The output relay and the workload's status, driven by one poll loop.
class Relay {
 public:
  Relay(int channel, FrameReader& reader, pid_t child, int signals)
      : channel_(channel), reader_(reader), child_(child), signals_(signals) {}

  Pipe stdin_pipe;
  UniqueFd stdout_read;
  UniqueFd stderr_read;

  Result<GuestStatus> run() {
    take_frames();  // stdin may have come in with the Job
    while (!status_ || stdout_read || stderr_read) {
      if (status_ && !killed_rest_) {
        // The workload is gone: what it left behind would hold the output
        // pipes open forever. Pid 1 survives kill(-1).
        ::kill(-1, SIGKILL);
        killed_rest_ = true;
      }
      if (auto ok = step(); !ok) {
        return std::unexpected(ok.error());
      }
    }
    return *status_;
  }

 private:
  Result<> step() {
    std::array<pollfd, 5> fds{};
    fds[0] = {.fd = signals_, .events = POLLIN, .revents = 0};
    fds[1] = {.fd = stdout_read.get(), .events = POLLIN, .revents = 0};
    fds[2] = {.fd = stderr_read.get(), .events = POLLIN, .revents = 0};
    fds[3] = {.fd = status_ ? -1 : channel_, .events = POLLIN, .revents = 0};
    fds[4] = {.fd = pending_.empty() ? -1 : stdin_pipe.write.get(), .events = POLLOUT, .revents = 0};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      return errno == EINTR ? Result<>{} : fail_errno("wait for the workload");
    }
    if (fds[0].revents != 0) {
      reap();
    }
    if (auto ok = relay_output(stdout_read, FrameType::stdout_data, fds[1].revents); !ok) {
      return ok;
    }
    if (auto ok = relay_output(stderr_read, FrameType::stderr_data, fds[2].revents); !ok) {
      return ok;
    }
    if (fds[3].revents != 0) {
      if (auto ok = read_channel(); !ok) {
        return ok;
      }
    }
    feed_stdin();
    return {};
  }

  void reap() {
    signalfd_siginfo info{};
    while (::read(signals_, &info, sizeof info) > 0) {
    }
    int wstatus = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &wstatus, WNOHANG)) > 0;) {
      if (pid != child_) {
        continue;
      }
      if (WIFSIGNALED(wstatus)) {
        status_ = GuestStatus{
            .kind = GuestStatus::Kind::signaled, .code = WTERMSIG(wstatus), .err = 0, .detail = {}};
      } else {
        status_ = GuestStatus{
            .kind = GuestStatus::Kind::exited, .code = WEXITSTATUS(wstatus), .err = 0, .detail = {}};
      }
    }
  }

  Result<> relay_output(UniqueFd& fd, FrameType type, short revents) const {
    if (revents == 0) {
      return {};
    }
    std::array<char, kChunk> buffer{};
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n > 0) {
      return send_frame(channel_, type, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      fd.reset();  // EOF: every writer is gone
    }
    return {};
  }

  Result<> read_channel() {
    std::array<char, kChunk> buffer{};
    const ssize_t n = ::read(channel_, buffer.data(), buffer.size());
    if (n <= 0) {
      return {};
    }
    if (auto ok = reader_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !ok) {
      return ok;
    }
    take_frames();
    return {};
  }

  void take_frames() {
    while (auto frame = reader_.next()) {
      switch (frame->type) {
        case FrameType::stdin_data:
          if (stdin_pipe.write) {
            pending_ += frame->payload;
          }
          break;
        case FrameType::stdin_eof:
          stdin_eof_ = true;
          break;
        case FrameType::signal: {
          int sig = 0;
          std::from_chars(frame->payload.data(), frame->payload.data() + frame->payload.size(), sig);
          if (sig > 0 && sig < NSIG) {
            ::kill(child_, sig);
          }
          break;
        }
        default:
          break;  // nothing else is for the guest
      }
    }
  }

  void feed_stdin() {
    while (!pending_.empty() && stdin_pipe.write) {
      const ssize_t n = ::write(stdin_pipe.write.get(), pending_.data(), pending_.size());
      if (n < 0) {
        if (errno == EAGAIN) {
          return;
        }
        stdin_pipe.write.reset();  // the workload closed its stdin
        pending_.clear();
        return;
      }
      pending_.erase(0, static_cast<std::size_t>(n));
    }
    if (stdin_eof_ && pending_.empty()) {
      stdin_pipe.write.reset();
    }
  }

  int channel_;
  FrameReader& reader_;
  pid_t child_;
  int signals_;
  std::optional<GuestStatus> status_;
  bool killed_rest_ = false;
  std::string pending_;
  bool stdin_eof_ = false;
};

}  // namespace

Result<> send_frame(int channel, FrameType type, std::string_view payload) {
  const std::string bytes = encode_frame(type, payload);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const ssize_t n = ::write(channel, rest.data(), rest.size());
    if (n > 0) {
      rest.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      pollfd pfd{.fd = channel, .events = POLLOUT, .revents = 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return fail_errno("write to the VM channel");
  }
  return {};
}

Result<Job> receive_job(int channel, FrameReader& reader) {
  while (true) {
    if (auto frame = reader.next()) {
      if (frame->type != FrameType::job) {
        return fail("read the VM channel", "", "the first frame is not the job");
      }
      return parse_job(frame->payload);
    }
    pollfd pfd{.fd = channel, .events = POLLIN, .revents = 0};
    ::poll(&pfd, 1, -1);
    std::array<char, kChunk> buffer{};
    const ssize_t n = ::read(channel, buffer.data(), buffer.size());
    if (n > 0) {
      if (auto ok = reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n))); !ok) {
        return std::unexpected(ok.error());
      }
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return fail_errno("read the VM channel");
    }
  }
}

Result<GuestStatus> run_workload(const Job& job, int channel, FrameReader& reader) {
  if (job.argv.empty()) {
    return fail("start the workload", "", "the job has no command");
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  (void)::signal(SIGPIPE, SIG_IGN);
  UniqueFd signals(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals) {
    return fail_errno("watch the workload");
  }
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  auto report = make_pipe();
  if (!in || !out || !err || !report) {
    return fail_errno("create the workload's pipes");
  }
  // Everything the child needs, allocated before fork.
  // vm+sandbox: strata itself, with a plain environment (the workload's is in its flags).
  static const std::vector<std::string> kInnerEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  const auto& words = job.inner.empty() ? job.argv : job.inner;
  const auto& vars = job.inner.empty() ? job.env : kInnerEnv;
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (const auto& word : words) {
    argv.push_back(const_cast<char*>(word.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  argv.push_back(nullptr);
  std::vector<char*> env;
  env.reserve(vars.size() + 1);
  for (const auto& var : vars) {
    env.push_back(const_cast<char*>(var.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  env.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) {
    return fail_errno("start the workload", job.argv.front());
  }
  if (child == 0) {
    exec_child(job, argv, env, in->read.get(), out->write.get(), err->write.get(), report->write.get());
  }
  in->read.reset();
  out->write.reset();
  err->write.reset();
  report->write.reset();
  int exec_errno = 0;
  if (::read(report->read.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    int wstatus = 0;
    ::waitpid(child, &wstatus, 0);
    return GuestStatus{
        .kind = GuestStatus::Kind::exec_failed,
        .code = exec_errno == ENOENT || exec_errno == ENOTDIR ? kExitNotFound : kExitCannotExecute,
        .err = exec_errno,
        .detail = job.argv.front()};
  }
  Relay relay(channel, reader, child, signals.get());
  relay.stdin_pipe.write = std::move(in->write);
  relay.stdout_read = std::move(out->read);
  relay.stderr_read = std::move(err->read);
  set_nonblocking(relay.stdin_pipe.write.get());
  set_nonblocking(relay.stdout_read.get());
  set_nonblocking(relay.stderr_read.get());
  return relay.run();
}

}  // namespace strata::vm::guest
