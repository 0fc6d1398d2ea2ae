#include "vm/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "base/fds.hpp"
#include "vm/protocol.hpp"

namespace strata::vm {

namespace {

// Fds the child moves its inherited fds to first, so that placing them at
// their final numbers cannot overwrite one not yet placed.
constexpr int kScratchBase = 512;

[[noreturn]] void child(const std::vector<std::string>& argv, const SpawnOptions& options, pid_t parent,
                        int report) {
  const auto die = [report](const Error& error) {
    const std::string text = to_json_text(error);
    (void)::write(report, text.data(), text.size());
    ::_exit(kExitFailure);
  };
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(kExitFailure);  // strata is already gone
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  (void)::signal(SIGPIPE, SIG_DFL);
  if (options.before_exec) {
    if (auto ok = options.before_exec(); !ok) {
      die(ok.error());
    }
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  std::vector<int> keep{report};
  for (std::size_t i = 0; i < options.fds.size(); ++i) {
    if (::fcntl(options.fds[i].second, F_DUPFD_CLOEXEC, kScratchBase + static_cast<int>(i)) !=
        kScratchBase + static_cast<int>(i)) {
      die(fail_errno("pass an fd to", argv.front()).error());
    }
  }
  if (::dup2(null, 0) < 0 || ::dup2(options.stdout_fd >= 0 ? options.stdout_fd : null, 1) < 0 ||
      ::dup2(options.stderr_fd >= 0 ? options.stderr_fd : null, 2) < 0) {
    die(fail_errno("set up the stdio of", argv.front()).error());
  }
  for (std::size_t i = 0; i < options.fds.size(); ++i) {
    const int target = options.fds[i].first;
    if (::dup2(kScratchBase + static_cast<int>(i), target) != target) {
      die(fail_errno("pass an fd to", argv.front()).error());
    }
    keep.push_back(target);
  }
  if (!close_fds_except(keep)) {
    die(fail_errno("close fds for", argv.front()).error());
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& word : argv) {
    args.push_back(const_cast<char*>(word.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  die(fail_errno("run", argv.front()).error());
  ::_exit(kExitFailure);
}

}  // namespace

Result<Process> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  std::array<int, 2> report{};
  if (::pipe2(report.data(), O_CLOEXEC) != 0) {
    return fail_errno("create a pipe to start", argv.front());
  }
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail_errno("start", argv.front());
  }
  if (pid == 0) {
    child(argv, options, parent, report_write.get());
  }
  report_write.reset();
  Process process{.pid = pid, .pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)))};
  std::string message;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(report_read.get(), buffer.data(), buffer.size())) != 0;) {
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    message.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (!message.empty()) {
    kill_and_reap(process);
    auto error = parse_error(message);
    return std::unexpected(error ? *error : error.error());
  }
  if (!process.pidfd) {
    auto error = fail_errno("watch", argv.front());
    kill_and_reap(process);
    return error;
  }
  return process;
}

void kill_and_reap(Process& process) {
  if (process.pid > 0) {
    ::kill(process.pid, SIGKILL);
    int status = 0;
    while (::waitpid(process.pid, &status, 0) < 0 && errno == EINTR) {
    }
    process.pid = -1;
  }
  process.pidfd.reset();
}

int reap(Process& process) {
  int status = 0;
  if (process.pid > 0) {
    while (::waitpid(process.pid, &status, 0) < 0 && errno == EINTR) {
    }
    process.pid = -1;
  }
  process.pidfd.reset();
  return status;
}

}  // namespace strata::vm
