// `strata run --isolation auto`: the lock (--lock, default ./strata.lock)
// checked against this machine (or a --target manifest, with --dry-run), and
// the layer stack that makes every unmet layer the recorded one put into the
// Spec before it is validated (src/auto/, docs/auto.md).
#pragma once

#include "base/error.hpp"
#include "spec/spec.hpp"

namespace strata::cli {

inline constexpr const char* kDefaultLock = "strata.lock";

// Replaces `spec`'s "auto" with the stack decided, the recorded image,
// kernel and language inputs, and the lock's command when none was given;
// prints the one line "strata: auto: LAYERS (WHY)". Fails (exit 125) with
// the reason when no stack can run the workload here.
[[nodiscard]] Result<> resolve_auto(Spec& spec);

}  // namespace strata::cli
