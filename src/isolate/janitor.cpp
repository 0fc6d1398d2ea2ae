#include "isolate/janitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "base/fds.hpp"

namespace strata {

namespace {

constexpr char kDismissed = 'd';

// The janitor's life: survive the terminal's signals (they are meant for
// strata, which handles them), wait for strata to go, clean up, exit.
[[noreturn]] void run_janitor(RunCgroup& cgroup, int wait_fd) {
  ::prctl(PR_SET_NAME, "strata-janitor");
  for (const int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE}) {
    (void)::signal(sig, SIG_IGN);
  }
  std::vector<int> keep = cgroup.descriptors();
  keep.push_back(wait_fd);
  char said = 0;
  if (close_fds_except(keep)) {
    while (::read(wait_fd, &said, 1) < 0 && errno == EINTR) {
    }
  }
  if (said == kDismissed) {
    ::_exit(0);
  }
  // EOF without a word: strata died with the run still in its cgroup.
  cgroup.take_over();
  ::_exit(cgroup.remove() ? 0 : 1);
}

}  // namespace

Result<CgroupJanitor> CgroupJanitor::start(RunCgroup& cgroup) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail_errno("create the janitor's pipe");
  }
  UniqueFd read_end(fds[0]);
  CgroupJanitor janitor;
  janitor.wake_.reset(fds[1]);
  janitor.pid_ = ::fork();
  if (janitor.pid_ < 0) {
    return fail_errno("fork the cgroup janitor");
  }
  if (janitor.pid_ == 0) {
    janitor.wake_.reset();
    run_janitor(cgroup, read_end.get());  // the child's copy: the same directories, by fd
  }
  return janitor;
}

CgroupJanitor::CgroupJanitor(CgroupJanitor&& other) noexcept
    : wake_(std::move(other.wake_)), pid_(std::exchange(other.pid_, -1)) {}

CgroupJanitor& CgroupJanitor::operator=(CgroupJanitor&& other) noexcept {
  if (this != &other) {
    dismiss();
    wake_ = std::move(other.wake_);
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

void CgroupJanitor::dismiss() {
  if (wake_) {
    (void)::write(wake_.get(), &kDismissed, 1);
    wake_.reset();
  }
  if (pid_ > 0) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

}  // namespace strata
