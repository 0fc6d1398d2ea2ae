// libFuzzer target for strata check's input: the strata.needs/v1 reader
// (hand-written or foreign documents are untrusted), and every rule and both
// renderers on whatever the reader accepts, against a fixed manifest. None
// may crash, hang or leak. (The manifest reader is probe_formats_fuzz's.)
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check/check.hpp"
#include "check/needs.hpp"

namespace {

strata::probe::Manifest target() {
  using strata::probe::Layer;
  strata::probe::Manifest m;
  auto& hw = m.layers[Layer::hardware];
  strata::probe::add(hw, "arch", "x86_64", "fuzz");
  strata::probe::add(hw, "cpu.isa_level", "x86-64-v2", "fuzz");
  strata::probe::add(hw, "cpu.flags", nlohmann::json{"sse2", "popcnt"}, "fuzz");
  auto& k = m.layers[Layer::kernel];
  strata::probe::add(k, "release", "5.10.0-28-amd64", "fuzz");
  strata::probe::add(k, "io_uring.enabled", false, "fuzz");
  strata::probe::add(k, "landlock.abi", 1, "fuzz");
  strata::probe::add(k, "namespaces.user", true, "fuzz");
  strata::probe::add(k, "sysctl.kernel.perf_event_paranoid", 3, "fuzz");
  auto& sys = m.layers[Layer::system];
  strata::probe::add(sys, "libc.flavour", "glibc", "fuzz");
  strata::probe::add(sys, "libc.max_symbol_version", "GLIBC_2.31", "fuzz");
  strata::probe::add(sys, "ld.path", "/lib64/ld-linux-x86-64.so.2", "fuzz");
  strata::probe::add(sys, "library.libstdc++.so.6", nlohmann::json{{"version", "6.0.28"}}, "fuzz");
  strata::probe::add(sys, "tool.python3", nlohmann::json{{"path", "/usr/bin/python3"}}, "fuzz");
  strata::probe::add(m.layers[Layer::language], "python.package.numpy", nlohmann::json{{"version", "1.24.2"}},
                     "fuzz");
  strata::probe::add(m.layers[Layer::language], "wasm.engines", nlohmann::json{"wasm-interp"}, "fuzz");
  strata::probe::add(
      m.layers[Layer::language], "wasm.engine.wasm-interp",
      nlohmann::json{{"path", "/usr/bin/wasm-interp"}, {"wasi_preview1", false}, {"reason", "fuzz"}}, "fuzz");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const strata::probe::Manifest kTarget = target();
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  auto needs = strata::check::needs_from_json(text, "fuzz.json");
  if (needs) {
    const strata::check::Report report = strata::check::check(*needs, kTarget);
    (void)strata::check::to_text(report, true);
    (void)strata::check::to_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
