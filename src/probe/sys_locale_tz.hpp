// Locale and time zone settings of a tree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::sys {

// The zone name in a /etc/localtime link target:
// "/usr/share/zoneinfo/Europe/Berlin" or "../usr/share/zoneinfo/Etc/UTC"
// -> "Europe/Berlin", "Etc/UTC"; nullopt when it does not point into zoneinfo.
[[nodiscard]] std::optional<std::string> zone_from_link(std::string_view target);

// "2024a" from the first line of tzdata.zi ("# version 2024a").
[[nodiscard]] std::optional<std::string> tzdata_version(std::string_view text);

// locale (LANG, LANGUAGE, LC_* from /etc/default/locale or /etc/locale.conf),
// locale.env (the process's LANG/LC_ALL, live only), locale.available.
void add_locale_facts(const Root& root, Facts& facts);

// timezone (the /etc/localtime link, which is what libc reads, else
// /etc/timezone) and tzdata.version.
void add_timezone_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::sys
