// Hand-made OCI image layouts for tests that need layers no tool would
// write (hostile ones): tars from tests/unit/unpack_support.hpp, a config
// with the right diffIDs, a manifest and an index naming it.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../unit/unpack_support.hpp"
#include "image/oci.hpp"

namespace strata::test {

using image::test_support::TarEntry;

// Writes the layout into `dir` (created) with one image tagged `ref`, whose
// layers are `layers` (bottom first, uncompressed tars) and whose config
// section is `config` (e.g. {"Cmd": ["sh"]}).
inline void write_oci_layout(const std::string& dir, const std::string& ref,
                             const std::vector<std::vector<TarEntry>>& layers,
                             const nlohmann::json& config = nlohmann::json::object()) {
  namespace fs = std::filesystem;
  fs::create_directories(dir + "/blobs/sha256");
  std::ofstream(dir + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  const auto put = [&dir](const std::string& bytes, std::string_view media_type) {
    const image::Digest digest = image::sha256_of(bytes);
    std::ofstream(dir + "/blobs/sha256/" + digest.hex, std::ios::binary) << bytes;
    return image::Descriptor{.media_type = std::string(media_type), .digest = digest, .size = bytes.size()};
  };
  image::Manifest manifest{.media_type = std::string(image::media::kOciManifest)};
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& entries : layers) {
    const std::string tar = image::test_support::make_tar(entries);
    manifest.layers.push_back(put(tar, image::media::kOciLayer));
    diff_ids.push_back(manifest.layers.back().digest.str());
  }
  const nlohmann::json doc = {{"architecture", image::host_platform().architecture},
                              {"os", "linux"},
                              {"config", config},
                              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  manifest.config = put(doc.dump(), image::media::kOciConfig);
  const image::Descriptor top = put(image::manifest_json(manifest), image::media::kOciManifest);
  const nlohmann::json index = {{"schemaVersion", 2},
                                {"manifests",
                                 {{{"mediaType", top.media_type},
                                   {"digest", top.digest.str()},
                                   {"size", top.size},
                                   {"annotations", {{std::string(image::kRefNameAnnotation), ref}}}}}}};
  std::ofstream(dir + "/index.json") << index.dump();
}

// Directory and symlink entries, for short layer listings.
inline TarEntry dir_entry(const std::string& path, unsigned mode = 0755) {
  return TarEntry{.path = path, .type = AE_IFDIR, .mode = mode};
}
inline TarEntry symlink_entry(const std::string& path, const std::string& target) {
  return TarEntry{.path = path, .type = AE_IFLNK, .mode = 0777, .link = target};
}

}  // namespace strata::test
