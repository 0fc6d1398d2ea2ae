// Image references as `docker pull` reads them:
//   [HOST[:PORT]/]REPOSITORY[:TAG][@sha256:HEX]
// A first component without '.' or ':' (and not "localhost") is part of the
// repository on Docker Hub: "busybox" is docker.io/library/busybox:latest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace strata::registry {

inline constexpr std::string_view kDockerHub = "docker.io";
// Where Docker Hub's API answers (docker.io itself only redirects browsers).
inline constexpr std::string_view kDockerHubApi = "registry-1.docker.io";

struct Reference {
  std::string domain;      // "127.0.0.1:5000", "docker.io"
  std::string repository;  // "library/busybox"
  std::string tag;         // empty when only a digest is given
  std::optional<image::Digest> digest;

  // HOST[:PORT] of the registry's API.
  [[nodiscard]] std::string api_host() const;
  // The normalised reference: DOMAIN/REPOSITORY[:TAG][@DIGEST].
  [[nodiscard]] std::string str() const;
  // What to ask the manifests endpoint for: the digest if given, else the tag.
  [[nodiscard]] std::string manifest_ref() const;
};

// Fails naming the reference and what is wrong with it.
Result<Reference> parse_reference(std::string_view text);

// Whether HOST[:PORT] is this machine's loopback: "localhost", 127.0.0.0/8 or
// [::1]. Names are not resolved: plain HTTP is allowed only on what cannot
// leave the machine whatever DNS says.
bool is_loopback(std::string_view host_port);

}  // namespace strata::registry
