// strata.toml (docs/strata-toml.md): a workload described once, in a file
// read into a Spec before the command line's flags, which then override it.
// The file only ever sets what a `strata run` flag sets; every key maps onto
// one flag's Spec field through that flag's own parser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "spec/spec.hpp"

namespace strata::envfile {

// The file `strata run` reads from its working directory unless -f or --no-file.
inline constexpr std::string_view kDefaultName = "strata.toml";

// A larger file is refused before it is parsed: a workload's description is
// a few hundred bytes, and toml++ keeps the whole document in memory.
inline constexpr std::size_t kMaxFileSize = 1U << 20;

// What a file set, for --dry-run's account of where the settings came from.
struct Loaded {
  std::string path;               // as named in messages: "strata.toml" or -f's argument
  std::string absolute_path;      // the file, for --dry-run
  std::vector<std::string> keys;  // the keys it set ("command", "env", "resources.memory"), sorted
};

// Reads the file at `path` into `spec`: the keys it sets replace the Spec's
// defaults, its lists come first in the Spec's lists, its `command` becomes
// spec.argv. Relative paths in the file resolve against the file's directory.
// Errors name the file, the line and the key:
// "strata.toml:12: key 'resources.memory': expected a size like 512m, not '5x'".
[[nodiscard]] Result<Loaded> load_file(const std::string& path, Spec& spec);

// The same for text already read; `path` names it in messages and its
// directory (made absolute against the working directory) is the one
// relative paths resolve against.
[[nodiscard]] Result<Loaded> load_text(std::string_view text, const std::string& path, Spec& spec);

}  // namespace strata::envfile
