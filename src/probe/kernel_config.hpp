// The kernel's build configuration, for the few options that decide what a
// sandbox can use: /proc/config.gz (CONFIG_IKCONFIG_PROC) when the kernel
// carries it, else the distribution's /boot/config-<release>.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::kern {

// The value of each option in `wanted`: "y", "m", a string or number as
// written, and "n" for one that is "not set" or not mentioned (Kconfig
// treats both alike).
[[nodiscard]] std::map<std::string, std::string> parse_kernel_config(
    std::string_view text, std::span<const std::string_view> wanted);

// True when this build can read /proc/config.gz (it was built with zlib).
[[nodiscard]] bool can_gunzip();

// The gzip-compressed `data` inflated, at most `limit` bytes; nullopt when it
// is not gzip, is corrupt or larger, or can_gunzip() is false.
[[nodiscard]] std::optional<std::string> gunzip(std::string_view data, std::size_t limit);

// config.<CONFIG_X> for the options that matter here. `release` names the
// /boot/config-<release> to fall back on (skipped when empty).
void add_config_facts(const Root& root, const std::string& release, Facts& facts);

}  // namespace strata::probe::kern
