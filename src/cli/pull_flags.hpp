// `strata image pull`'s flags, declared by both the static strata binary
// (so --help lists them) and strata-pull, the dynamically linked helper that
// does the pull (libcurl has no static build on Debian; see CONTRIBUTING.md).
// strata parses them, then execs strata-pull with the same flags.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace strata::cli {

struct PullFlags {
  std::string ref;
  std::string tag;
  std::string platform;
  std::string username;
  bool password_stdin = false;
  bool insecure = false;
  bool json = false;
};

void declare_pull_flags(CLI::App& command, PullFlags& flags);

// strata-pull's arguments for `flags` (without argv[0]).
std::vector<std::string> pull_args(const PullFlags& flags);

// strata-pull next to the running binary, else in <its dir>/../libexec/strata.
Result<std::string> find_pull_helper();

}  // namespace strata::cli
