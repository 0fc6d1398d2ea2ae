// An image's layers unpacked in the store, once per diffID:
//
//   DIR/layers/sha256/<diffID hex>/            one layer's tree (see unpack.hpp)
//   DIR/layers/sha256/<hex>.partial.XXXXXX/    an unpack in progress, or left by a crash
//
// A layer directory appears only by rename(2) once complete, so its presence
// means it is whole. A run pins the layers it uses with a shared flock on
// each directory; prune removes only unpinned layers no tag reaches.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"
#include "image/unpack.hpp"

namespace strata::image {

struct UnpackedImage {
  Digest manifest;
  ImageConfig config;
  std::vector<std::string> layers;  // absolute directories, bottom layer first
  std::vector<UniqueFd> pins;       // shared flocks on the layer directories
  std::size_t unpacked_now = 0;     // layers this call had to unpack
};

// Called before each layer that needs unpacking: (index from 1, count, diffID).
using LayerProgress = std::function<void(std::size_t, std::size_t, const Digest&)>;

// The manifest `digest` names (an index: the entry for this machine's
// platform), its config, and every layer unpacked and pinned. Layers are
// verified against the blob digest and the config's diffID before unpacking.
Result<UnpackedImage> unpack_image(const Store& store, const Digest& digest, const UnpackLimits& limits,
                                   const LayerProgress& progress = {});

// The diffIDs the images reachable from the store's tags consist of.
std::set<Digest> live_diff_ids(const Store& store);

struct LayerPruneStats {
  std::size_t layers = 0;
  std::size_t busy = 0;  // unreferenced but pinned by a run: kept
};

// Removes unpacked layers whose diffID is not in `live` and that no run pins,
// and every leftover partial unpack. The store must be open exclusively.
Result<LayerPruneStats> prune_layers(const Store& store, const std::set<Digest>& live);

}  // namespace strata::image
