// The Python part of the language layer: interpreters, the project's virtual
// environment and the installed distributions (dist-info / egg-info), read
// from files through the Root. Nothing is run: `python3 -c` would report the
// host's interpreter, not the tree's, and costs ~20 ms.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::lang {

// PEP 503: lowercase, every run of '-', '_' and '.' becomes one '-'
// ("Foo_Bar" -> "foo-bar", "zope.interface" -> "zope-interface").
[[nodiscard]] std::string normalize_python_name(std::string_view name);

// Name and Version from the RFC 822 header part of a METADATA or PKG-INFO
// file (up to the first blank line); empty when a header is missing.
struct DistHeaders {
  std::string name;
  std::string version;
  friend bool operator==(const DistHeaders&, const DistHeaders&) = default;
};
[[nodiscard]] DistHeaders parse_dist_headers(std::string_view text);

// Name and version from a distribution directory's name, for metadata without
// headers: "Foo_Bar-1.0.dist-info" -> {"Foo_Bar", "1.0"},
// "pkg-2.1-py3.11.egg-info" -> {"pkg", "2.1"}, "pkg.egg-info" -> {"pkg", ""}.
[[nodiscard]] DistHeaders dist_dir_headers(std::string_view dir_name);

// The distribution a site directory's `entry` (NAME-VERSION.dist-info or
// .egg-info) describes: its PEP 503 name and its version (empty when
// unknown), from the metadata or the directory's name; nullopt for any
// other entry. (strata trace maps imported files to distributions with it.)
[[nodiscard]] std::optional<DistHeaders> read_distribution(const Root& root, const std::string& site,
                                                           const std::string& entry);

// A virtual environment's pyvenv.cfg. `version` is "3.11.2" from `version`
// or, as virtualenv and uv write it, `version_info` ("3.11.2.final.0").
struct VenvConfig {
  std::string home;
  std::string version;
  bool include_system_site_packages = false;
  friend bool operator==(const VenvConfig&, const VenvConfig&) = default;
};
[[nodiscard]] VenvConfig parse_pyvenv_cfg(std::string_view text);

// The active venv's directory: $VIRTUAL_ENV (live only), else `.venv` or
// `venv` under `cwd`; each must hold a pyvenv.cfg.
[[nodiscard]] std::optional<std::string> find_venv(const Root& root, const std::string& cwd);

// python.interpreter.<name>, python.venv and python.package.<name>.
void add_python_facts(const Root& root, const std::string& cwd, Facts& facts);

}  // namespace strata::probe::lang
