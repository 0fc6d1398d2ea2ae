// The OCI image format (index, manifest, config) and Docker's manifest.json
// of `docker save`. Parsers accept unknown fields (the specs allow them) and
// reject documents that lack a required one or carry one of the wrong type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace strata::image {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
}  // namespace media

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// os/architecture[/variant] with Go's names (GOOS, GOARCH), as OCI uses them.
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;

  [[nodiscard]] std::string str() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

// "linux/arm64", "linux/arm/v7"; fails naming the flag's value.
Result<Platform> parse_platform(std::string_view text);
// This machine's platform, from uname(2): x86_64 -> amd64, aarch64 -> arm64, ...
Platform host_platform();
// Whether an image for `have` runs where `want` is asked for: os and
// architecture equal; variant equal, or unset on either side, or arm64's
// implied v8.
bool platform_matches(const Platform& want, const Platform& have);

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;

  [[nodiscard]] std::string ref_name() const;
};

enum class DocKind { index, manifest };

struct Index {
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

// What strata needs from an image config (the rest stays in the blob).
struct ImageConfig {
  Platform platform;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
  std::string stop_signal;  // "SIGTERM", "15"; empty when unset
  std::vector<Digest> diff_ids;
};

// One image of a docker-archive's manifest.json.
struct DockerImage {
  std::string config;  // a path inside the archive
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;  // paths inside the archive
};

// `where` names the document in errors (a path, "index.json", a digest).
Result<DocKind> classify(std::string_view text, const std::string& where);
Result<Index> parse_index(std::string_view text, const std::string& where);
Result<Manifest> parse_manifest(std::string_view text, const std::string& where);
Result<ImageConfig> parse_config(std::string_view text, const std::string& where);
Result<std::vector<DockerImage>> parse_docker_manifest(std::string_view text, const std::string& where);

// The manifest descriptor of `index` for `want`: an exact variant match
// first, then any match; fails listing the platforms the index has.
Result<Descriptor> select_platform(const Index& index, const Platform& want, const std::string& where);

// An OCI image manifest document (what a docker-archive is converted into).
std::string manifest_json(const Manifest& manifest);

}  // namespace strata::image
