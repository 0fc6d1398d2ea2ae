// The process a container runs: the image config's Entrypoint, Cmd, Env,
// WorkingDir, User and StopSignal, overridden by the flags the way `docker
// run` users expect. Pure: no system calls.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/image_user.hpp"
#include "image/oci.hpp"
#include "isolate/plan.hpp"
#include "spec/spec.hpp"

namespace strata::container {

// The USER to resolve in the image: --user, else --uid/--gid as "UID:GID",
// else the config's User ("" means root).
std::string effective_user(const Spec& spec, const image::ImageConfig& config);

// Fills `out`'s argv, env, cwd, ids and stop signal:
// - argv: --entrypoint (one word; "" clears it) replaces the image's
//   Entrypoint and drops its Cmd; words after `--` replace Cmd. Nothing left
//   is an error.
// - env: the image's Env (unless --clear-env), PATH and HOME (the user's
//   home) when it sets none, TERM from the caller when a terminal is given
//   and the image sets none, then --env in order.
// - cwd: --workdir (must exist), else WorkingDir, else "/".
// - `term`: the caller's TERM when the workload gets a terminal.
Result<> apply_image_config(const Spec& spec, const image::ImageConfig& config, const image::ImageUser& user,
                            const std::optional<std::string>& term, ContainerRoot& out);

}  // namespace strata::container
