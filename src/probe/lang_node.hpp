// The Node.js part of the language layer: the interpreter and npm, global
// packages, and the project in `cwd` (package.json, the lockfile and what
// node_modules holds). Versions come from files (node_version.h, package.json,
// the lockfiles), never from running `node --version` or `npm ls`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::lang {

// "20.20.2" from node_version.h's NODE_MAJOR/MINOR/PATCH_VERSION defines;
// nullopt when one is missing.
[[nodiscard]] std::optional<std::string> parse_node_version_header(std::string_view text);

// node.interpreter, npm.version, node.global.<name>, node.project,
// node.lockfile and node.package.<name>.
void add_node_facts(const Root& root, const std::string& cwd, Facts& facts);

}  // namespace strata::probe::lang
