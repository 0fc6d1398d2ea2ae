// The +venv layer: find or build the language environment a run asks for, in
// the same layer as the workload (a venv belongs to the interpreter that made
// it: a container's python3, not the host's), then hand the run the
// environment's directory and variables.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "isolate/plan.hpp"
#include "lang/cache.hpp"
#include "lang/inputs.hpp"
#include "spec/spec.hpp"

namespace strata::lang {

// Runs a Spec through strata's ordinary run path (cli's run_spec) and returns
// its exit code; how an environment is built inside a sandbox, a container or
// a VM without this module knowing any of them.
using LayerRunner = std::function<int(Spec& spec)>;

struct Prepared {
  Kind kind = Kind::python;
  std::string key;
  EnvPaths paths;
  bool reused = false;  // false under --dry-run means "would be created"
  std::string summary;  // what a build runs ("pip install -r requirements.txt")
  UniqueFd lock;        // held shared for the run: prune and rm leave the environment alone
};

// Reuse costs a stat and the small lockfile's read (no subprocess, no tree
// walk). Otherwise builds under the exclusive lock: a directory without its
// marker is removed first, and a failed build leaves nothing. With
// spec.dry_run, only says which environment it would be.
Result<Prepared> prepare(const Spec& spec, const HostFacts& host, const LayerRunner& run_in_layer);

// The environment read-only at its own path, for every layer but the host.
void bind_environment(const Prepared& env, Spec& spec);
// VIRTUAL_ENV/NODE_PATH and PATH in the workload's environment.
void use_environment(const Prepared& env, std::vector<std::string>& process_env);
// "venv: python env KEY at DIR (reuse)" for --dry-run.
std::string describe(const Prepared& env);

// The Spec that builds the environment in the user's layer: the same root,
// policy and binds, plus the environment read-write and the find-links
// read-only at their own paths; the command is the build script.
Spec build_spec(const Spec& user, const EnvPaths& paths, const Inputs& in, const std::string& script,
                bool needs_network);

}  // namespace strata::lang
