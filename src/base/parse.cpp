#include "base/parse.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

namespace strata {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

struct SignalName {
  int number;
  std::string_view name;
};

// The signals a user can name; numbers come from <signal.h>, not assumptions.
constexpr std::array kSignals{
    SignalName{SIGHUP, "HUP"},       SignalName{SIGINT, "INT"},   SignalName{SIGQUIT, "QUIT"},
    SignalName{SIGILL, "ILL"},       SignalName{SIGTRAP, "TRAP"}, SignalName{SIGABRT, "ABRT"},
    SignalName{SIGBUS, "BUS"},       SignalName{SIGFPE, "FPE"},   SignalName{SIGKILL, "KILL"},
    SignalName{SIGUSR1, "USR1"},     SignalName{SIGSEGV, "SEGV"}, SignalName{SIGUSR2, "USR2"},
    SignalName{SIGPIPE, "PIPE"},     SignalName{SIGALRM, "ALRM"}, SignalName{SIGTERM, "TERM"},
    SignalName{SIGCHLD, "CHLD"},     SignalName{SIGCONT, "CONT"}, SignalName{SIGSTOP, "STOP"},
    SignalName{SIGTSTP, "TSTP"},     SignalName{SIGTTIN, "TTIN"}, SignalName{SIGTTOU, "TTOU"},
    SignalName{SIGURG, "URG"},       SignalName{SIGXCPU, "XCPU"}, SignalName{SIGXFSZ, "XFSZ"},
    SignalName{SIGVTALRM, "VTALRM"}, SignalName{SIGPROF, "PROF"}, SignalName{SIGWINCH, "WINCH"},
    SignalName{SIGIO, "IO"},         SignalName{SIGPWR, "PWR"},   SignalName{SIGSYS, "SYS"},
};

}  // namespace

Result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return fail("parse number", std::string(text), "not a decimal number");
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return fail("parse number", std::string(text),
                "out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

Result<std::uint64_t> parse_size(std::string_view text) {
  const std::string value = lower(text);
  const auto digits_end = value.find_first_not_of("0123456789");
  const std::string digits = value.substr(0, digits_end);
  std::string suffix = digits_end == std::string::npos ? "" : value.substr(digits_end);
  if (suffix.ends_with("ib")) {
    suffix.resize(suffix.size() - 2);
  } else if (suffix.size() > 1 && suffix.ends_with('b')) {
    suffix.pop_back();
  }
  static constexpr std::string_view kUnits = "bkmgt";
  const auto unit = suffix.empty() ? 0 : kUnits.find(suffix);
  if (digits.empty() || suffix.size() > 1 || unit == std::string_view::npos) {
    return fail("parse size", std::string(text), "expected a number with an optional k/m/g/t suffix");
  }
  auto number = parse_uint(digits, 1, std::numeric_limits<std::uint64_t>::max());
  if (!number) {
    return fail("parse size", std::string(text), "not a positive number");
  }
  std::uint64_t bytes = *number;
  for (std::size_t i = 1; i <= unit; ++i) {
    if (bytes > std::numeric_limits<std::uint64_t>::max() / 1024) {
      return fail("parse size", std::string(text), "too large");
    }
    bytes *= 1024;
  }
  return bytes;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string value = lower(text);
  const auto number_end = value.find_first_not_of("0123456789.");
  const std::string number = value.substr(0, number_end);
  const std::string unit = number_end == std::string::npos ? "s" : value.substr(number_end);
  struct Unit {
    std::string_view name;
    double ms;
  };
  static constexpr std::array kUnits{Unit{"ms", 1}, Unit{"s", 1e3}, Unit{"m", 60e3}, Unit{"h", 3600e3}};
  const auto* found = std::ranges::find(kUnits, unit, &Unit::name);
  double amount = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), amount);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() || found == kUnits.end()) {
    return fail("parse duration", std::string(text), "expected a number with an optional ms/s/m/h suffix");
  }
  const double ms = amount * found->ms;
  if (ms < 1 || ms > 365.0 * 24 * 3600e3) {
    return fail("parse duration", std::string(text), "must be between 1ms and 365 days");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Result<int> parse_signal(std::string_view text) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) != 0) {
    auto number = parse_uint(text, 1, SIGRTMAX);
    if (!number) {
      return fail("parse signal", std::string(text), "not a signal number");
    }
    return static_cast<int>(*number);
  }
  std::string name = lower(text);
  if (name.starts_with("sig")) {
    name.erase(0, 3);
  }
  for (const auto& signal : kSignals) {
    if (lower(signal.name) == name) {
      return signal.number;
    }
  }
  return fail("parse signal", std::string(text), "unknown signal name");
}

std::string signal_name(int signal) {
  for (const auto& entry : kSignals) {
    if (entry.number == signal) {
      return std::string(entry.name);
    }
  }
  return std::to_string(signal);
}

}  // namespace strata
