// The package database: dpkg's /var/lib/dpkg/status (RFC 822 stanzas) or
// apk's /lib/apk/db/installed ("P:name" lines), whichever the tree has.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::sys {

struct Package {
  std::string name;
  std::string version;
  std::string arch;
  friend bool operator==(const Package&, const Package&) = default;
};

// The installed packages of a dpkg status file, in file order. "Installed"
// is dpkg's own notion: the error flag "ok" and the state "installed" (or
// "triggers-pending"/"triggers-awaited", which come after it), whatever the
// selection ("install", "hold"); removed, config-files and half-installed
// stanzas are skipped.
[[nodiscard]] std::vector<Package> parse_dpkg_status(std::string_view text);

// The packages of an apk installed database (every stanza is installed).
[[nodiscard]] std::vector<Package> parse_apk_installed(std::string_view text);

struct PackageDb {
  std::string manager = "none";  // "dpkg", "apk", "none"
  std::string source;            // the database file
  // By fact key: the name, or "name:arch" for a foreign-architecture copy of
  // a Multi-Arch package (dpkg's own spelling). The native architecture is
  // that of the package manager's own package.
  std::map<std::string, Package, std::less<>> by_key;

  // The native (or arch-independent) package called `name`, or null.
  [[nodiscard]] const Package* find(std::string_view name) const;
};

[[nodiscard]] PackageDb read_packages(const Root& root);

// packages.manager, packages.count, package.<key> = {"version", "arch"}.
void add_package_facts(const PackageDb& db, Facts& facts);

}  // namespace strata::probe::sys
