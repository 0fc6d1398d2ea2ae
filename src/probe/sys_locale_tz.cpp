#include "probe/sys_locale_tz.hpp"

#include <array>
#include <cstdlib>

#include "probe/sys_os_release.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

bool is_locale_variable(std::string_view name) {
  return name == "LANG" || name == "LANGUAGE" || name.starts_with("LC_");
}

void add_configured_locale(const Root& root, Facts& facts) {
  // Debian's update-locale writes /etc/default/locale; systemd distributions
  // use /etc/locale.conf. Both are shell assignments.
  for (const std::string_view path : {"/etc/default/locale", "/etc/locale.conf"}) {
    const auto text = root.read(path, 65536);
    if (!text) {
      continue;
    }
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& [name, value] : parse_assignments(*text)) {
      if (is_locale_variable(name)) {
        settings[name] = value;
      }
    }
    if (!settings.empty()) {
      add(facts, "locale", std::move(settings), std::string(path));
    }
    return;
  }
}

void add_environment_locale(Facts& facts) {
  nlohmann::json env = nlohmann::json::object();
  for (const char* name : {"LANG", "LC_ALL"}) {
    if (const char* value = std::getenv(name); value != nullptr) {
      env[name] = value;
    }
  }
  if (!env.empty()) {
    add(facts, "locale.env", std::move(env), "environ");
  }
}

}  // namespace

std::optional<std::string> zone_from_link(std::string_view target) {
  constexpr std::string_view kZoneinfo = "zoneinfo/";
  const auto at = target.find(kZoneinfo);
  if (at == std::string_view::npos || at + kZoneinfo.size() >= target.size()) {
    return std::nullopt;
  }
  return std::string(target.substr(at + kZoneinfo.size()));
}

std::optional<std::string> tzdata_version(std::string_view text) {
  constexpr std::string_view kPrefix = "# version ";
  const std::string_view first = text.substr(0, text.find('\n'));
  if (!first.starts_with(kPrefix)) {
    return std::nullopt;
  }
  const std::string_view version = trim(first.substr(kPrefix.size()));
  return version.empty() ? std::nullopt : std::optional<std::string>(version);
}

void add_locale_facts(const Root& root, Facts& facts) {
  add_configured_locale(root, facts);
  if (root.is_live()) {
    add_environment_locale(facts);
  }
  // Compiled locales: the archive localedef writes, and one directory per
  // locale built with --no-archive (Debian's C.utf8 ships that way).
  if (auto names = root.list("/usr/lib/locale"); !names.empty()) {
    add(facts, "locale.available", std::move(names), "/usr/lib/locale");
  }
}

void add_timezone_facts(const Root& root, Facts& facts) {
  const auto link = root.read_link("/etc/localtime");
  if (auto zone = link ? zone_from_link(*link) : std::nullopt) {
    add(facts, "timezone", std::move(*zone), "/etc/localtime");
  } else if (const auto text = root.read("/etc/timezone", 4096)) {
    if (const auto name = trim(*text); !name.empty()) {
      add(facts, "timezone", std::string(name), "/etc/timezone");
    }
  }
  // The first line is all that is needed of a ~100 kB file.
  if (const auto text = root.read("/usr/share/zoneinfo/tzdata.zi", 256)) {
    if (auto version = tzdata_version(*text)) {
      add(facts, "tzdata.version", std::move(*version), "/usr/share/zoneinfo/tzdata.zi");
    }
  }
}

}  // namespace strata::probe::sys
