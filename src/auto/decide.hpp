// --isolation auto's choice: from a lock and the check of its needs against
// the machine that will run it, the layer stack that makes every unmet layer
// identical to the recorded one, or the reason none can (docs/auto.md).
// Pure: the caller probes, checks, finds the kernel and the image.
#pragma once

#include <optional>
#include <string>

#include "auto/lock.hpp"
#include "check/check.hpp"
#include "spec/spec.hpp"

namespace strata::autolayers {

struct Decision {
  std::optional<std::string> refusal;  // why no stack runs it (the rest is then unset)
  Layers layers;                       // outermost first, as --isolation would give them
  bool use_image = false;              // the container is the lock's image
  bool use_kernel = false;             // the VM boots the lock's kernel
  bool use_language = false;           // the venv is built from the lock's language inputs
  std::string why;                     // the first unmet need of each layer it fixes, "; "-joined
};

// `live`: the report's target is the machine that runs ("this machine"),
// else a --target manifest ("the target").
[[nodiscard]] Decision decide(const Lock& lock, const check::Report& report, bool live);

// "vm+container+venv".
[[nodiscard]] std::string stack_text(const Layers& layers);

// "auto: container (glibc >= 2.38 needed, this machine has 2.36)", the line
// strata prints before it runs.
[[nodiscard]] std::string decision_line(const Decision& decision);

}  // namespace strata::autolayers
