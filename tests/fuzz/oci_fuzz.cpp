// libFuzzer target for the OCI and Docker JSON documents strata imports from
// untrusted archives: index, manifest, config, docker manifest.json and the
// --platform text. The first byte picks the parser; none may crash, hang or
// leak, and a manifest that parses must serialize and parse back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/oci.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);  // NOLINT: bytes as text
  namespace oci = strata::image;
  switch (data[0] % 6) {
    case 0:
      if (auto index = oci::parse_index(text, "fuzz")) {
        (void)oci::select_platform(*index, oci::host_platform(), "fuzz");
      }
      break;
    case 1:
      if (auto manifest = oci::parse_manifest(text, "fuzz")) {
        if (!oci::parse_manifest(oci::manifest_json(*manifest), "again")) {
          __builtin_trap();
        }
      }
      break;
    case 2:
      (void)oci::parse_config(text, "fuzz");
      break;
    case 3:
      (void)oci::parse_docker_manifest(text, "fuzz");
      break;
    case 4:
      (void)oci::parse_platform(text);
      break;
    default:
      (void)oci::classify(text, "fuzz");
      break;
  }
  return 0;
}
