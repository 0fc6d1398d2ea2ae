// A manifest named on the command line (strata diff's sides, strata check's
// and strata advise's --target): this machine probed now, a directory
// probed as a root tree, or a strata.manifest/v1 file.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/error.hpp"
#include "probe/manifest.hpp"

namespace strata::cli {

// Empty, "live" and "-" name this machine.
[[nodiscard]] inline bool is_live_operand(const std::string& operand) {
  return operand.empty() || operand == "live" || operand == "-";
}

// `as_root`: the operand is a directory to probe (--root), whatever it looks like.
[[nodiscard]] Result<probe::Manifest> load_manifest_operand(const std::string& operand, bool as_root = false);

// --target MANIFEST, as strata check and strata advise take it.
void add_target_option(CLI::App& command, std::string& target);

}  // namespace strata::cli
