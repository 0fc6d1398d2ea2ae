// The system's CA certificate bundle, which decides what TLS a workload
// trusts: where it is, a digest to tell two trees apart, and its size.
#pragma once

#include <cstddef>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::sys {

// The number of "-----BEGIN CERTIFICATE-----" blocks.
[[nodiscard]] std::size_t count_certificates(std::string_view pem);

// ca_bundle.path, ca_bundle.sha256 (lower-case hex), ca_bundle.certificates
// for the first of the Debian/Alpine, Fedora and BSD-style bundle paths.
void add_ca_bundle_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::sys
