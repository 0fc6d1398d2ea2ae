// Reading the files strata analyze looks at, inside the tree being analyzed
// (the running machine or --root DIR, through probe::Root so a symlink in an
// image never reaches the host).
#pragma once

#include <string>

#include "base/error.hpp"
#include "probe/root.hpp"

namespace strata::analyze {

struct InputFile {
  std::string path;   // after symlinks, inside the tree: what ld.so's $ORIGIN starts from
  std::string bytes;  // the whole file
};

// The host directory a Root's paths start at: "" for the live system,
// the canonical --root directory otherwise.
[[nodiscard]] std::string host_prefix(const probe::Root& root);

// Reads the regular file at `path` (absolute inside the tree). Fails, naming
// the file, when it is missing, a dangling symlink, not a regular file
// (FIFOs are never opened for reading), unreadable or larger than 1 GiB.
[[nodiscard]] Result<InputFile> read_input(const probe::Root& root, const std::string& prefix,
                                           const std::string& path);

// "/a/b/c" -> "/a/b"; "/c" -> "/".
[[nodiscard]] std::string parent_dir(const std::string& path);

}  // namespace strata::analyze
