// The files a list of operands names: a file is itself, a directory is
// walked (sorted, symlinked directories not followed, so a loop cannot
// trap the walk). What cannot be listed is reported and the walk goes on.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "probe/root.hpp"

namespace strata::analyze {

struct Operand {
  std::string path;     // absolute inside the tree
  bool walked = false;  // found by walking a directory (not named by the user)
};

struct WalkResult {
  std::vector<Operand> files;
  std::vector<Error> errors;
};

// `paths` are absolute inside the tree (the caller makes relative ones so).
[[nodiscard]] WalkResult walk(const probe::Root& root, const std::vector<std::string>& paths);

}  // namespace strata::analyze
