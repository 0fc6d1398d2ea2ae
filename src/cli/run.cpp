// strata run: flags -> Spec -> Plan -> Backend -> Outcome -> exit code.
#include <memory>

#include "cli/env_file.hpp"
#include "cli/run_flags.hpp"
#include "cli/verbs.hpp"

namespace strata::cli {

Runner attach_run(CLI::App& command) {
  auto spec = std::make_shared<Spec>();
  command.footer(
      "Exit status: the command's own; 128+N if a signal N ended it; 125 if strata failed; "
      "126 if the command could not be executed; 127 if it was not found.");
  // First: the file fills the Spec before any flag lands in it.
  auto env_file = add_env_file(command, *spec, attach_run);
  add_namespace_flags(command, *spec);
  add_filesystem_flags(command, *spec);
  add_image_flags(command, *spec);
  add_process_flags(command, *spec);
  add_hardening_flags(command, *spec);
  add_resource_flags(command, *spec);
  add_vm_flags(command, *spec);
  add_wasm_flags(command, *spec);
  add_lang_flags(command, *spec);
  add_auto_flags(command, *spec);
  command.add_flag("--dry-run", spec->dry_run, "Print the Plan and exit without running anything");
  command.add_option("--json-status", spec->json_status, "Write how the run ended to FILE as JSON")
      ->type_name("FILE");
  // Everything from the first non-flag word on is the command, untouched.
  command.prefix_command();
  return [spec, env_file, &command](std::vector<std::string> trailing) {
    auto words = command_words(command, std::move(trailing), "run");
    if (words) {
      words = env_file_command(*env_file, command, *spec, std::move(*words), "run");
    }
    return words ? run_spec(*spec, std::move(*words), "run") : static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
