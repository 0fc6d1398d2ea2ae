// libFuzzer target for the formats strata probe reads from untrusted trees
// (an unpacked image): the binary ld.so.cache, dpkg's status and apk's
// installed database, os-release style assignments, and manifests given to
// strata diff. The first byte picks the parser; none may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probe/manifest.hpp"
#include "probe/sys_ld_cache.hpp"
#include "probe/sys_os_release.hpp"
#include "probe/sys_packages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT: bytes as text
  switch (data[0] % 5) {
    case 0:
      if (auto entries = strata::probe::sys::parse_ld_cache(text)) {
        for (const auto& entry : *entries) {
          (void)strata::probe::sys::ld_cache_arch(entry.flags);
        }
      }
      break;
    case 1:
      (void)strata::probe::sys::parse_dpkg_status(text);
      break;
    case 2:
      (void)strata::probe::sys::parse_apk_installed(text);
      break;
    case 3:
      (void)strata::probe::sys::parse_assignments(text);
      break;
    default:
      (void)strata::probe::manifest_from_json(text, "fuzz.json");
      break;
  }
  return 0;
}
