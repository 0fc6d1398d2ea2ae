// The four layer probes. Each reads files through a Root (so it runs on test
// fixtures and on unpacked images alike) and adds syscall-based facts only
// when the root is the running machine.
#pragma once

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe {

[[nodiscard]] Facts probe_hardware(const Root& root);
[[nodiscard]] Facts probe_kernel(const Root& root);
[[nodiscard]] Facts probe_system(const Root& root);
// `cwd` is the directory whose venv/node_modules count as "the current
// project" (the working directory when live, "/" inside a --root).
[[nodiscard]] Facts probe_language(const Root& root, const std::string& cwd);

}  // namespace strata::probe
