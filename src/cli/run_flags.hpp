// What `strata run` and `strata trace` share: the flags that fill a Spec
// (isolation, filesystem, image, process, hardening, resources) and the run
// path itself.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.hpp"

namespace strata::cli {

void add_namespace_flags(CLI::App& command, Spec& spec);
void add_filesystem_flags(CLI::App& command, Spec& spec);
void add_image_flags(CLI::App& command, Spec& spec);
void add_process_flags(CLI::App& command, Spec& spec);
// --cap-add, --cap-drop, --rlimit, --landlock and, when `seccomp`, --seccomp.
void add_hardening_flags(CLI::App& command, Spec& spec, bool seccomp = true);
void add_resource_flags(CLI::App& command, Spec& spec);
// --lock and --target, for --isolation auto.
void add_auto_flags(CLI::App& command, Spec& spec);
// --kernel, --initrd, --vm-memory, --vm-cpus, --vm-engine, --keep-console.
void add_vm_flags(CLI::App& command, Spec& spec);
// --wasm-engine, --wasm-memory, --no-sandbox, --allow-weaker.
void add_wasm_flags(CLI::App& command, Spec& spec);
// --requirements, --find-links, --npm-lock, --python (the +venv layer).
void add_lang_flags(CLI::App& command, Spec& spec);

// The workload's words: everything from the first non-flag word on (the
// subcommand must use prefix_command()), or those after "--". nullopt, with
// the reason printed, for an unknown flag or words on both sides of "--".
std::optional<std::vector<std::string>> command_words(const CLI::App& command,
                                                      std::vector<std::string> trailing,
                                                      std::string_view verb);

// Spec + command -> validate -> Plan (after preparing an image) -> Backend
// -> exit code. Failures are printed as "strata: VERB: ...".
int run_spec(Spec& spec, std::vector<std::string> command, std::string_view verb);

}  // namespace strata::cli
