// strata env ls|rm|prune: the cache of language environments the +venv layer
// builds (lang/cache.hpp), beside the image store.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "base/parse.hpp"
#include "cli/verbs.hpp"
#include "lang/cache.hpp"

namespace strata::cli {

namespace {

using nlohmann::json;

struct EnvFlags {
  bool json = false;
  std::vector<std::string> keys;
  std::optional<std::string> older_than;
  bool all = false;
};

int print(const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0
             ? 0
             : kExitFailure;
}

int failed(const Error& error) {
  log::error("env", error);
  return error.exit_code;
}

std::string timestamp(std::int64_t seconds) {
  if (seconds == 0) {
    return "-";
  }
  std::tm tm{};
  const std::time_t t = seconds;
  if (::gmtime_r(&t, &tm) == nullptr) {
    return "-";
  }
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_ls(const EnvFlags& flags) {
  auto envs = lang::envs_dir();
  if (!envs) {
    return failed(envs.error());
  }
  json all = json::array();
  std::string text = fmt::format("{:<12} {:<6} {:>10} {:<20} {:<20} {}\n", "KEY", "KIND", "SIZE", "CREATED",
                                 "LAST USED", "LOCKFILE");
  for (const lang::EnvInfo& env : lang::list_envs(*envs)) {
    const lang::Marker& m = env.marker;
    all.push_back({{"key", m.key},
                   {"kind", m.kind},
                   {"lockfile", m.lockfile},
                   {"path", lang::env_paths(*envs, m.key).dir},
                   {"size", env.size},
                   {"complete", env.complete},
                   {"created", timestamp(m.created)},
                   {"last_used", timestamp(env.last_used)}});
    text += fmt::format("{:<12} {:<6} {:>10} {:<20} {:<20} {}\n", m.key.substr(0, 12),
                        env.complete ? m.kind : "-", env.size, timestamp(m.created), timestamp(env.last_used),
                        env.complete ? m.lockfile : "(incomplete: strata env prune removes it)");
  }
  return print(flags.json ? all.dump(2) + "\n" : text);
}

// A whole key, or a prefix of exactly one (ls shows 12 digits).
Result<std::string> find_key(const std::string& envs, const std::string& prefix) {
  std::vector<std::string> matches;
  for (const lang::EnvInfo& env : lang::list_envs(envs)) {
    if (!prefix.empty() && env.marker.key.starts_with(prefix)) {
      matches.push_back(env.marker.key);
    }
  }
  if (matches.size() != 1) {
    return fail("find env", prefix,
                matches.empty() ? "no such environment (see strata env ls)"
                                : "the prefix names several environments; give more of the key");
  }
  return matches.front();
}

int run_rm(const EnvFlags& flags) {
  auto envs = lang::envs_dir();
  if (!envs) {
    return failed(envs.error());
  }
  for (const std::string& prefix : flags.keys) {
    auto key = find_key(*envs, prefix);
    auto removed = key ? lang::remove_env(*envs, *key) : std::unexpected(key.error());
    if (!removed) {
      return failed(removed.error());
    }
    if (!*removed) {
      return failed(fail("remove env", *key, "in use by a run").error());
    }
    if (auto ok = print(fmt::format("removed {}\n", *key)); ok != 0) {
      return ok;
    }
  }
  return 0;
}

int run_prune(const EnvFlags& flags) {
  std::optional<std::int64_t> unused_for;
  if (flags.older_than) {
    auto duration = parse_duration(*flags.older_than);
    if (!duration) {
      return failed(duration.error());
    }
    unused_for = std::chrono::duration_cast<std::chrono::seconds>(*duration).count();
  }
  auto envs = lang::envs_dir();
  auto stats =
      envs ? lang::prune_envs(*envs, unused_for, flags.all, now_seconds()) : std::unexpected(envs.error());
  if (!stats) {
    return failed(stats.error());
  }
  if (flags.json) {
    return print(json{{"removed", stats->removed}, {"bytes", stats->bytes}, {"busy", stats->busy}}.dump(2) +
                 "\n");
  }
  const std::string busy = stats->busy == 0 ? "" : fmt::format(" ({} kept: in use by a run)", stats->busy);
  return print(fmt::format("removed {} environments, {} bytes{}\n", stats->removed, stats->bytes, busy));
}

void add_subcommands(CLI::App& command, EnvFlags& flags) {
  command.add_subcommand("ls", "List the cached environments")
      ->add_flag("--json", flags.json, "Print a JSON array");
  command.add_subcommand("rm", "Remove environments (not one a run is using)")
      ->add_option("KEY", flags.keys, "A key, or a prefix of exactly one")
      ->required();
  auto* prune = command.add_subcommand(
      "prune", "Remove incomplete environments, and with a flag unused or all ones (never one in use)");
  prune->add_option("--older-than", flags.older_than, "Also those last used longer ago than this, e.g. 720h")
      ->type_name("DURATION");
  prune->add_flag("--all", flags.all, "Also every complete one");
  prune->add_flag("--json", flags.json, "Print what was removed as JSON");
}

}  // namespace

Runner attach_env(CLI::App& command) {
  auto flags = std::make_shared<EnvFlags>();
  command.require_subcommand(1);
  add_subcommands(command, *flags);
  command.footer(
      "Environments live in $STRATA_HOME/envs (default /var/lib/strata/envs for root, "
      "~/.local/share/strata/envs otherwise).\n"
      "Exit status: 0 on success, 125 on any failure (one line on stderr names the input and reason).");
  return [flags, &command](const std::vector<std::string>& trailing) {
    if (!trailing.empty()) {
      log::line("env: takes no command (found words after --)");
      return static_cast<int>(kExitFailure);
    }
    using Run = int (*)(const EnvFlags&);
    constexpr std::array<std::pair<const char*, Run>, 3> kRuns{
        {{"ls", run_ls}, {"rm", run_rm}, {"prune", run_prune}}};
    for (const auto& [name, run] : kRuns) {
      if (command.get_subcommand(name)->parsed()) {
        return run(*flags);
      }
    }
    return static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
