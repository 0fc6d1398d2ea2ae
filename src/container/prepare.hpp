// Everything a container run needs before its Plan can be built: the image
// found in the store (builtin:NAME imported on first use), its layers
// unpacked and pinned, the run's writable layer, and the process the image's
// config and the flags make together.
#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "container/run_dir.hpp"
#include "image/layers.hpp"
#include "isolate/plan.hpp"
#include "spec/spec.hpp"

namespace strata::container {

struct PreparedContainer {
  ContainerRoot root;
  image::UnpackedImage image;     // holds the layers' pins for the run
  std::optional<RunDir> run_dir;  // removed with this object unless --keep
};

// `spec` has passed validate() and has an image. `host` gives the caller's
// ids and terminal.
Result<PreparedContainer> prepare_container(const Spec& spec, const HostFacts& host);

}  // namespace strata::container
