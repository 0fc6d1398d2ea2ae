// Fetching manifests: by tag or digest, verified, through indexes and
// manifest lists down to the one manifest for a platform.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/oci.hpp"
#include "registry/client.hpp"

namespace strata::registry {

struct ManifestDoc {
  std::string text;
  std::string media_type;
  image::Digest digest;
  image::Manifest manifest;
  // Set once an index picked the manifest: the index's label answered
  // --platform, so the config is not checked against it again.
  bool chosen_by_platform = false;
};

// The image manifest `client`'s reference names, for `platform` (this
// machine's when unset) if it names an index.
Result<ManifestDoc> resolve_manifest(Client& client, const std::optional<image::Platform>& platform);

// Whether the document's bytes are what was asked for: `expected` (a digest
// reference or a descriptor), else the registry's Docker-Content-Digest
// header when it sent one. Returns the bytes' digest.
Result<image::Digest> verify_document(std::string_view text, const std::optional<image::Digest>& expected,
                                      const std::string& header_digest, const std::string& where);

}  // namespace strata::registry
