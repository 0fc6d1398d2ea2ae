#include "registry/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace strata::registry {

namespace {

constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr double kKib = 1024.0;

}  // namespace

bool Progress::stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes) / kKib;
  const char* unit = "KiB";
  for (const char* next : {"MiB", "GiB", "TiB"}) {
    if (value < kKib) {
      break;
    }
    value /= kKib;
    unit = next;
  }
  return fmt::format("{:.1f} {}", value, unit);
}

void Progress::begin(const std::string& label, std::uint64_t total, std::uint64_t have) {
  if (!enabled_) {
    return;
  }
  label_ = label;
  total_ = total;
  have_ = have;
  open_ = true;
  last_ = std::chrono::steady_clock::now();
  draw(have > 0 ? "resuming" : "");
}

void Progress::advance(std::uint64_t bytes) {
  have_ += bytes;
  if (enabled_ && open_ && std::chrono::steady_clock::now() - last_ >= kRedraw) {
    last_ = std::chrono::steady_clock::now();
    draw("");
  }
}

void Progress::end(bool ok) {
  if (!enabled_ || !open_) {
    return;
  }
  draw(ok ? "done" : "failed");
  open_ = false;
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, "\n", 1);
}

void Progress::draw(const char* state) {
  const unsigned percent = total_ == 0 ? 100U : static_cast<unsigned>(have_ * 100U / total_);
  const std::string line = fmt::format("\r\x1b[Kstrata: pull {} {:>10} / {:<10} {:>3}% {}", label_,
                                       human_bytes(have_), human_bytes(total_), percent, state);
  // Best effort: progress that cannot be drawn is not an error.
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace strata::registry
