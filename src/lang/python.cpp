// A Python venv: `python3 -m venv` with the layer's interpreter, then pip from
// the find-links directories only (these machines reach no index).
#include <filesystem>

#include "lang/recipe.hpp"

namespace strata::lang {

namespace {

// Shared by the venv and pip: nothing from the caller's Python set-up
// (PYTHONHOME, PIP_FIND_LINKS or a pip.conf adding sources, a version check
// over the network) may change what gets installed: the key does not see it.
constexpr std::string_view kPreamble =
    "unset PYTHONHOME PYTHONPATH VIRTUAL_ENV\n"
    "for v in $(env | sed -n 's/^\\(PIP_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$v\"; done\n"
    "export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_NO_INPUT=1\n";

}  // namespace

Recipe python_recipe(const Inputs& in, const EnvPaths& paths) {
  const std::string name = std::filesystem::path(in.lockfile).filename().string();
  const std::string copy = paths.meta + "/" + name;
  const std::string tmp = paths.meta + "/tmp";
  std::string links;
  for (const LinkDir& dir : in.find_links) {
    links += " --find-links " + shell_quote(dir.path);
  }
  std::string script = "exec </dev/null >" + shell_quote(log_path(paths)) + " 2>&1\n";
  script += kPreamble;
  // The layer's own /tmp may be read-only (a --read-only image) or small.
  script += "export TMPDIR=" + shell_quote(tmp) + "\nmkdir -p \"$TMPDIR\" || exit 1\n";
  script += step_marker(in.interpreter + " -m venv");
  script += shell_quote(in.interpreter) + " -m venv " + shell_quote(paths.dir) + " || exit 1\n";
  script += step_marker("pip install");
  script += shell_quote(paths.dir + "/bin/python") + " -m pip install --no-index" + links + " -r " +
            shell_quote(copy) + " || exit 1\n";
  script += "rm -rf \"$TMPDIR\"\n";
  return Recipe{.script = std::move(script),
                .summary = "pip install -r " + name,
                .files = {{copy, in.lock_bytes}},
                .needs_network = false};
}

}  // namespace strata::lang
