// --redact: a manifest that can be pasted into a bug report. The machine's
// hostname, the user's name and home directory are replaced wherever they
// appear in a value or a source ("<hostname>", "<user>", "~").
#pragma once

#include <string>

#include "probe/manifest.hpp"

namespace strata::probe {

struct RedactTerms {
  std::string hostname;
  std::string user;
  std::string home;
};

// The running machine's and the calling user's.
[[nodiscard]] RedactTerms live_redact_terms();

// Replaces the terms in every string of the manifest, only as whole names, so
// "root" does not turn "rootfs" into "<user>fs" nor "/root" "/rootfs" into "~fs".
void redact(Manifest& manifest, const RedactTerms& terms);

[[nodiscard]] std::string redact_text(std::string text, const RedactTerms& terms);

}  // namespace strata::probe
