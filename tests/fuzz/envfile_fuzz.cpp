// libFuzzer target for the strata.toml loader (src/envfile): any bytes may be
// refused, none may crash; a refusal is one line naming the file, and what is
// accepted keeps the Spec's contracts (absolute mount destinations that never
// climb, host paths made absolute against the file's directory).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "envfile/envfile.hpp"

namespace {

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  strata::Spec spec;
  auto loaded = strata::envfile::load_text(text, "/fuzz/strata.toml", spec);
  if (!loaded) {
    const std::string message = loaded.error().message();
    check(message.starts_with("/fuzz/strata.toml:"));
    return 0;
  }
  for (const strata::MountSpec& mount : spec.mounts) {
    check(mount.destination.starts_with('/') && mount.destination != "/");
    check(mount.destination.find("/../") == std::string::npos && !mount.destination.ends_with("/.."));
    check(mount.kind == strata::MountKind::tmpfs ? mount.source.empty() : mount.source.starts_with('/'));
  }
  for (const auto* path : {&spec.rootfs, &spec.lock_file, &spec.lang.python_requirements, &spec.vm.kernel}) {
    check(!path->has_value() || (*path)->starts_with('/'));
  }
  check(spec.argv.empty() || !spec.argv.front().empty());
  return 0;
}
