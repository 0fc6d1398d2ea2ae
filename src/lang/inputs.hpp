// What defines a language environment: the lockfile's bytes, the find-links
// directories' listing and the interpreter, read once on the host before
// anything is built (the key hashes exactly these bytes, and the build
// installs from a copy of them, so a file edited meanwhile cannot slip in).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "spec/spec.hpp"

namespace strata::lang {

enum class Kind { python, node };

std::string_view to_string(Kind kind);

// One file of a --find-links directory: what pip may pick from it.
struct LinkFile {
  std::string name;
  std::uint64_t size = 0;

  bool operator==(const LinkFile&) const = default;
  auto operator<=>(const LinkFile&) const = default;
};

struct LinkDir {
  std::string path;             // absolute
  std::vector<LinkFile> files;  // sorted by name

  bool operator==(const LinkDir&) const = default;
};

struct Inputs {
  Kind kind = Kind::python;
  std::string lockfile;      // absolute path of requirements.txt or package-lock.json
  std::string lock_bytes;    // its content
  std::string package_json;  // node: the package.json beside the lockfile
  std::vector<LinkDir> find_links;
  std::string interpreter;  // python: --python or "python3"; node: "node"
};

// The lockfile is --requirements or --npm-lock, else requirements.txt, else
// package-lock.json in `cwd`; none of them is an error that says what to give.
Result<Inputs> read_inputs(const LangSpec& lang, const std::string& cwd);

// The file names and sizes of a --find-links directory (not its
// subdirectories: pip does not look there either).
Result<LinkDir> list_links(const std::string& dir);

}  // namespace strata::lang
