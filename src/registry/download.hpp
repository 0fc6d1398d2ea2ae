// Downloading one blob into its partial file (partial.hpp), resuming with
// Range requests when the connection breaks mid-blob.
#pragma once

#include <cstdint>
#include <optional>

#include "base/error.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"
#include "registry/client.hpp"
#include "registry/partial.hpp"
#include "registry/progress.hpp"

namespace strata::registry {

// Cuts tolerated per blob before the pull fails (a new process resumes).
inline constexpr int kMaxCuts = 5;

struct Downloaded {
  Partial partial;  // holds the lock until the blob is committed
  image::StagedBlob blob;
};

// nullopt when the store has the blob already. `received` counts the bytes.
Result<std::optional<Downloaded>> download_blob(Client& client, const image::Store& store,
                                                const image::Descriptor& desc, Progress& progress,
                                                std::uint64_t& received);

}  // namespace strata::registry
