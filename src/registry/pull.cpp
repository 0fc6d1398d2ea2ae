#include "registry/pull.hpp"

#include <vector>

#include "base/files.hpp"
#include "registry/client.hpp"
#include "registry/download.hpp"
#include "registry/manifests.hpp"

namespace strata::registry {

namespace {

constexpr std::size_t kConfigLimit = 4U << 20U;

// What a pull has gathered before anything is committed.
struct Pending {
  ManifestDoc manifest;
  image::ImageConfig config;
  std::vector<Downloaded> blobs;  // config and layers, in commit order
  std::uint64_t received = 0;
  std::size_t reused = 0;
};

Result<> fetch_blob(Client& client, const image::Store& store, const image::Descriptor& desc,
                    Progress& progress, Pending& out) {
  for (const Downloaded& d : out.blobs) {
    if (d.blob.digest == desc.digest) {
      return {};  // a layer listed twice: its partial is ours already (and locked)
    }
  }
  auto got = download_blob(client, store, desc, progress, out.received);
  if (!got) {
    return std::unexpected(got.error());
  }
  if (*got) {
    out.blobs.push_back(std::move(**got));
  } else {
    ++out.reused;
  }
  return {};
}

Result<> fetch_config(Client& client, const image::Store& store, const PullOptions& options,
                      Progress& progress, Pending& out) {
  const image::Descriptor& desc = out.manifest.manifest.config;
  const std::size_t before = out.blobs.size();
  if (auto ok = fetch_blob(client, store, desc, progress, out); !ok) {
    return ok;
  }
  auto text = out.blobs.size() > before
                  ? read_small_file(out.blobs.back().blob.path, kConfigLimit, "read config")
                  : store.read_blob(desc.digest, kConfigLimit);
  auto config = text ? image::parse_config(*text, desc.digest.str()) : std::unexpected(text.error());
  if (!config) {
    return std::unexpected(config.error());
  }
  if (!out.manifest.chosen_by_platform && options.platform &&
      !image::platform_matches(*options.platform, config->platform)) {
    return fail("select platform", client.reference().str(),
                "the image is for " + config->platform.str() + ", not " + options.platform->str());
  }
  out.config = std::move(*config);
  return {};
}

// Into the store: blobs first, the manifest last, then the tag.
Result<> commit(const image::Store& store, Pending& pending, const std::string& tag) {
  auto staging = store.begin();
  if (!staging) {
    return std::unexpected(staging.error());
  }
  std::string_view bytes = pending.manifest.text;
  auto manifest = staging->write(
      [&bytes](std::span<char> buf) -> Result<std::size_t> {
        const std::size_t n = std::min(buf.size(), bytes.size());
        bytes.copy(buf.data(), n);
        bytes.remove_prefix(n);
        return n;
      },
      pending.manifest.digest.str(), pending.manifest.digest);
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  for (Downloaded& d : pending.blobs) {
    if (auto ok = staging->commit(d.blob); !ok) {
      return ok;
    }
    d.partial.discard();  // only if the store had the blob already and it is still there
  }
  if (auto ok = staging->commit(*manifest); !ok) {
    return ok;
  }
  return store.tag(tag, pending.manifest.digest);
}

}  // namespace

Result<Pulled> pull_image(const image::Store& store, const Reference& ref, const PullOptions& options) {
  const std::string tag = options.tag.empty() ? ref.str() : options.tag;
  if (auto ok = image::check_tag_name(tag); !ok) {
    return std::unexpected(ok.error());
  }
  auto client =
      Client::create(ref, ClientOptions{.insecure = options.insecure, .credentials = options.credentials});
  if (!client) {
    return std::unexpected(client.error());
  }
  Pending pending;
  auto manifest = resolve_manifest(*client, options.platform);
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  pending.manifest = std::move(*manifest);
  Progress progress(options.progress);
  if (auto ok = fetch_config(*client, store, options, progress, pending); !ok) {
    return std::unexpected(ok.error());
  }
  for (const image::Descriptor& layer : pending.manifest.manifest.layers) {
    if (auto ok = fetch_blob(*client, store, layer, progress, pending); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = commit(store, pending, tag); !ok) {
    return std::unexpected(ok.error());
  }
  return Pulled{.reference = ref.str(),
                .tag = tag,
                .manifest = pending.manifest.digest,
                .media_type = pending.manifest.media_type,
                .platform = pending.config.platform,
                .layers = pending.manifest.manifest.layers.size(),
                .downloaded = pending.received,
                .reused = pending.reused};
}

}  // namespace strata::registry
