// Running a build script (recipe.hpp) and turning its failure into one line.
#pragma once

#include <string>

#include "base/error.hpp"
#include "lang/cache.hpp"
#include "lang/inputs.hpp"

namespace strata::lang {

// /bin/sh -c SCRIPT on the host with strata's environment; its exit status.
Result<int> run_on_host(const std::string& script);

// The failure of a build that exited with `status`: the step and the reason
// from its log ("pip install 'requirements.txt': ERROR: No matching
// distribution found for x").
Error build_error(const EnvPaths& paths, const Inputs& in, int status);

}  // namespace strata::lang
