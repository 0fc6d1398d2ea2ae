#include "lang/recipe.hpp"

#include <algorithm>
#include <span>

namespace strata::lang {

namespace {

constexpr std::string_view kMarker = "strata-step: ";

// The first line of npm's error block names the problem; the later ones
// point at its own log, which is gone with the environment.
bool npm_error(std::string_view line) {
  for (std::string_view prefix : {"npm error ", "npm ERR! "}) {
    if (line.starts_with(prefix)) {
      return !line.substr(prefix.size()).starts_with("code ");
    }
  }
  return false;
}

std::string_view trim(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  return line;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end;
    out.push_back(trim(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

void set_var(std::vector<std::string>& env, std::string_view name, const std::string& value) {
  const std::string prefix = std::string(name) + "=";
  std::erase_if(env, [&prefix](const std::string& var) { return var.starts_with(prefix); });
  env.push_back(prefix + value);
}

void prepend_path(std::vector<std::string>& env, const std::string& dir) {
  for (std::string& var : env) {
    if (var.starts_with("PATH=")) {
      var.insert(5, dir + (var.size() > 5 ? ":" : ""));
      return;
    }
  }
  env.push_back("PATH=" + dir + ":/usr/local/bin:/usr/bin:/bin");
}

}  // namespace

std::string shell_quote(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string step_marker(std::string_view step) {
  return "echo " + shell_quote(std::string(kMarker) + std::string(step)) + "\n";
}

std::string log_path(const EnvPaths& paths) {
  return paths.meta + "/build.log";
}

Recipe make_recipe(const Inputs& in, const EnvPaths& paths) {
  return in.kind == Kind::python ? python_recipe(in, paths) : node_recipe(in, paths);
}

void apply_environment(Kind kind, const std::string& dir, std::vector<std::string>& env) {
  if (kind == Kind::python) {
    std::erase_if(env, [](const std::string& var) { return var.starts_with("PYTHONHOME="); });
    set_var(env, "VIRTUAL_ENV", dir);
    prepend_path(env, dir + "/bin");
    return;
  }
  set_var(env, "NODE_PATH", dir + "/node_modules");
  prepend_path(env, dir + "/node_modules/.bin");
}

BuildFailure read_failure(std::string_view log) {
  const auto lines = lines_of(log);
  BuildFailure out{.step = "build", .reason = {}};
  std::size_t start = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with(kMarker)) {
      out.step = std::string(lines[i].substr(kMarker.size()));
      start = i + 1;
    }
  }
  const auto step = std::span(lines).subspan(start);
  auto pip = std::ranges::find_if(step.rbegin(), step.rend(),
                                  [](std::string_view l) { return l.starts_with("ERROR: "); });
  auto npm = std::ranges::find_if(step, npm_error);
  auto last = std::ranges::find_if(step.rbegin(), step.rend(), [](std::string_view l) { return !l.empty(); });
  if (pip != step.rend()) {
    out.reason = *pip;
  } else if (npm != step.end()) {
    out.reason = *npm;
  } else if (last != step.rend()) {
    out.reason = *last;
  } else {
    out.reason = "failed without a message";
  }
  return out;
}

}  // namespace strata::lang
