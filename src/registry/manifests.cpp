#include "registry/manifests.hpp"

namespace strata::registry {

namespace {

constexpr std::size_t kManifestLimit = 4U << 20U;
constexpr int kMaxIndexDepth = 4;
constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1";

const std::vector<std::string>& accept_headers() {
  static const std::vector<std::string> kAccept{
      "Accept: " + std::string(image::media::kOciIndex) + ", " + std::string(image::media::kOciManifest) +
      ", " + std::string(image::media::kDockerList) + ", " + std::string(image::media::kDockerManifest)};
  return kAccept;
}

struct Fetched {
  std::string text;
  std::string media_type;
  image::Digest digest;
};

Result<Fetched> fetch(Client& client, const std::string& ref, const std::optional<image::Digest>& expected,
                      std::optional<std::uint64_t> size) {
  const std::string where = client.reference().domain + "/" + client.reference().repository +
                            (ref.starts_with("sha256:") ? "@" : ":") + ref;
  auto response = client.get_small("manifests/" + ref, kManifestLimit, accept_headers());
  if (!response) {
    return std::unexpected(response.error());
  }
  if (!response->ok()) {
    return fail("fetch manifest", where, describe_status(*response));
  }
  if (!response->cut.empty()) {
    return fail("fetch manifest", where, "the connection broke: " + response->cut);
  }
  if (size && response->body.size() != *size) {
    return fail(
        "verify manifest", where,
        "size is " + std::to_string(response->body.size()) + " bytes, expected " + std::to_string(*size));
  }
  auto digest = verify_document(response->body, expected, response->header("docker-content-digest"), where);
  if (!digest) {
    return std::unexpected(digest.error());
  }
  std::string type = response->header("content-type");
  type = type.substr(0, type.find(';'));
  if (type.starts_with(kDockerSchema1)) {
    return fail("fetch manifest", where, "a Docker schema 1 manifest (deprecated, unsupported)");
  }
  return Fetched{.text = std::move(response->body), .media_type = type, .digest = *digest};
}

}  // namespace

Result<image::Digest> verify_document(std::string_view text, const std::optional<image::Digest>& expected,
                                      const std::string& header_digest, const std::string& where) {
  image::Digest actual = image::sha256_of(text);
  if (expected && actual != *expected) {
    return fail("verify manifest", where,
                "content has digest " + actual.str() + ", expected " + expected->str());
  }
  // Only a sha256 header can be checked; another algorithm is left alone.
  auto header = image::Digest::parse(header_digest);
  if (!expected && header && actual != *header) {
    return fail("verify manifest", where,
                "content has digest " + actual.str() + ", the registry says " + header->str());
  }
  return actual;
}

Result<ManifestDoc> resolve_manifest(Client& client, const std::optional<image::Platform>& platform) {
  const Reference& ref = client.reference();
  auto doc = fetch(client, ref.manifest_ref(), ref.digest, std::nullopt);
  bool chosen = false;
  for (int depth = 0; doc; ++depth) {
    const std::string where = ref.domain + "/" + ref.repository + "@" + doc->digest.str();
    auto kind = image::classify(doc->text, where);
    if (!kind) {
      return std::unexpected(kind.error());
    }
    if (*kind == image::DocKind::manifest) {
      auto manifest = image::parse_manifest(doc->text, where);
      if (!manifest) {
        return std::unexpected(manifest.error());
      }
      return ManifestDoc{.text = std::move(doc->text),
                         .media_type = manifest->media_type.empty() ? doc->media_type : manifest->media_type,
                         .digest = doc->digest,
                         .manifest = std::move(*manifest),
                         .chosen_by_platform = chosen};
    }
    if (depth >= kMaxIndexDepth) {
      return fail("read image index", where, "indexes nested too deeply");
    }
    auto index = image::parse_index(doc->text, where);
    auto entry = index ? image::select_platform(*index, platform.value_or(image::host_platform()), where)
                       : std::unexpected(index.error());
    if (!entry) {
      return std::unexpected(entry.error());
    }
    chosen = true;
    doc = fetch(client, entry->digest.str(), entry->digest, entry->size);
  }
  return std::unexpected(doc.error());
}

}  // namespace strata::registry
