#include "image/import.hpp"

#include <sys/stat.h>

#include <set>

#include "base/files.hpp"

namespace strata::image {

namespace {

constexpr std::size_t kSmallLimit = 4U << 20U;
constexpr int kMaxIndexDepth = 4;

std::string blob_name(const Digest& digest) {
  return "blobs/sha256/" + digest.hex;
}

// What an import has gathered before anything is committed.
struct Pending {
  std::vector<StagedBlob> blobs;  // in commit order: manifest last
  Digest manifest;
  Platform platform;
  std::size_t layers = 0;
  std::string name;  // the archive's own name for the image
  // Set once an index picked the manifest by platform: the index's label is
  // what --platform asked about, so the config is not checked against it again.
  bool chosen_by_platform = false;
};

Result<std::string> read_staged(const StagedBlob& blob, const std::string& what) {
  return read_small_file(blob.path, kSmallLimit, "read " + what);
}

Result<> check_platform(const ImageConfig& config, const ImportOptions& options, const std::string& where) {
  if (options.platform && !platform_matches(*options.platform, config.platform)) {
    return fail("select platform", where,
                "the image is for " + config.platform.str() + ", not " + options.platform->str());
  }
  return {};
}

// Stages config and layers of an OCI manifest, then the manifest itself.
Result<> stage_manifest(ImageSource& source, const StagedBlob& manifest_blob, const Manifest& manifest,
                        const ImportOptions& options, Pending& out) {
  const std::string where = source.where(blob_name(manifest.config.digest));
  auto config = source.stage(blob_name(manifest.config.digest), manifest.config.digest, manifest.config.size);
  auto text = config ? read_staged(*config, where) : std::unexpected(config.error());
  auto parsed = text ? parse_config(*text, where) : std::unexpected(text.error());
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  if (auto ok = out.chosen_by_platform ? Result<>() : check_platform(*parsed, options, where); !ok) {
    return ok;
  }
  out.blobs.push_back(*config);
  for (const Descriptor& layer : manifest.layers) {
    auto blob = source.stage(blob_name(layer.digest), layer.digest, layer.size);
    if (!blob) {
      return std::unexpected(blob.error());
    }
    out.blobs.push_back(*blob);
  }
  out.blobs.push_back(manifest_blob);
  out.manifest = manifest_blob.digest;
  out.platform = parsed->platform;
  out.layers = manifest.layers.size();
  return {};
}

// Follows a descriptor through nested indexes down to one manifest.
Result<> stage_descriptor(ImageSource& source, const Descriptor& desc, const ImportOptions& options,
                          Pending& out, int depth) {
  const std::string where = source.where(blob_name(desc.digest));
  if (depth > kMaxIndexDepth) {
    return fail("read image index", where, "indexes nested too deeply");
  }
  auto blob = source.stage(blob_name(desc.digest), desc.digest, desc.size);
  auto text = blob ? read_staged(*blob, where) : std::unexpected(blob.error());
  auto kind = text ? classify(*text, where) : std::unexpected(text.error());
  if (!kind) {
    return std::unexpected(kind.error());
  }
  if (*kind == DocKind::manifest) {
    auto manifest = parse_manifest(*text, where);
    return manifest ? stage_manifest(source, *blob, *manifest, options, out)
                    : std::unexpected(manifest.error());
  }
  auto index = parse_index(*text, where);
  auto chosen = index ? select_platform(*index, options.platform.value_or(host_platform()), where)
                      : std::unexpected(index.error());
  if (!chosen) {
    return std::unexpected(chosen.error());
  }
  out.chosen_by_platform = true;
  return stage_descriptor(source, *chosen, options, out, depth + 1);
}

// The entry of the layout's index.json to import: the one named by --ref,
// the only one, or the one for the platform among unnamed alternatives.
Result<Descriptor> choose_entry(const Index& index, const ImportOptions& options, const std::string& where) {
  Index candidates;
  std::set<std::string> names;
  for (const Descriptor& d : index.manifests) {
    if (options.ref.empty() || d.ref_name() == options.ref) {
      candidates.manifests.push_back(d);
      names.insert(d.ref_name());
    }
  }
  if (candidates.manifests.empty()) {
    return fail("choose image", where,
                options.ref.empty() ? "the index lists no image" : "no image named '" + options.ref + "'");
  }
  if (candidates.manifests.size() == 1) {
    return candidates.manifests.front();
  }
  if (names.size() > 1) {
    std::string list;
    for (const std::string& name : names) {
      list += (list.empty() ? "" : ", ") + name;
    }
    return fail("choose image", where, "holds several images (" + list + "); choose one with --ref");
  }
  return select_platform(candidates, options.platform.value_or(host_platform()), where);
}

Result<Pending> stage_oci(ImageSource& source, const ImportOptions& options) {
  if (!source.has("oci-layout")) {
    return fail("import", source.where("oci-layout"), "missing: not an OCI image layout");
  }
  auto text = source.read_small("index.json");
  auto index = text ? parse_index(*text, source.where("index.json")) : std::unexpected(text.error());
  auto entry =
      index ? choose_entry(*index, options, source.where("index.json")) : std::unexpected(index.error());
  if (!entry) {
    return std::unexpected(entry.error());
  }
  Pending out;
  out.name = entry->ref_name();
  if (entry->platform) {
    if (options.platform && !platform_matches(*options.platform, *entry->platform)) {
      return fail("select platform", source.where("index.json"),
                  "the image is for " + entry->platform->str() + ", not " + options.platform->str());
    }
    out.chosen_by_platform = true;
  }
  if (auto ok = stage_descriptor(source, *entry, options, out, 0); !ok) {
    return std::unexpected(ok.error());
  }
  return out;
}

Result<const DockerImage*> choose_docker(const std::vector<DockerImage>& images, const ImportOptions& options,
                                         const std::string& where) {
  std::string all;
  for (const DockerImage& image : images) {
    for (const std::string& tag : image.repo_tags) {
      if (tag == options.ref) {
        return &image;
      }
      all += (all.empty() ? "" : ", ") + tag;
    }
  }
  if (options.ref.empty() && images.size() == 1) {
    return images.data();
  }
  return fail("choose image", where,
              options.ref.empty() ? "holds several images (" + all + "); choose one with --ref"
                                  : "no image tagged '" + options.ref + "' (has: " + all + ")");
}

std::string layer_media_type(const StagedBlob& blob) {
  if (blob.head.starts_with("\x1f\x8b")) {
    return std::string(media::kOciLayerGzip);
  }
  if (blob.head.starts_with("\x28\xb5\x2f\xfd")) {
    return std::string(media::kOciLayerZstd);
  }
  return std::string(media::kOciLayer);
}

// A name that is itself a digest ("blobs/sha256/<hex>", "<hex>.json") must match.
std::optional<Digest> digest_in_name(const std::string& name) {
  std::string stem = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  if (stem.ends_with(".json")) {
    stem.resize(stem.size() - 5);
  }
  auto digest = Digest::parse("sha256:" + stem);
  const bool named = name.starts_with("blobs/sha256/") || name.ends_with(".json");
  return named && digest ? std::optional(*digest) : std::nullopt;
}

Result<> stage_docker_layers(ImageSource& source, const DockerImage& image, const ImageConfig& config,
                             Manifest& manifest, Pending& out) {
  if (config.diff_ids.size() != image.layers.size()) {
    return fail("import", source.where(image.config),
                std::to_string(config.diff_ids.size()) + " diff_ids for " +
                    std::to_string(image.layers.size()) + " layers in manifest.json");
  }
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    auto blob = source.stage(image.layers[i], digest_in_name(image.layers[i]), std::nullopt);
    if (!blob) {
      return std::unexpected(blob.error());
    }
    const std::string type = layer_media_type(*blob);
    // An uncompressed layer is its own diff: the config vouches for its digest.
    if (type == media::kOciLayer && blob->digest != config.diff_ids[i]) {
      return fail("verify blob", source.where(image.layers[i]),
                  "content has digest " + blob->digest.str() + ", the config's diff_id is " +
                      config.diff_ids[i].str());
    }
    manifest.layers.push_back(Descriptor{.media_type = type, .digest = blob->digest, .size = blob->size});
    out.blobs.push_back(*blob);
  }
  return {};
}

Result<Pending> stage_docker(ImageSource& source, Staging& staging, const ImportOptions& options) {
  auto text = source.read_small("manifest.json");
  auto images =
      text ? parse_docker_manifest(*text, source.where("manifest.json")) : std::unexpected(text.error());
  auto image = images ? choose_docker(*images, options, source.where("manifest.json"))
                      : std::unexpected(images.error());
  auto config_blob = image ? source.stage((*image)->config, digest_in_name((*image)->config), std::nullopt)
                           : std::unexpected(image.error());
  auto config_text = config_blob ? read_staged(*config_blob, source.where((*image)->config))
                                 : std::unexpected(config_blob.error());
  auto config = config_text ? parse_config(*config_text, source.where((*image)->config))
                            : std::unexpected(config_text.error());
  if (!config) {
    return std::unexpected(config.error());
  }
  Pending out;
  if (auto ok = check_platform(*config, options, source.where((*image)->config)); !ok) {
    return std::unexpected(ok.error());
  }
  out.blobs.push_back(*config_blob);
  Manifest manifest{.media_type = std::string(media::kOciManifest),
                    .config = Descriptor{.media_type = std::string(media::kOciConfig),
                                         .digest = config_blob->digest,
                                         .size = config_blob->size}};
  if (auto ok = stage_docker_layers(source, **image, *config, manifest, out); !ok) {
    return std::unexpected(ok.error());
  }
  const std::string doc = manifest_json(manifest);
  std::string_view doc_bytes = doc;
  auto manifest_blob = staging.write(
      [&doc_bytes](std::span<char> buf) -> Result<std::size_t> {
        const std::size_t n = std::min(buf.size(), doc_bytes.size());
        doc_bytes.copy(buf.data(), n);
        doc_bytes.remove_prefix(n);
        return n;
      },
      "converted manifest");
  if (!manifest_blob) {
    return std::unexpected(manifest_blob.error());
  }
  out.blobs.push_back(*manifest_blob);
  out.manifest = manifest_blob->digest;
  out.platform = config->platform;
  out.layers = manifest.layers.size();
  out.name = (*image)->repo_tags.empty() ? "" : (*image)->repo_tags.front();
  return out;
}

Result<std::unique_ptr<ImageSource>> open_source(const std::string& path, Staging& staging,
                                                 std::string& format) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno("import", path);
  }
  if (S_ISDIR(st.st_mode)) {
    format = "oci-layout";
    return open_dir_source(path, staging);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("import", path, "neither a directory (OCI layout) nor a file (OCI or docker archive)");
  }
  auto source = open_tar_source(path, staging);
  if (source) {
    format = (*source)->has("oci-layout") ? "oci-archive" : "docker-archive";
    if (format == "docker-archive" && !(*source)->has("manifest.json")) {
      return fail("import", path,
                  "the archive has neither oci-layout nor manifest.json: not an image archive");
    }
  }
  return source;
}

}  // namespace

Result<Imported> import_image(const Store& store, const std::string& path, const ImportOptions& options) {
  if (!options.tag.empty()) {
    if (auto ok = check_tag_name(options.tag); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto staging = store.begin();
  if (!staging) {
    return std::unexpected(staging.error());
  }
  std::string format;
  auto source = open_source(path, *staging, format);
  if (!source) {
    return std::unexpected(source.error());
  }
  auto pending =
      format == "docker-archive" ? stage_docker(**source, *staging, options) : stage_oci(**source, options);
  if (!pending) {
    return std::unexpected(pending.error());
  }
  const std::string tag = !options.tag.empty()                        ? options.tag
                          : check_tag_name(pending->name).has_value() ? pending->name
                                                                      : pending->manifest.str();
  for (const StagedBlob& blob : pending->blobs) {
    if (auto ok = staging->commit(blob); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = store.tag(tag, pending->manifest); !ok) {
    return std::unexpected(ok.error());
  }
  return Imported{.format = format,
                  .tag = tag,
                  .manifest = pending->manifest,
                  .platform = pending->platform,
                  .layers = pending->layers};
}

}  // namespace strata::image
