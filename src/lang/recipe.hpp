// How a language environment is built and used: the shell script that builds
// it inside the layer (its output goes to a log in the environment, which the
// layer can write), and the variables a run in it gets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lang/cache.hpp"
#include "lang/inputs.hpp"

namespace strata::lang {

struct Recipe {
  std::string script;   // for /bin/sh -c
  std::string summary;  // "pip install -r requirements.txt", for the progress line
  // Files to place in the environment before the script runs (path, bytes):
  // the copy of the lockfile the key was computed from.
  std::vector<std::pair<std::string, std::string>> files;
  bool needs_network = false;  // npm ci fetches from the registry; pip never does (--no-index)
};

Recipe python_recipe(const Inputs& in, const EnvPaths& paths);
Recipe node_recipe(const Inputs& in, const EnvPaths& paths);
Recipe make_recipe(const Inputs& in, const EnvPaths& paths);

// The build log, written by the script (meta/build.log).
std::string log_path(const EnvPaths& paths);

// VIRTUAL_ENV, PATH and no PYTHONHOME (python); NODE_PATH and PATH (node).
void apply_environment(Kind kind, const std::string& dir, std::vector<std::string>& env);

// A single-quoted word for sh.
std::string shell_quote(std::string_view word);
// The line the script prints before each step, which the log is split on.
std::string step_marker(std::string_view step);

// From a failed build's log: the step that failed, and the line that says
// why (pip's last "ERROR:" line, npm's first error line, else the last line).
struct BuildFailure {
  std::string step;
  std::string reason;
};
BuildFailure read_failure(std::string_view log);

}  // namespace strata::lang
