#include "isolate/pty.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace strata {

namespace {

bool write_all(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, static_cast<std::size_t>(size));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= n;
  }
  return true;
}

bool copy(int from, int to) {
  char buf[16384];
  ssize_t n = 0;
  do {
    n = ::read(from, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  return n > 0 && write_all(to, buf, n);
}

}  // namespace

Pty::Pty(UniqueFd master) : master_(std::move(master)) {
  termios settings{};
  if (::tcgetattr(STDIN_FILENO, &settings) != 0) {
    return;  // stdin stopped being a terminal; relay without raw mode
  }
  ::tcsetattr(master_.get(), TCSANOW, &settings);
  resize();
  saved_ = settings;
  ::cfmakeraw(&settings);
  ::tcsetattr(STDIN_FILENO, TCSADRAIN, &settings);
}

Pty::~Pty() {
  if (saved_) {
    ::tcsetattr(STDIN_FILENO, TCSADRAIN, &*saved_);
  }
}

void Pty::resize() const {
  winsize size{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) {
    ::ioctl(master_.get(), TIOCSWINSZ, &size);
  }
}

bool Pty::copy_input() const {
  return copy(STDIN_FILENO, master_.get());
}

bool Pty::copy_output() const {
  return copy(master_.get(), STDOUT_FILENO);
}

Result<UniqueFd> open_pty_inside(const std::array<bool, 3>& tty_fds) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    return fail_errno("open a pseudo-terminal", "/dev/ptmx");
  }
  char name[64];
  if (::unlockpt(master.get()) != 0 || ::ptsname_r(master.get(), name, sizeof name) != 0) {
    return fail_errno("unlock the pseudo-terminal", "/dev/ptmx");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) {
    return fail_errno("open the pseudo-terminal", name);
  }
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) {
    return fail_errno("make the controlling terminal", name);
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (tty_fds[static_cast<std::size_t>(fd)] && ::dup2(slave.get(), fd) < 0) {
      return fail_errno("attach the pseudo-terminal to fd", std::to_string(fd));
    }
  }
  return master;
}

}  // namespace strata
