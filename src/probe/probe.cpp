#include "probe/probe.hpp"

#include "probe/layers.hpp"

namespace strata::probe {

Manifest probe(const Root& root, const ProbeOptions& options) {
  Manifest manifest;
  manifest.target = root.is_live() ? "live" : root.path();
  const auto wanted = [&](Layer layer) {
    if (!options.layers.empty()) {
      return options.layers.contains(layer);
    }
    // A tree on disk has no hardware or kernel of its own.
    return root.is_live() || layer == Layer::system || layer == Layer::language;
  };
  if (wanted(Layer::hardware)) {
    manifest.layers[Layer::hardware] = probe_hardware(root);
  }
  if (wanted(Layer::kernel)) {
    manifest.layers[Layer::kernel] = probe_kernel(root);
  }
  if (wanted(Layer::system)) {
    manifest.layers[Layer::system] = probe_system(root);
  }
  if (wanted(Layer::language)) {
    manifest.layers[Layer::language] = probe_language(root, options.cwd.empty() ? "/" : options.cwd);
  }
  return manifest;
}

}  // namespace strata::probe
