// Content digests as the OCI image spec writes them ("sha256:<64 hex>").
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace strata::image {

struct Digest {
  std::string algorithm = "sha256";
  std::string hex;  // lowercase

  // "sha256:ab12..."; fails on another algorithm or a malformed hex part.
  static Result<Digest> parse(std::string_view text);
  [[nodiscard]] std::string str() const { return algorithm + ":" + hex; }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
};

// The sha256 digest of `bytes` (base/sha256.hpp's Sha256 streams).
[[nodiscard]] Digest sha256_of(std::string_view bytes);

}  // namespace strata::image
