#include "base/sha256.hpp"

#include <array>
#include <cstdint>

namespace strata {

void Sha256::update(std::string_view bytes) {
  sha256_update(&ctx_, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));  // NOLINT: bytes
}

std::string Sha256::finish_hex() {
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
  sha256_digest(&ctx_, digest.size(), digest.data());
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const std::uint8_t byte : digest) {
    hex += kHex[byte >> 4U];
    hex += kHex[byte & 0x0fU];
  }
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish_hex();
}

}  // namespace strata
