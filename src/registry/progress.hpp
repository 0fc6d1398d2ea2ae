// Download progress on a terminal: one line per blob, redrawn in place
// (at most ten times a second) and left at its final state. Silent when
// disabled (stderr is not a terminal, or --quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace strata::registry {

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  // Whether stderr is a terminal.
  static bool stderr_is_terminal();

  void begin(const std::string& label, std::uint64_t total, std::uint64_t have);
  void advance(std::uint64_t bytes);
  // Ends the line ("done" or "failed").
  void end(bool ok);

 private:
  void draw(const char* state);

  bool enabled_ = false;
  bool open_ = false;
  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t have_ = 0;
  std::chrono::steady_clock::time_point last_;
};

// "12.3 MiB", "512 B".
std::string human_bytes(std::uint64_t bytes);

}  // namespace strata::registry
