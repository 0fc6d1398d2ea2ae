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

Result<Pty> Pty::open() {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    return fail_errno("open a pseudo-terminal", "/dev/ptmx");
  }
  if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) {
    return fail_errno("unlock the pseudo-terminal", "/dev/ptmx");
  }
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) {
    return fail_errno("name the pseudo-terminal");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) {
    return fail_errno("open the pseudo-terminal", name);
  }
  termios settings{};
  if (::tcgetattr(STDIN_FILENO, &settings) == 0) {
    ::tcsetattr(slave.get(), TCSANOW, &settings);
  }
  Pty pty(std::move(master), std::move(slave));
  pty.resize();
  return pty;
}

Pty::~Pty() {
  if (saved_) {
    ::tcsetattr(STDIN_FILENO, TCSADRAIN, &*saved_);
  }
}

Result<> Pty::make_caller_raw() {
  termios settings{};
  if (::tcgetattr(STDIN_FILENO, &settings) != 0) {
    return fail_errno("read the terminal settings", "stdin");
  }
  saved_ = settings;
  ::cfmakeraw(&settings);
  if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &settings) != 0) {
    return fail_errno("put the terminal in raw mode", "stdin");
  }
  return {};
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

bool attach_pty(int slave, const std::array<bool, 3>& tty_fds) {
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) {
    return false;
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (tty_fds[static_cast<std::size_t>(fd)] && ::dup2(slave, fd) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace strata
