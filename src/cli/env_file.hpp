// strata.toml for `strata run`, `strata trace` and `strata advise`
// (docs/strata-toml.md): -f/--file, --no-file, and the file read into the
// Spec before the command line's flags.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "cli/verbs.hpp"
#include "envfile/envfile.hpp"
#include "spec/spec.hpp"

namespace strata::cli {

// The words after the program's name and before the first "--", as main()
// hands them to CLI11. Set once, before parsing; the pre-scan reads its
// verb's share of them (see env_file.cpp).
void set_command_line(std::vector<std::string> words);

struct EnvFileState {
  std::optional<envfile::Loaded> loaded;
  std::optional<Error> error;  // reported by the runner, as one line
};

// Adds -f/--file and --no-file to `command` and loads the environment file
// into `spec` before CLI11 applies any of `command`'s flags. `attach` is the
// verb's own attach function (attach_run...): the pre-scan that finds -f
// builds the verb's options with it.
std::shared_ptr<const EnvFileState> add_env_file(CLI::App& command, Spec& spec, Attach attach);

// In the verb's runner, once the flags are applied: reports a file that could
// not be loaded (nullopt), prints where the settings came from with --dry-run,
// and returns the workload's words: the command line's, else the file's `command`.
std::optional<std::vector<std::string>> env_file_command(const EnvFileState& state, const CLI::App& command,
                                                         const Spec& spec, std::vector<std::string> words,
                                                         std::string_view verb);

}  // namespace strata::cli
