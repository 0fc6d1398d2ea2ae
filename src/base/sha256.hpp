// SHA-256 with GNU Nettle. Not OpenSSL's libcrypto: linked statically it adds
// ~5 MB and ~0.2 ms to every start of strata (its CPU-feature constructor and
// relocations), `strata run` included; Nettle adds ~50 KB and nothing
// measurable (bench: a static-pie `return 0` with each).
#pragma once

#include <nettle/sha2.h>

#include <string>
#include <string_view>

namespace strata {

// Feeds bytes as they stream by, then gives the digest.
class Sha256 {
 public:
  Sha256() { sha256_init(&ctx_); }
  void update(std::string_view bytes);
  // 64 lowercase hex digits. The object is reset for reuse.
  [[nodiscard]] std::string finish_hex();

 private:
  sha256_ctx ctx_{};
};

// The digest of `data` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace strata
