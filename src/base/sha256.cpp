#include "base/sha256.hpp"

#include <nettle/sha2.h>

#include <array>

namespace strata {

std::string sha256_hex(std::string_view data) {
  sha256_ctx ctx{};
  sha256_init(&ctx);
  sha256_update(&ctx, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));  // NOLINT: bytes
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
  sha256_digest(&ctx, digest.size(), digest.data());
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const std::uint8_t byte : digest) {
    hex += kHex[byte >> 4U];
    hex += kHex[byte & 0x0fU];
  }
  return hex;
}

}  // namespace strata
