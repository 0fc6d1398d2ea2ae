// Unpacking an image's layers into the store once, pinning them for a run,
// and removing the ones nothing needs any more.
#include "image/layers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.hpp"

namespace strata::image {

namespace {

constexpr std::string_view kPartial = ".partial.";

Result<Manifest> manifest_for_host(const Store& store, const Digest& digest) {
  auto text = store.read_blob(digest);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto kind = classify(*text, digest.str());
  if (!kind) {
    return std::unexpected(kind.error());
  }
  if (*kind == DocKind::manifest) {
    return parse_manifest(*text, digest.str());
  }
  auto index = parse_index(*text, digest.str());
  if (!index) {
    return std::unexpected(index.error());
  }
  auto entry = select_platform(*index, host_platform(), digest.str());
  if (!entry) {
    return std::unexpected(entry.error());
  }
  auto inner = store.read_blob(entry->digest);
  return inner ? parse_manifest(*inner, entry->digest.str()) : std::unexpected(inner.error());
}

Result<> make_layers_dir(const Store& store) {
  const std::string parent = store.dir() + "/layers";
  for (const std::string& dir : {parent, store.layers_dir()}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail_errno("create layer directory", dir);
    }
  }
  return {};
}

// A shared flock on the layer directory: prune skips what a run holds.
Result<UniqueFd> pin(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open unpacked layer", dir);
  }
  if (::flock(fd.get(), LOCK_SH) != 0) {
    return fail_errno("lock unpacked layer", dir);
  }
  return fd;
}

// Unpacks one layer unless the store has it; a concurrent unpack of the same
// layer is fine (unpack_layer keeps whichever finished first).
Result<bool> ensure_layer(const Store& store, const Descriptor& layer, const Digest& diff_id,
                          const std::string& dir, const UnpackLimits& limits) {
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return fail("open unpacked layer", dir, "is not a directory; the store is damaged");
    }
    return false;
  }
  if (!store.has_blob(layer.digest)) {
    return fail("unpack layer", layer.digest.str(), "the blob is missing from the image store");
  }
  auto stats = unpack_layer(store.blob_path(layer.digest), layer.digest, diff_id, dir, limits,
                            UnpackOptions{.real_root = running_as_real_root()});
  if (!stats) {
    return std::unexpected(stats.error());
  }
  if (stats->skipped_devices > 0) {
    log::warn("layer {}: {} device node(s) skipped (only real root may create them)", diff_id.str(),
              stats->skipped_devices);
  }
  return true;
}

// The diffIDs of the manifest `digest`, or of every manifest of the index
// `digest`. Damaged documents are skipped: prune must still run.
void collect_diff_ids(const Store& store, const Digest& digest, std::set<Digest>& out, int depth) {
  constexpr int kMaxDepth = 8;
  auto text =
      depth <= kMaxDepth ? store.read_blob(digest) : fail("read image", digest.str(), "nested too deeply");
  auto kind = text ? classify(*text, digest.str()) : std::unexpected(text.error());
  if (!kind) {
    return;
  }
  if (*kind == DocKind::index) {
    if (auto index = parse_index(*text, digest.str())) {
      for (const Descriptor& entry : index->manifests) {
        collect_diff_ids(store, entry.digest, out, depth + 1);
      }
    }
    return;
  }
  auto manifest = parse_manifest(*text, digest.str());
  auto config_text = manifest ? store.read_blob(manifest->config.digest) : std::unexpected(manifest.error());
  if (auto config = config_text ? parse_config(*config_text, manifest->config.digest.str())
                                : std::unexpected(config_text.error())) {
    out.insert(config->diff_ids.begin(), config->diff_ids.end());
  }
}

}  // namespace

Result<UnpackedImage> unpack_image(const Store& store, const Digest& digest, const UnpackLimits& limits,
                                   const LayerProgress& progress) {
  auto manifest = manifest_for_host(store, digest);
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  auto config_text = store.read_blob(manifest->config.digest);
  auto config = config_text ? parse_config(*config_text, manifest->config.digest.str())
                            : std::unexpected(config_text.error());
  if (!config) {
    return std::unexpected(config.error());
  }
  if (config->diff_ids.size() != manifest->layers.size()) {
    return fail("read image", digest.str(),
                fmt::format("the manifest has {} layers but the config {} diffIDs", manifest->layers.size(),
                            config->diff_ids.size()));
  }
  if (auto ok = make_layers_dir(store); !ok) {
    return std::unexpected(ok.error());
  }
  UnpackedImage image{.manifest = digest, .config = std::move(*config)};
  const std::size_t count = manifest->layers.size();
  for (std::size_t i = 0; i < count; ++i) {
    const Digest& diff_id = image.config.diff_ids[i];
    const std::string dir = store.layers_dir() + "/" + diff_id.hex;
    if (progress && ::access(dir.c_str(), F_OK) != 0) {
      progress(i + 1, count, diff_id);
    }
    auto made = ensure_layer(store, manifest->layers[i], diff_id, dir, limits);
    if (!made) {
      return std::unexpected(made.error());
    }
    image.unpacked_now += *made ? 1 : 0;
    auto pinned = pin(dir);
    if (!pinned) {
      return std::unexpected(pinned.error());
    }
    image.layers.push_back(dir);
    image.pins.push_back(std::move(*pinned));
  }
  return image;
}

std::set<Digest> live_diff_ids(const Store& store) {
  std::set<Digest> live;
  auto table = store.refs();
  if (table) {
    for (const auto& [name, root] : *table) {
      collect_diff_ids(store, root, live, 0);
    }
  }
  return live;
}

Result<LayerPruneStats> prune_layers(const Store& store, const std::set<Digest>& live) {
  LayerPruneStats stats;
  const UniqueFd parent(::open(store.layers_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent && errno == ENOENT) {
    return stats;
  }
  if (!parent) {
    return fail_errno("open layer directory", store.layers_dir());
  }
  std::vector<std::string> doomed;
  if (DIR* dir = ::fdopendir(::dup(parent.get())); dir != nullptr) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      const bool partial = name.find(kPartial) != std::string::npos;
      const auto digest = Digest::parse("sha256:" + name);
      if (partial || !digest || !live.contains(*digest)) {
        doomed.push_back(name);
      }
    }
    ::closedir(dir);
  }
  for (const std::string& name : doomed) {
    // Under the store's exclusive lock no unpack is in progress, so partials
    // are a crash's leftovers; a whole layer may still be pinned by a run.
    const UniqueFd fd(::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      ++stats.busy;
      continue;
    }
    if (auto removed = remove_tree_at(parent.get(), name); !removed) {
      return fail("remove unpacked layer", store.layers_dir() + "/" + name, removed.error().message());
    }
    ++stats.layers;
  }
  return stats;
}

}  // namespace strata::image
