// libFuzzer target for the seccomp profile loader: any bytes may come back as
// an error, none may crash, hang or leak. Built outside CMake, e.g.
//   tests/fuzz/run.sh (all targets), or by hand:
//   clang++-19 -std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/seccomp_profile_fuzz.cpp src/isolate/sandbox/seccomp.cpp \
//     src/isolate/sandbox/seccomp_profile.cpp src/base/error.cpp -lseccomp -o seccomp_profile_fuzz
//   ./seccomp_profile_fuzz -max_total_time=60 tests/data/seccomp
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "isolate/sandbox/seccomp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  auto program = strata::compile_seccomp_profile(text, "fuzz.json");
  if (program) {
    // A program that compiled must be one the kernel could take.
    if (program->instructions.empty() || program->instructions.size() > BPF_MAXINSNS) {
      __builtin_trap();
    }
  } else if (program.error().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
