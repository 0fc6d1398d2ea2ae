// Which language package a file belongs to: a file under site-packages or
// dist-packages maps to the Python distribution that installed it (its
// RECORD or top_level.txt names the top-level module; the version comes
// from its METADATA), a file under node_modules/<pkg>/ to that npm package
// (version from its package.json). Read through a probe::Root.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "probe/root.hpp"

namespace strata::trace {

struct PackageVersion {
  std::string name;     // Python: PEP 503 normalized; npm: as in package.json
  std::string version;  // empty when no metadata says
};

class PackageIndex {
 public:
  explicit PackageIndex(const probe::Root& root) : root_(root) {}

  [[nodiscard]] std::optional<PackageVersion> python_owner(const std::string& path);
  [[nodiscard]] std::optional<PackageVersion> node_owner(const std::string& path);

 private:
  using Site = std::map<std::string, PackageVersion>;  // top-level module -> distribution
  const Site& site(const std::string& dir);

  const probe::Root& root_;
  std::map<std::string, Site> sites_;
  std::map<std::string, std::optional<PackageVersion>> node_packages_;  // by package directory
};

// "foo/__init__.py" -> "foo"; "foo.py", "foo.cpython-311-x86_64-linux-gnu.so"
// -> "foo"; "__pycache__/foo.cpython-311.pyc" -> "foo"; empty for paths that
// name no module ("../../bin/x", "foo-1.0.dist-info/RECORD").
[[nodiscard]] std::string top_level_module(const std::string& relative);

}  // namespace strata::trace
