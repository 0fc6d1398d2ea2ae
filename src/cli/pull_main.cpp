// strata-pull: the registry client behind `strata image pull`, a separate,
// dynamically linked executable because libcurl cannot be linked statically
// on Debian (see CONTRIBUTING.md). strata execs it with the flags it parsed.
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "cli/pull_flags.hpp"
#include "image/store.hpp"
#include "registry/http.hpp"
#include "registry/progress.hpp"
#include "registry/pull.hpp"

namespace {

using strata::Error;
using strata::Result;
namespace registry = strata::registry;

constexpr std::size_t kPasswordLimit = 64U << 10U;

int failed(const Error& error) {
  strata::log::error("image", error);
  return error.exit_code;
}

Result<std::optional<registry::Credentials>> credentials(const strata::cli::PullFlags& flags,
                                                         const registry::Reference& ref) {
  if (flags.password_stdin != !flags.username.empty()) {
    return strata::fail("parse --username", flags.username, "--username and --password-stdin go together");
  }
  if (!flags.password_stdin) {
    return registry::find_credentials(ref.domain);
  }
  std::string password;
  std::array<char, 4096> buffer{};
  while (password.size() <= kPasswordLimit) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return strata::fail_errno("read --password-stdin", "stdin");
    }
    if (n == 0) {
      break;
    }
    password.append(buffer.data(), static_cast<std::size_t>(n));
  }
  while (password.ends_with('\n') || password.ends_with('\r')) {
    password.pop_back();
  }
  if (password.empty() || password.size() > kPasswordLimit) {
    return strata::fail("read --password-stdin", "stdin", "expected a password of 1-65536 bytes");
  }
  return std::optional(registry::Credentials{.username = flags.username, .password = password});
}

Result<registry::Pulled> pull(const strata::cli::PullFlags& flags) {
  auto ref = registry::parse_reference(flags.ref);
  auto creds = ref ? credentials(flags, *ref) : std::unexpected(ref.error());
  if (!creds) {
    return std::unexpected(creds.error());
  }
  registry::PullOptions options{.tag = flags.tag,
                                .insecure = flags.insecure,
                                .credentials = *creds,
                                .progress = strata::log::level() != strata::log::Level::quiet &&
                                            registry::Progress::stderr_is_terminal()};
  if (!flags.platform.empty()) {
    auto platform = strata::image::parse_platform(flags.platform);
    if (!platform) {
      return std::unexpected(platform.error());
    }
    options.platform = *platform;
  }
  auto dir = strata::image::Store::default_path();
  auto store = dir ? strata::image::Store::open(*dir) : std::unexpected(dir.error());
  auto http = store ? registry::init_http() : std::unexpected(store.error());
  if (!http) {
    return std::unexpected(http.error());
  }
  return registry::pull_image(*store, *ref, options);
}

int print(const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0
             ? 0
             : strata::kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"strata-pull: the registry client of `strata image pull` (run that instead)", "strata-pull"};
  strata::cli::PullFlags flags;
  strata::cli::declare_pull_flags(app, flags);
  bool quiet = false;
  bool verbose = false;
  app.add_flag("-q,--quiet", quiet, "Print only errors");
  app.add_flag("-v,--verbose", verbose, "Print what strata does");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    strata::log::line(std::string("image: pull: ") + e.what() + " (see strata image pull --help)");
    return strata::kExitFailure;
  }
  strata::log::set_level(quiet     ? strata::log::Level::quiet
                         : verbose ? strata::log::Level::verbose
                                   : strata::log::Level::normal);
  auto done = pull(flags);
  if (!done) {
    return failed(done.error());
  }
  if (flags.json) {
    const nlohmann::json out = {{"reference", done->reference},     {"tag", done->tag},
                                {"digest", done->manifest.str()},   {"mediaType", done->media_type},
                                {"platform", done->platform.str()}, {"layers", done->layers},
                                {"downloaded", done->downloaded},   {"reused", done->reused}};
    return print(out.dump(2) + "\n");
  }
  return print(fmt::format("pulled {} ({}, {} layers) as {}\n", done->manifest.str(), done->platform.str(),
                           done->layers, done->tag));
}
