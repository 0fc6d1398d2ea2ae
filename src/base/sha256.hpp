// SHA-256 with GNU Nettle. Not OpenSSL's libcrypto: linked statically it adds
// ~5 MB and ~0.2 ms to every start of strata (its CPU-feature constructor and
// relocations), `strata run` included; Nettle adds ~50 KB and nothing
// measurable (bench: a static-pie `return 0` with each).
#pragma once

#include <string>
#include <string_view>

namespace strata {

// The digest as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace strata
