// strata run: flags -> Spec -> Plan -> Backend -> Outcome -> exit code.
#include <fmt/format.h>

#include <memory>

#include "base/log.hpp"
#include "cli/run_flags.hpp"
#include "cli/verbs.hpp"

namespace strata::cli {

Runner attach_run(CLI::App& command) {
  auto spec = std::make_shared<Spec>();
  command.footer(
      "Exit status: the command's own; 128+N if a signal N ended it; 125 if strata failed; "
      "126 if the command could not be executed; 127 if it was not found.");
  add_namespace_flags(command, *spec);
  add_filesystem_flags(command, *spec);
  add_image_flags(command, *spec);
  add_process_flags(command, *spec);
  add_hardening_flags(command, *spec);
  add_resource_flags(command, *spec);
  command.add_flag("--dry-run", spec->dry_run, "Print the Plan and exit without running anything");
  command.add_option("--json-status", spec->json_status, "Write how the run ended to FILE as JSON")
      ->type_name("FILE");
  // Everything from the first non-flag word on is the command, untouched.
  command.prefix_command();
  return [spec, &command](std::vector<std::string> trailing) {
    std::vector<std::string> argv = command.remaining();
    if (!argv.empty() && argv.front().starts_with('-')) {
      log::line(fmt::format("run: unknown flag '{}' (see --help; put the command after --)", argv.front()));
      return static_cast<int>(kExitFailure);
    }
    if (!argv.empty() && !trailing.empty()) {
      log::line(fmt::format("run: unexpected '{}' before '--' (see --help)", argv.front()));
      return static_cast<int>(kExitFailure);
    }
    return run_spec(*spec, argv.empty() ? std::move(trailing) : std::move(argv), "run");
  };
}

}  // namespace strata::cli
