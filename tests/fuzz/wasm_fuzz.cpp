// libFuzzer target for the WebAssembly reader of `strata analyze` and its
// JSON: any bytes give a module or an Error, never a crash, a hang, a read
// out of bounds or a name the JSON writer refuses (invalid UTF-8).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analyze/wasm.hpp"
#include "analyze/wasm_render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto module = strata::analyze::read_wasm(bytes, "fuzz")) {
    (void)strata::analyze::wasm_json(*module).dump();
    (void)strata::analyze::memory_max_pages(*module);
  }
  return 0;
}
