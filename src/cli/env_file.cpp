// How strata.toml gets under the flags. CLI11 applies a flag as it parses it
// (--bind, --env... append in command-line order) or at the end of the parse
// (--rootfs...), always into the one Spec; so the file must be in the Spec
// before the parse starts, yet which file (-f, --no-file) is only known by
// parsing. The subcommand's pre-parse callback runs first, knowing only how
// many words it will parse: those are the last ones of the command line
// (main() hands CLI11 every word before "--"). It parses them once more with a
// throwaway App that the verb's own attach function fills, so -f is found
// exactly as the real parse will see it (an option's value that looks like
// "-f", a command word after which nothing is a flag), loads the file into
// the real Spec, and lets the real parse apply the flags over it. A mistake
// the pre-scan stumbles on is the real parse's to report.
#include "cli/env_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "base/log.hpp"

namespace strata::cli {

namespace {

std::vector<std::string>& command_line() {
  static std::vector<std::string> words;
  return words;
}

bool scanning = false;  // inside the pre-scan: its App must not scan again

struct FileChoice {
  std::optional<std::string> file;
  bool none = false;
};

FileChoice scan(Attach attach, std::span<const std::string> words) {
  scanning = true;
  CLI::App app;
  // The runner never runs, but it owns the Spec the options write into: it
  // must outlive the parse.
  const Runner keep_alive = attach(app);
  std::vector<std::string> reversed(words.rbegin(), words.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::Error& e) {
    // The real parse reports it; what was read before the mistake still counts.
    log::debug("the pre-scan for -f/--file stopped: {}", e.what());
  }
  scanning = false;
  FileChoice choice;
  if (const CLI::Option* file = app.get_option_no_throw("--file"); file != nullptr && file->count() > 0) {
    choice.file = file->results().back();
  }
  const CLI::Option* none = app.get_option_no_throw("--no-file");
  choice.none = none != nullptr && none->count() > 0;
  return choice;
}

void load(EnvFileState& state, Spec& spec, const FileChoice& choice) {
  if (choice.none) {
    return;
  }
  std::string path = choice.file.value_or(std::string(envfile::kDefaultName));
  struct stat st = {};
  if (!choice.file && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return;
  }
  auto loaded = envfile::load_file(path, spec);
  if (loaded) {
    state.loaded = std::move(*loaded);
  } else {
    state.error = loaded.error();
  }
}

}  // namespace

void set_command_line(std::vector<std::string> words) {
  command_line() = std::move(words);
}

std::shared_ptr<const EnvFileState> add_env_file(CLI::App& command, Spec& spec, Attach attach) {
  auto state = std::make_shared<EnvFileState>();
  auto* file = command
                   .add_option("-f,--file",
                               "Read the workload from this strata.toml instead of "
                               "./strata.toml (flags override it; docs/strata-toml.md)")
                   ->type_name("FILE");
  command.add_flag("--no-file")->description("Ignore ./strata.toml")->excludes(file);
  if (scanning) {
    return state;
  }
  command.preparse_callback([state, &spec, attach](std::size_t remaining) {
    const std::vector<std::string>& words = command_line();
    const std::size_t own = std::min(remaining, words.size());
    load(*state, spec, scan(attach, std::span(words).last(own)));
  });
  return state;
}

namespace {

void print_sources(const envfile::Loaded& loaded, const CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::Option* option : command.get_options()) {
    const std::string name = option->get_name();
    if (option->count() > 0 && name != "--dry-run" && name != "--file") {
      flags.push_back(name);
    }
  }
  std::string text = fmt::format("environment file: {}\nfrom the file: {}\n", loaded.absolute_path,
                                 fmt::join(loaded.keys, " "));
  if (!flags.empty()) {
    text += fmt::format("from flags (over the file): {}\n", fmt::join(flags, " "));
  }
  (void)std::fputs(text.c_str(), stdout);
}

}  // namespace

std::optional<std::vector<std::string>> env_file_command(const EnvFileState& state, const CLI::App& command,
                                                         const Spec& spec, std::vector<std::string> words,
                                                         std::string_view verb) {
  if (state.error) {
    log::error(verb, *state.error);
    return std::nullopt;
  }
  if (!state.loaded) {
    return words;
  }
  log::debug("environment file: {}", state.loaded->absolute_path);
  if (spec.dry_run) {
    print_sources(*state.loaded, command);
  }
  if (words.empty()) {
    return spec.argv;
  }
  return words;
}

}  // namespace strata::cli
