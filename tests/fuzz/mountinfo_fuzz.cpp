// libFuzzer target for the /proc/self/mountinfo and /proc/self/cgroup parsers
// that decide where strata creates cgroups: refuse or parse, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "isolate/cgroup/cgroup.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  auto mounts = strata::parse_cgroup_mounts(text);
  auto own = strata::parse_proc_cgroup(text);
  if (mounts && own) {
    (void)strata::locate_own_cgroups(*mounts, *own);
  }
  return 0;
}
