// A pseudo-terminal for a workload whose stdin is a terminal: the workload
// gets the slave as its controlling terminal, so job control and TIOCSTI stay
// inside, and strata relays bytes between the caller's terminal and the master.
#pragma once

#include <termios.h>

#include <array>
#include <optional>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata {

class Pty {
 public:
  // Opens a pty sized and configured like the caller's stdin.
  static Result<Pty> open();

  Pty(Pty&&) = default;
  Pty& operator=(Pty&&) = delete;
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty();

  [[nodiscard]] int master() const { return master_.get(); }
  [[nodiscard]] int slave() const { return slave_.get(); }
  void close_slave() { slave_.reset(); }

  // Puts the caller's terminal in raw mode until this Pty is destroyed.
  Result<> make_caller_raw();
  // Copies the caller's window size to the pty (on SIGWINCH).
  void resize() const;
  // Moves one read's worth of bytes; false at end of input or on error.
  bool copy_input() const;
  bool copy_output() const;

 private:
  Pty(UniqueFd master, UniqueFd slave) : master_(std::move(master)), slave_(std::move(slave)) {}

  UniqueFd master_;
  UniqueFd slave_;
  std::optional<termios> saved_;  // the caller's terminal settings to restore
};

// In the workload: make `slave` the controlling terminal and the stdio fds
// that were terminals in the caller. Must follow setsid().
bool attach_pty(int slave, const std::array<bool, 3>& tty_fds);

}  // namespace strata
