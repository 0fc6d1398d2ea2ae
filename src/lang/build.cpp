#include "lang/build.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include "base/files.hpp"
#include "lang/recipe.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace strata::lang {

namespace {

constexpr std::size_t kLogLimit = 16U << 20U;

}  // namespace

Result<int> run_on_host(const std::string& script) {
  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  std::string body = script;
  char* argv[] = {sh.data(), dash_c.data(), body.data(), nullptr};
  pid_t pid = 0;
  if (const int rc = ::posix_spawn(&pid, sh.c_str(), nullptr, nullptr, argv, environ); rc != 0) {
    return fail_errno("run build script", sh, rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail_errno("wait for build script", sh);
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Error build_error(const EnvPaths& paths, const Inputs& in, int status) {
  auto log = read_small_file(log_path(paths), kLogLimit, "read build log");
  if (!log) {
    // The layer failed before the script started: its own error is printed already.
    return Error{.step = fmt::format("prepare {} env", to_string(in.kind)),
                 .path = in.lockfile,
                 .err = 0,
                 .detail = fmt::format("the build did not start in the layer (exit status {})", status),
                 .exit_code = kExitFailure};
  }
  BuildFailure failure = read_failure(*log);
  return Error{.step = std::move(failure.step),
               .path = in.lockfile,
               .err = 0,
               .detail = std::move(failure.reason),
               .exit_code = kExitFailure};
}

}  // namespace strata::lang
