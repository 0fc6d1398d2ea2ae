// Shell-style "KEY=value" files: /etc/os-release (os-release(5)),
// /etc/default/locale, /etc/locale.conf.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::sys {

// The assignments in `text`, later ones winning. Values may be unquoted,
// "double quoted" (backslash escapes $ " \ ` only) or 'single quoted', or a
// mix; an unquoted backslash escapes the next character. Comments, blank
// lines and lines that are not assignments are skipped.
[[nodiscard]] std::map<std::string, std::string, std::less<>> parse_assignments(std::string_view text);

// os.id, os.version_id, os.pretty_name, os.id_like, os.version_codename from
// /etc/os-release (or /usr/lib/os-release), plus os.debian_version and
// os.alpine_release.
void add_os_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::sys
