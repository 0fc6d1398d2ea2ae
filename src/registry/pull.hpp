// `strata image pull`: an image from a registry into the store, with the
// discipline of `strata image import` (import.hpp): every blob verified
// against its digest and size while it downloads, and nothing committed or
// tagged until the whole image is there. The manifest is stored as the
// registry serves it (OCI or Docker schema 2, both of which the store reads),
// so its digest is the registry's; an index or manifest list is resolved to
// one platform's manifest, which is what gets tagged, as import does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"
#include "registry/auth.hpp"
#include "registry/reference.hpp"

namespace strata::registry {

struct PullOptions {
  std::string tag;                          // --tag; empty: the normalised reference
  std::optional<image::Platform> platform;  // --platform; unset: this machine's
  bool insecure = false;                    // plain HTTP to a loopback registry
  std::optional<Credentials> credentials;
  bool progress = false;  // draw progress on stderr
};

struct Pulled {
  std::string reference;  // normalised
  std::string tag;
  image::Digest manifest;
  std::string media_type;
  image::Platform platform;
  std::size_t layers = 0;
  std::uint64_t downloaded = 0;  // bytes received for blobs
  std::size_t reused = 0;        // blobs the store had already
};

Result<Pulled> pull_image(const image::Store& store, const Reference& ref, const PullOptions& options);

}  // namespace strata::registry
