#include "probe/sys_packages.hpp"

#include <array>
#include <utility>

#include "probe/sys_fs.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

// One dpkg stanza's fields of interest.
struct Stanza {
  Package package;
  std::string status;

  [[nodiscard]] bool installed() const {
    // "want flag state": dpkg-query(1) "Status" field.
    const auto words = split_words(status);
    if (words.size() != 3 || words[1] != "ok") {
      return false;
    }
    return words[2] == "installed" || words[2] == "triggers-pending" || words[2] == "triggers-awaited";
  }

  static std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    while (!(text = trim(text)).empty()) {
      const auto end = text.find_first_of(" \t");
      words.push_back(text.substr(0, end));
      text = end == std::string_view::npos ? std::string_view() : text.substr(end);
    }
    return words;
  }
};

// "Field: value" at the start of a line; continuation lines (leading space
// or tab) belong to the field before and are never fields themselves.
bool field_value(std::string_view line, std::string_view field, std::string& out) {
  if (line.size() <= field.size() || !line.starts_with(field) || line[field.size()] != ':') {
    return false;
  }
  out = trim(line.substr(field.size() + 1));
  return true;
}

void flush(Stanza& stanza, std::vector<Package>& out) {
  if (!stanza.package.name.empty() && stanza.installed()) {
    out.push_back(std::move(stanza.package));
  }
  stanza = {};
}

}  // namespace

std::vector<Package> parse_dpkg_status(std::string_view text) {
  std::vector<Package> out;
  Stanza stanza;
  for (const std::string_view line : split_lines(text)) {
    if (trim(line).empty()) {
      flush(stanza, out);
    } else if (line.front() == 'P' || line.front() == 'V' || line.front() == 'A' || line.front() == 'S') {
      // Only these fields matter; continuation lines start with a blank.
      const std::array<std::pair<std::string_view, std::string*>, 4> fields{{
          {"Package", &stanza.package.name},
          {"Version", &stanza.package.version},
          {"Architecture", &stanza.package.arch},
          {"Status", &stanza.status},
      }};
      for (const auto& [field, value] : fields) {
        if (field_value(line, field, *value)) {
          break;
        }
      }
    }
  }
  flush(stanza, out);
  return out;
}

std::vector<Package> parse_apk_installed(std::string_view text) {
  std::vector<Package> out;
  Package package;
  const auto done = [&] {
    if (!package.name.empty()) {
      out.push_back(std::move(package));
    }
    package = {};
  };
  for (const std::string_view line : split_lines(text)) {
    if (trim(line).empty()) {
      done();
    } else if (line.starts_with("P:")) {
      package.name = trim(line.substr(2));
    } else if (line.starts_with("V:")) {
      package.version = trim(line.substr(2));
    } else if (line.starts_with("A:")) {
      package.arch = trim(line.substr(2));
    }
  }
  done();
  return out;
}

const Package* PackageDb::find(std::string_view name) const {
  const auto it = by_key.find(name);
  return it == by_key.end() ? nullptr : &it->second;
}

namespace {

PackageDb index(std::string manager, std::string source, std::vector<Package> packages,
                std::string_view self) {
  PackageDb db{.manager = std::move(manager), .source = std::move(source), .by_key = {}};
  std::string native;
  for (const Package& package : packages) {
    if (package.name == self) {
      native = package.arch;
    }
  }
  for (Package& package : packages) {
    const bool foreign = !native.empty() && package.arch != native && package.arch != "all" &&
                         package.arch != "noarch" && !package.arch.empty();
    std::string key = foreign ? package.name + ":" + package.arch : package.name;
    db.by_key.insert_or_assign(std::move(key), std::move(package));
  }
  return db;
}

}  // namespace

PackageDb read_packages(const Root& root) {
  if (auto text = read_whole(root, "/var/lib/dpkg/status")) {
    return index("dpkg", "/var/lib/dpkg/status", parse_dpkg_status(*text), "dpkg");
  }
  if (auto text = read_whole(root, "/lib/apk/db/installed")) {
    return index("apk", "/lib/apk/db/installed", parse_apk_installed(*text), "apk-tools");
  }
  return {};
}

void add_package_facts(const PackageDb& db, Facts& facts) {
  // With no database the source names both files looked for.
  const std::string source = db.source.empty() ? "/var/lib/dpkg/status, /lib/apk/db/installed" : db.source;
  add(facts, "packages.manager", db.manager, source);
  add(facts, "packages.count", db.by_key.size(), source);
  for (const auto& [key, package] : db.by_key) {
    add(facts, "package." + key, {{"version", package.version}, {"arch", package.arch}}, db.source);
  }
}

}  // namespace strata::probe::sys
