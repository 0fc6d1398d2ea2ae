// A Node environment: `npm ci` from package-lock.json (and the package.json
// beside it, which npm ci checks it against) into a node_modules of its own.
#include "lang/recipe.hpp"

namespace strata::lang {

Recipe node_recipe(const Inputs& in, const EnvPaths& paths) {
  const std::string cache = paths.meta + "/npm-cache";
  std::string script = "exec </dev/null >" + shell_quote(log_path(paths)) + " 2>&1\n";
  // The cache is the run's own: the layer's HOME may be read-only or gone
  // after the run, and a shared cache would outlive the environment.
  script += "export npm_config_cache=" + shell_quote(cache) +
            " npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false\n";
  script += "cd " + shell_quote(paths.dir) + " || exit 1\n";
  script += step_marker("npm ci");
  script += "npm ci || exit 1\n";
  script += "rm -rf " + shell_quote(cache) + "\n";
  return Recipe{.script = std::move(script),
                .summary = "npm ci",
                .files = {{paths.dir + "/package-lock.json", in.lock_bytes},
                          {paths.dir + "/package.json", in.package_json}},
                .needs_network = true};
}

}  // namespace strata::lang
