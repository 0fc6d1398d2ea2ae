// --format cyclonedx: the manifest as a CycloneDX 1.6 SBOM. The distribution
// is an operating-system component, the kernel and the machine are platform
// components, CPUs and accelerators are devices, and shared libraries and
// language packages are library components with package URLs. Every fact
// that has no CycloneDX field rides along as a property in strata's own
// namespace ("strata:kernel:landlock.abi"). The serial number is derived from
// the content, so the same machine gives the same document.
#pragma once

#include <nlohmann/json.hpp>

#include "probe/manifest.hpp"

namespace strata::probe {

[[nodiscard]] nlohmann::ordered_json to_cyclonedx(const Manifest& manifest);

}  // namespace strata::probe
