#include "container/process.hpp"

#include <algorithm>
#include <string_view>

#include "base/parse.hpp"

namespace strata::container {

namespace {

constexpr std::string_view kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> command(const Spec& spec, const image::ImageConfig& config) {
  std::vector<std::string> argv;
  if (spec.entrypoint) {
    if (!spec.entrypoint->empty()) {
      argv.push_back(*spec.entrypoint);
    }
    argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
    return argv;
  }
  argv = config.entrypoint;
  const auto& cmd = spec.argv.empty() ? config.cmd : spec.argv;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

// NAME=VALUE entries, later ones replacing earlier ones of the same name in
// place (the order a person reads in `env` stays the image's).
class Environment {
 public:
  void set(std::string_view name, std::string_view value) {
    const auto same = [name](const std::string& entry) {
      return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
    };
    const std::string entry = std::string(name) + "=" + std::string(value);
    if (auto it = std::ranges::find_if(vars_, same); it != vars_.end()) {
      *it = entry;
    } else {
      vars_.push_back(entry);
    }
  }
  void set_entry(std::string_view entry) {
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      set(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  [[nodiscard]] bool has(std::string_view name) const {
    return std::ranges::any_of(vars_, [name](const std::string& entry) {
      return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
    });
  }
  std::vector<std::string> take() { return std::move(vars_); }

 private:
  std::vector<std::string> vars_;
};

std::vector<std::string> environment(const Spec& spec, const image::ImageConfig& config,
                                     const image::ImageUser& user, const std::optional<std::string>& term) {
  Environment env;
  if (!spec.clear_env) {
    for (const auto& entry : config.env) {
      env.set_entry(entry);
    }
    if (!env.has("PATH")) {
      env.set("PATH", kDefaultPath);
    }
    if (!env.has("HOME")) {
      env.set("HOME", user.home.empty() ? "/" : user.home);
    }
    if (term && !env.has("TERM")) {
      env.set("TERM", *term);
    }
  }
  for (const auto& var : spec.env) {
    env.set(var.name, var.value);
  }
  return env.take();
}

}  // namespace

std::string effective_user(const Spec& spec, const image::ImageConfig& config) {
  if (spec.user) {
    return *spec.user;
  }
  if (spec.uid != 0 || spec.gid != 0) {
    return std::to_string(spec.uid) + ":" + std::to_string(spec.gid);
  }
  return config.user;
}

Result<> apply_image_config(const Spec& spec, const image::ImageConfig& config, const image::ImageUser& user,
                            const std::optional<std::string>& term, ContainerRoot& out) {
  out.argv = command(spec, config);
  if (out.argv.empty()) {
    return fail("find the command", *spec.image,
                "the image has neither Entrypoint nor Cmd; give the command after --");
  }
  if (out.argv.front().empty()) {
    return fail("find the command", *spec.image, "the command is an empty string");
  }
  out.env = environment(spec, config, user, term);
  out.cwd = spec.workdir.value_or(config.working_dir.empty() ? "/" : config.working_dir);
  out.cwd_required = spec.workdir.has_value();
  if (out.cwd.front() != '/') {
    return fail("check the working directory", out.cwd, "the image's WorkingDir must be an absolute path");
  }
  out.uid = user.uid;
  out.gid = user.gid;
  out.groups = user.groups;
  if (!config.stop_signal.empty()) {
    auto signal = parse_signal(config.stop_signal);
    if (!signal) {
      return fail("read the image's StopSignal", config.stop_signal, signal.error().detail);
    }
    out.stop_signal = *signal;
  }
  return {};
}

}  // namespace strata::container
