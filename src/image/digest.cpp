#include "image/digest.hpp"

#include "base/sha256.hpp"

namespace strata::image {

Result<Digest> Digest::parse(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  constexpr std::size_t kHexSize = 64;
  if (!text.starts_with(kPrefix)) {
    return fail("parse digest", std::string(text),
                "only sha256 digests are supported (\"sha256:<64 hex digits>\")");
  }
  const std::string_view hex = text.substr(kPrefix.size());
  const bool lower_hex =
      hex.size() == kHexSize && hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  if (!lower_hex) {
    return fail("parse digest", std::string(text), "the sha256 part must be 64 lowercase hex digits");
  }
  return Digest{.algorithm = "sha256", .hex = std::string(hex)};
}

Digest sha256_of(std::string_view bytes) {
  return Digest{.algorithm = "sha256", .hex = sha256_hex(bytes)};
}

}  // namespace strata::image
