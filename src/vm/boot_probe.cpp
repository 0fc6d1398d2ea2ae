#include "vm/boot_probe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/fds.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace strata::vm {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kKeepBytes = 1U << 16U;
// Without a pidfd (kernels before 5.3) the loop looks for QEMU's exit this often.
constexpr int kExitPollMs = 10;

bool executable_file(const std::string& path) {
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A new fd is >= 3 unless the caller closed its stdio; the child's dup2 onto
// 0-2 must not overwrite a source, so everything the child uses sits above.
UniqueFd above_stdio(UniqueFd fd) {
  if (fd.get() >= 0 && fd.get() < 3) {
    return UniqueFd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
  }
  return fd;
}

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

// The fds of one probe run, all CLOEXEC; the child's ends go to QEMU.
struct ProbeFds {
  UniqueFd console, console_child;  // the socketpair
  UniqueFd errors, errors_child;    // stderr's pipe
  UniqueFd exec_status, exec_status_child;
  UniqueFd null;
};

Result<ProbeFds> open_probe_fds() {
  ProbeFds fds;
  std::array<int, 2> pair{};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    return fail_errno("create the KVM probe's console socket");
  }
  fds.console = above_stdio(UniqueFd(pair[0]));
  fds.console_child = above_stdio(UniqueFd(pair[1]));
  if (::pipe2(pair.data(), O_CLOEXEC) != 0) {
    return fail_errno("create the KVM probe's stderr pipe");
  }
  fds.errors = above_stdio(UniqueFd(pair[0]));
  fds.errors_child = above_stdio(UniqueFd(pair[1]));
  if (::pipe2(pair.data(), O_CLOEXEC) != 0) {
    return fail_errno("create the KVM probe's exec pipe");
  }
  fds.exec_status = above_stdio(UniqueFd(pair[0]));
  fds.exec_status_child = above_stdio(UniqueFd(pair[1]));
  fds.null = above_stdio(UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC)));
  for (const UniqueFd* fd : {&fds.console, &fds.console_child, &fds.errors, &fds.errors_child,
                             &fds.exec_status, &fds.exec_status_child, &fds.null}) {
    if (!fd->valid()) {
      return fail_errno("open the KVM probe's fds");
    }
  }
  return fds;
}

[[noreturn]] void report_errno(int report) {
  const int err = errno;
  (void)!::write(report, &err, sizeof err);
  ::_exit(127);
}

// Between fork and exec: only system calls, no allocation. A failure is
// reported as an errno on the exec pipe.
[[noreturn]] void exec_qemu(const ProbeFds& fds, pid_t parent, char* const* argv, std::vector<int>& keep) {
  const int report = fds.exec_status_child.get();
  // Its own process group, so a kill at the bound also takes anything it started.
  if (::setpgid(0, 0) != 0) {
    report_errno(report);
  }
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    report_errno(report);
  }
  if (::getppid() != parent) {
    ::_exit(127);  // strata already died: nobody reads the report
  }
  // The caller may block signals it forwards; QEMU gets a clean mask.
  sigset_t none{};
  ::sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0 || ::dup2(fds.null.get(), STDIN_FILENO) < 0 ||
      ::dup2(fds.null.get(), STDOUT_FILENO) < 0 || ::dup2(fds.errors_child.get(), STDERR_FILENO) < 0 ||
      !keep_across_exec(fds.console_child.get()) || !close_fds_except(std::move(keep))) {
    report_errno(report);
  }
  ::execv(argv[0], argv);
  report_errno(report);
}

// Appends what `fd` has; false at EOF or error (the fd is then done).
bool read_some(int fd, std::string& into, bool keep_tail) {
  std::array<char, 16384> buffer{};
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  if (n <= 0) {
    return false;
  }
  into.append(buffer.data(), static_cast<std::size_t>(n));
  if (into.size() > 2 * kKeepBytes) {
    into = keep_tail ? into.substr(into.size() - kKeepBytes) : into.substr(0, kKeepBytes);
  }
  return true;
}

bool has_exited(pid_t pid) {
  siginfo_t info = {};
  // WNOWAIT: the zombie keeps the pid (and process group id) from being
  // reused until the group kill below is done.
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// Reads the console and stderr until QEMU exits or the deadline passes.
void watch(pid_t pid, ProbeFds& fds, Clock::time_point deadline, BootRun& run) {
  const UniqueFd pidfd(pidfd_open(pid));
  std::array<pollfd, 3> polled = {pollfd{fds.console.get(), POLLIN, 0}, pollfd{fds.errors.get(), POLLIN, 0},
                                  pollfd{pidfd.get(), POLLIN, 0}};
  for (;;) {
    if (has_exited(pid)) {
      return;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      return;
    }
    const int timeout =
        pidfd ? static_cast<int>(left.count()) : std::min(static_cast<int>(left.count()), kExitPollMs);
    if (::poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR) {
      return;  // cannot wait: treated as an exit, then killed and reaped
    }
    for (std::size_t i = 0; i < 2; ++i) {
      if ((polled[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
          !read_some(polled[i].fd, i == 0 ? run.console : run.errors, i == 0)) {
        polled[i].fd = -1;  // poll skips it from now on
      }
    }
  }
}

// Takes what QEMU wrote before it exited; it holds no write end any more.
void drain(ProbeFds& fds, BootRun& run) {
  for (const auto& [fd, into, tail] : {std::tuple{fds.console.get(), &run.console, true},
                                       std::tuple{fds.errors.get(), &run.errors, false}}) {
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0 && read_some(fd, *into, tail)) {
    }
  }
}

void reap(pid_t pid, BootRun& run) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
  }
}

