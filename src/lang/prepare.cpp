#include "lang/prepare.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>

#include "base/files.hpp"
#include "base/log.hpp"
#include "lang/build.hpp"
#include "lang/key.hpp"
#include "lang/recipe.hpp"

namespace strata::lang {

namespace {

std::string host_path_env(const HostFacts& host) {
  for (const EnvVar& var : host.environ) {
    if (var.name == "PATH") {
      return var.value;
    }
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

Result<> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno("create env", path);
  }
  return {};
}

// A fresh directory holding the lockfile copies, for the script to build in.
Result<> start_build(const EnvPaths& paths, const Recipe& recipe) {
  if (auto ok = remove_tree(paths.dir); !ok) {
    return ok;
  }
  for (const std::string* dir : {&paths.dir, &paths.meta}) {
    if (auto ok = make_dir(*dir); !ok) {
      return ok;
    }
  }
  for (const auto& [path, bytes] : recipe.files) {
    if (auto ok = write_file_atomically(path, bytes, "write env lockfile"); !ok) {
      return ok;
    }
  }
  return {};
}

Result<> build(const Spec& spec, const Inputs& in, const Prepared& env, const std::string& layer,
               const LayerRunner& run_in_layer) {
  const Recipe recipe = make_recipe(in, env.paths);
  if (auto ok = start_build(env.paths, recipe); !ok) {
    return ok;
  }
  log::info("preparing {} env {} ({})", to_string(in.kind), env.key.substr(0, 12), recipe.summary);
  int status = 0;
  if (spec.isolation == Isolation::host) {
    auto ran = run_on_host(recipe.script);
    status = ran ? *ran : kExitFailure;
  } else {
    Spec inside = build_spec(spec, env.paths, in, recipe.script, recipe.needs_network);
    status = run_in_layer(inside);
  }
  if (status != 0) {
    Error error = build_error(env.paths, in, status);
    if (auto removed = remove_tree(env.paths.dir); !removed) {
      log::warn("{}", removed.error().message());
    }
    return std::unexpected(std::move(error));
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return write_marker(env.paths,
                      Marker{.key = env.key,
                             .kind = std::string(to_string(in.kind)),
                             .lockfile = in.lockfile,
                             .layer = layer,
                             .created = std::chrono::duration_cast<std::chrono::seconds>(now).count()});
}

// Under the shared lock a complete environment is used as it is; otherwise
// the lock becomes exclusive, and whoever gets it first builds. Linux's flock
// drops the shared lock before waiting for the exclusive one, so two runs
// converting at once do not deadlock; the marker is checked again after.
Result<> find_or_build(const Spec& spec, const Inputs& in, Prepared& env, const std::string& layer,
                       const LayerRunner& run_in_layer) {
  auto lock = lock_env(env.paths, Hold::shared);
  if (!lock) {
    return std::unexpected(lock.error());
  }
  env.lock = *std::move(lock);
  if (is_complete(env.paths)) {
    env.reused = true;
    touch(env.paths);
    return {};
  }
  if (auto ok = relock(env.lock, env.paths, Hold::exclusive); !ok) {
    return ok;
  }
  if (!is_complete(env.paths)) {
    if (auto ok = build(spec, in, env, layer, run_in_layer); !ok) {
      return ok;
    }
  } else {
    env.reused = true;
    touch(env.paths);
  }
  return relock(env.lock, env.paths, Hold::shared);
}

}  // namespace

Result<Prepared> prepare(const Spec& spec, const HostFacts& host, const LayerRunner& run_in_layer) {
  auto in = read_inputs(spec.lang, host.cwd.empty() ? "/" : host.cwd);
  if (!in) {
    return std::unexpected(in.error());
  }
  auto layer = layer_identity(spec, *in, host_path_env(host));
  auto envs = layer ? envs_dir(!spec.dry_run) : std::unexpected(layer.error());
  if (!envs) {
    return std::unexpected(envs.error());
  }
  Prepared env;
  env.kind = in->kind;
  env.key = env_key(*in, *layer);
  env.paths = env_paths(*envs, env.key);
  env.summary = make_recipe(*in, env.paths).summary;
  if (spec.dry_run) {
    env.reused = is_complete(env.paths);
    return env;
  }
  if (auto ok = find_or_build(spec, *in, env, *layer, run_in_layer); !ok) {
    return std::unexpected(ok.error());
  }
  return env;
}

Spec build_spec(const Spec& user, const EnvPaths& paths, const Inputs& in, const std::string& script,
                bool needs_network) {
  Spec spec = user;
  spec.venv = false;
  spec.lang = {};
  spec.argv = {"/bin/sh", "-c", script};
  if (spec.image) {
    spec.entrypoint = "";  // the image's Entrypoint would wrap the script
  }
  spec.workdir = paths.dir;
  spec.mounts.push_back({.kind = MountKind::bind, .source = paths.dir, .destination = paths.dir, .size = 0});
  for (const LinkDir& dir : in.find_links) {
    spec.mounts.push_back(
        {.kind = MountKind::ro_bind, .source = dir.path, .destination = dir.path, .size = 0});
  }
  if (needs_network && spec.net == NetMode::none) {
    spec.net = spec.isolation == Isolation::vm ? NetMode::user : NetMode::host;
  }
  spec.pty = PtyMode::never;
  spec.resources.timeout.reset();  // the workload's deadline, not the install's
  spec.json_status.reset();
  spec.dry_run = false;
  return spec;
}

void bind_environment(const Prepared& env, Spec& spec) {
  if (spec.isolation != Isolation::host) {
    spec.mounts.push_back(
        {.kind = MountKind::ro_bind, .source = env.paths.dir, .destination = env.paths.dir, .size = 0});
  }
}

void use_environment(const Prepared& env, std::vector<std::string>& process_env) {
  apply_environment(env.kind, env.paths.dir, process_env);
}

std::string describe(const Prepared& env) {
  return fmt::format("venv: {} env {} at {} ({})\n", to_string(env.kind), env.key, env.paths.dir,
                     env.reused ? "reuse" : "create: " + env.summary);
}

}  // namespace strata::lang
