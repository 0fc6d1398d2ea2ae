// A pseudo-terminal for a workload whose stdin is a terminal. The pty is
// opened inside the sandbox, from its own devpts instance (so ttyname() and
// /dev/pts work there and the host's devpts is never shown), made the
// workload's controlling terminal, and its master is handed to strata over
// the sync channel. strata then relays bytes between the caller's terminal
// and the master. Job control and TIOCSTI stay inside the sandbox.
#pragma once

#include <termios.h>

#include <array>
#include <optional>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace strata {

// The supervisor's end.
class Pty {
 public:
  // Takes the master, copies the caller's terminal settings and window size
  // to it and puts the caller's terminal in raw mode until destruction.
  explicit Pty(UniqueFd master);
  Pty(Pty&&) = delete;
  Pty& operator=(Pty&&) = delete;
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty();

  [[nodiscard]] int master() const { return master_.get(); }

  // Copies the caller's window size to the pty (on SIGWINCH).
  void resize() const;
  // Moves one read's worth of bytes; false at end of input or on error.
  [[nodiscard]] bool copy_input() const;
  [[nodiscard]] bool copy_output() const;

 private:
  UniqueFd master_;
  std::optional<termios> saved_;  // the caller's terminal settings to restore
};

// The workload's end: opens a pty from /dev/ptmx, makes its slave the
// controlling terminal and the stdio fds that were terminals in the caller,
// and returns the master. Must follow setsid().
Result<UniqueFd> open_pty_inside(const std::array<bool, 3>& tty_fds);

}  // namespace strata
