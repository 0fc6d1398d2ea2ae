// Importing images into the store from the formats tools write:
//   - an OCI image layout directory (umoci, skopeo oci:DIR, buildah),
//   - an OCI archive, a tar of such a directory (skopeo oci-archive:F.tar),
//   - a docker-archive (docker save, podman save, skopeo docker-archive:F.tar),
//     converted into an OCI manifest with its config and layers as they are.
// Every blob is verified against its digest (and size) while it is copied.
// Blobs go to a staging area first and into the store only once the whole
// image is there and checked, so a failed import adds no blob and no tag.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"

namespace strata::image {

struct ImportOptions {
  std::string tag;                   // --tag; empty: the archive's own name, else the digest
  std::string ref;                   // --ref: which image of several in the input
  std::optional<Platform> platform;  // --platform; unset: this machine's
};

struct Imported {
  std::string format;  // "oci-layout", "oci-archive", "docker-archive"
  std::string tag;
  Digest manifest;
  Platform platform;
  std::size_t layers = 0;
};

Result<Imported> import_image(const Store& store, const std::string& path, const ImportOptions& options);

// Where an image's files come from; names are paths inside the layout or archive.
class ImageSource {
 public:
  ImageSource() = default;
  ImageSource(const ImageSource&) = delete;
  ImageSource& operator=(const ImageSource&) = delete;
  ImageSource(ImageSource&&) = delete;
  ImageSource& operator=(ImageSource&&) = delete;
  virtual ~ImageSource() = default;

  [[nodiscard]] virtual bool has(const std::string& name) const = 0;
  virtual Result<std::string> read_small(const std::string& name) = 0;
  // Copies a file into `staging`, verifying it when a digest or size is given.
  virtual Result<StagedBlob> stage(const std::string& name, const std::optional<Digest>& expected,
                                   std::optional<std::uint64_t> size) = 0;
  // "PATH:NAME", for errors.
  [[nodiscard]] virtual std::string where(const std::string& name) const = 0;
};

// A directory, read file by file on demand.
Result<std::unique_ptr<ImageSource>> open_dir_source(const std::string& path, Staging& staging);
// A tar (optionally gzip- or zstd-compressed), read once: every regular file is staged and hashed.
Result<std::unique_ptr<ImageSource>> open_tar_source(const std::string& path, Staging& staging);

}  // namespace strata::image