// Drops "<program>: " (any first word before ": " except error/warning).
std::string_view without_program(std::string_view line) {
  const auto colon = line.find(": ");
  if (colon == std::string_view::npos || colon == 0) {
    return line;
  }
  const std::string_view word = line.substr(0, colon);
  if (word.find(' ') != std::string_view::npos || word == "error" || word == "warning") {
    return line;
  }
  return line.substr(colon + 2);
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

}  // namespace

Result<std::string> find_qemu(const std::string& qemu) {
  auto not_found = [&qemu]() {
    return fail("find qemu", qemu, "not found (install qemu-system-x86)");
  };
  if (qemu.empty()) {
    return not_found();
  }
  if (qemu.find('/') != std::string::npos) {
    if (executable_file(qemu)) {
      return qemu;
    }
    return not_found();
  }
  const char* env = std::getenv("PATH");
  const std::string_view path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= path.size();) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string_view dir = path.substr(start, end - start);
    std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, qemu);
    if (executable_file(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  return not_found();
}

std::vector<std::string> boot_probe_argv(const std::string& qemu_path, const std::string& kernel,
                                         AccelKind kind, int console_fd, std::string_view extra_append) {
  std::vector<std::string> argv = {qemu_path, "-M", "microvm"};
  for (std::string& arg : qemu_accel_args(kind)) {
    argv.push_back(std::move(arg));
  }
  for (const char* arg : {"-m", "128", "-nodefaults", "-no-reboot", "-nographic", "-display", "none"}) {
    argv.emplace_back(arg);
  }
  argv.insert(argv.end(), {"-chardev", fmt::format("socket,id=con,fd={}", console_fd), "-serial",
                           "chardev:con", "-kernel", kernel, "-append",
                           fmt::format("console=ttyS0 panic=-1 quiet{}{}", extra_append.empty() ? "" : " ",
                                       extra_append)});
  return argv;
}

Result<BootRun> run_boot_probe(const std::string& qemu_path, const std::string& kernel, AccelKind kind,
                               std::chrono::milliseconds bound, std::string_view extra_append) {
  const auto start = Clock::now();
  auto fds = open_probe_fds();
  if (!fds) {
    return std::unexpected(fds.error());
  }
  std::vector<std::string> args =
      boot_probe_argv(qemu_path, kernel, kind, fds->console_child.get(), extra_append);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  std::vector<int> keep = {fds->console_child.get(), fds->exec_status_child.get()};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail_errno("start qemu", qemu_path);
  }
  if (pid == 0) {
    exec_qemu(*fds, parent, argv.data(), keep);
  }
  for (UniqueFd* fd : {&fds->console_child, &fds->errors_child, &fds->exec_status_child, &fds->null}) {
    fd->reset();
  }
  // Returns at the exec (the pipe closes) or with the child's errno.
  int exec_errno = 0;
  ssize_t n = 0;
  while ((n = ::read(fds->exec_status.get(), &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  BootRun run;
  if (n == sizeof exec_errno) {
    reap(pid, run);
    return fail_errno("start qemu", qemu_path, exec_errno);
  }
  watch(pid, *fds, start + bound, run);
  // The whole group: QEMU at the bound, and after an exit anything it left.
  (void)::kill(-pid, SIGKILL);
  if (!run.timed_out) {
    drain(*fds, run);
  }
  reap(pid, run);
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  log::debug("KVM probe: qemu {} after {} ms", run.timed_out ? "killed at the bound" : "exited",
             run.took.count());
  return run;
}

std::optional<std::string> boot_failure(const BootRun& run, std::chrono::milliseconds bound) {
  if (run.timed_out) {
    return fmt::format("a guest did not finish booting under KVM within {}", format_bound(bound));
  }
  if (run.exit_code != 0) {
    if (std::string line = qemu_error_line(run.errors); !line.empty()) {
      return line;
    }
    if (run.signal != 0) {
      return fmt::format("qemu was killed by signal {} ({})", run.signal, ::strsignal(run.signal));
    }
    return fmt::format("qemu exited with status {}", run.exit_code);
  }
  if (run.console.find("Kernel panic") == std::string::npos &&
      run.console.find("VFS:") == std::string::npos) {
    return "a guest under KVM ended before it reached its root mount";
  }
  return std::nullopt;
}

std::string qemu_error_line(std::string_view errors) {
  std::string_view first;
  std::string_view chosen;
  while (!errors.empty() && chosen.empty()) {
    const std::size_t end = std::min(errors.find('\n'), errors.size());
    const std::string_view line = trimmed(without_program(trimmed(errors.substr(0, end))));
    errors.remove_prefix(std::min(end + 1, errors.size()));
    if (line.empty()) {
      continue;
    }
    if (first.empty()) {
      first = line;
    }
    if (!line.starts_with("warning: ")) {
      chosen = line;
    }
  }
  if (chosen.empty()) {
    chosen = first;
  }
  if (chosen.starts_with("error: ")) {
    chosen.remove_prefix(std::string_view("error: ").size());
  }
  if (chosen.empty()) {
    return {};
  }
  constexpr std::size_t kLongest = 200;
  return fmt::format("qemu: {}", chosen.substr(0, kLongest));
}

std::string format_bound(std::chrono::milliseconds bound) {
  if (bound.count() % 1000 == 0) {
    return fmt::format("{} s", bound.count() / 1000);
  }
  return fmt::format("{} ms", bound.count());
}

}  // namespace strata::vm
