#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/version.hpp"
#include "cli/env_file.hpp"
#include "cli/verbs.hpp"
#include "vm/guest/init.hpp"

namespace {

using strata::cli::Verb;

constexpr std::array kVerbs{
    Verb{"run", "Run a command in an isolated environment (default: a process sandbox)",
         strata::cli::attach_run},
    Verb{"probe",
         "Fingerprint this machine (or a --root tree) layer by layer: hardware, kernel, system, language",
         strata::cli::attach_probe},
    Verb{"diff", "Compare two fingerprints and name the lowest layer that must be identical",
         strata::cli::attach_diff},
    Verb{"image", "Manage the image store: import, pull, ls, inspect, rm, tag, prune",
         strata::cli::attach_image},
    Verb{"analyze",
         "What binaries and scripts need: libraries (resolved like ld.so), symbol versions, ISA, kernel",
         strata::cli::attach_analyze},
    Verb{"trace",
         "Run a command and record what it needs: system calls, files, dlopen, kernel features, packages",
         strata::cli::attach_trace},
    Verb{"check",
         "Check what a program needs against a target and name the lowest layer that must be identical",
         strata::cli::attach_check},
    Verb{"advise",
         "Trace a command and check what it needs against a target (this machine by default): the verdict",
         strata::cli::attach_advise},
    Verb{"env", "Manage the cached language environments of the +venv layer: ls, rm, prune",
         strata::cli::attach_env},
    Verb{"record",
         "Trace a command where it works and write strata.lock, for strata run --isolation auto elsewhere",
         strata::cli::attach_record},
};

}  // namespace

int main(int argc, char** argv) {
  // The VM guest's init (`/init vm-init` in strata's initramfs): not a verb
  // users call, so it is not in the table or --help.
  if (argc == 2 && std::string_view(argv[1]) == "vm-init") {
    return strata::vm::guest_init_main();
  }
  CLI::App app{"strata: diagnose, decide and run at the right isolation layer", "strata"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(strata::kVersion));
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Print what strata does");
  app.add_flag("-q,--quiet", quiet, "Print only errors");

  std::array<strata::cli::Runner, kVerbs.size()> runners;
  std::array<CLI::App*, kVerbs.size()> commands{};
  for (std::size_t i = 0; i < kVerbs.size(); ++i) {
    commands[i] = app.add_subcommand(std::string(kVerbs[i].name), std::string(kVerbs[i].summary));
    runners[i] = kVerbs[i].attach(*commands[i]);
  }
  // The words after the first "--" are the workload's; CLI11 never sees them.
  std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<std::string> trailing;
  if (auto dashes = std::ranges::find(words, "--"); dashes != words.end()) {
    trailing.assign(dashes + 1, words.end());
    words.erase(dashes, words.end());
  }
  strata::cli::set_command_line(words);  // for strata.toml's pre-scan (cli/env_file.cpp)
  std::ranges::reverse(words);           // CLI11 takes a reversed vector
  try {
    app.parse(words);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto* failed = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
    strata::log::line(failed->get_name() + ": " + e.what() + " (see --help)");
    return strata::kExitFailure;
  }
  strata::log::set_level(quiet     ? strata::log::Level::quiet
                         : verbose ? strata::log::Level::verbose
                                   : strata::log::Level::normal);
  for (std::size_t i = 0; i < kVerbs.size(); ++i) {
    if (commands[i]->parsed()) {
      return runners[i](std::move(trailing));
    }
  }
  return strata::kExitFailure;
}
