// Where strata keeps answers that are costly to find and valid until the
// machine or a binary changes (the VM accelerator, the WebAssembly engines'
// facts): a runtime directory, emptied at reboot.
#pragma once

#include <string>

namespace strata {

// /run/strata when strata may create files there (root), else
// $XDG_RUNTIME_DIR/strata, each created if missing; "" when neither is
// usable (then nothing is cached).
std::string runtime_cache_dir();

}  // namespace strata
