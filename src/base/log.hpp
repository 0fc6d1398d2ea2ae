// Diagnostics on stderr, each line prefixed "strata: ".
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "base/error.hpp"

namespace strata::log {

enum class Level { quiet, normal, verbose };

void set_level(Level level);
[[nodiscard]] Level level();

// Writes "strata: <text>\n" to stderr in one write(2), so lines from the
// supervisor and the sandbox do not interleave.
void line(std::string_view text);

template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (level() != Level::quiet) {
    line("warning: " + fmt::format(format, std::forward<Args>(args)...));
  }
}

// Progress a person waits for (unpacking an image): shown unless --quiet.
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (level() != Level::quiet) {
    line(fmt::format(format, std::forward<Args>(args)...));
  }
}

template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (level() == Level::verbose) {
    line(fmt::format(format, std::forward<Args>(args)...));
  }
}

// Prints "strata: <verb>: <error message>".
void error(std::string_view verb, const Error& error);

}  // namespace strata::log
