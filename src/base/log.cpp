#include "base/log.hpp"

#include <unistd.h>

#include <string>

namespace strata::log {

namespace {
Level g_level = Level::normal;
}  // namespace

void set_level(Level level) {
  g_level = level;
}

Level level() {
  return g_level;
}

void line(std::string_view text) {
  std::string out = "strata: ";
  out += text;
  out += '\n';
  // A short write to stderr is not worth reporting: there is nowhere left to report it.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, out.data(), out.size());
}

void error(std::string_view verb, const Error& error) {
  line(std::string(verb) + ": " + error.message());
}

}  // namespace strata::log
