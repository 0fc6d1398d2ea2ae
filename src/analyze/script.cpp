#include "analyze/script.hpp"

namespace strata::analyze {

namespace {

// The kernel reads at most this much of the first line (BINPRM_BUF_SIZE).
constexpr std::size_t kLineLimit = 256;

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

}  // namespace

std::optional<Shebang> parse_shebang(std::string_view bytes) {
  if (!bytes.starts_with("#!")) {
    return std::nullopt;
  }
  std::string_view line = bytes.substr(2, kLineLimit);
  line = trim(line.substr(0, line.find('\n')));
  const auto space = line.find_first_of(" \t");
  const std::string_view interpreter = line.substr(0, space);
  if (interpreter.empty() || interpreter.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view argument =
      space == std::string_view::npos ? std::string_view() : trim(line.substr(space));
  return Shebang{.interpreter = std::string(interpreter), .argument = std::string(argument)};
}

}  // namespace strata::analyze
