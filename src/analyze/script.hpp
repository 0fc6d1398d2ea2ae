// Scripts: what the kernel runs for a file starting with "#!" (binfmt_script):
// the interpreter path and at most one argument, from the first line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace strata::analyze {

struct Shebang {
  std::string interpreter;  // "/usr/bin/env"
  std::string argument;     // "python3"; "" when none
};

// nullopt when `bytes` does not start with "#!" or names no interpreter.
// Like the kernel, only the first line counts, blanks around the words are
// dropped and everything after the interpreter is one argument.
[[nodiscard]] std::optional<Shebang> parse_shebang(std::string_view bytes);

}  // namespace strata::analyze
