// libFuzzer target for the WebAssembly reader strata runs on every module
// before an engine sees it (src/wasm/module.cpp over analyze's reader): no
// input may crash, hang or read out of bounds, and what it finds must pass or
// fail the import check.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wasm/module.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  if (auto info = strata::wasm::parse_module(bytes, "fuzz")) {
    (void)strata::wasm::check_imports(*info, "fuzz", "node");
  }
  return 0;
}
