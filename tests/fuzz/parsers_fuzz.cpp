// libFuzzer target for the small parsers a user reaches from the command line
// (sizes, durations, numbers, signals, capabilities, rlimits, binds, tmpfs,
// env, destinations): any bytes may be refused, none may crash, and what is
// accepted must satisfy each parser's contract.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/parse.hpp"
#include "spec/spec.hpp"

namespace {

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT: bytes as text
  if (auto bytes = strata::parse_size(text)) {
    check(*bytes > 0);
  }
  if (auto duration = strata::parse_duration(text)) {
    check(duration->count() >= 1);
  }
  if (auto number = strata::parse_uint(text, 3, 1000)) {
    check(*number >= 3 && *number <= 1000);
  }
  (void)strata::parse_signal(text);
  (void)strata::parse_capabilities(text);
  if (auto limit = strata::parse_rlimit(text)) {
    check(limit->soft <= limit->hard);
  }
  if (auto dest = strata::normalize_destination(text)) {
    check(dest->starts_with('/') && dest->find("/../") == std::string::npos && !dest->ends_with("/.."));
  }
  if (auto bind = strata::parse_bind(text, strata::MountKind::bind)) {
    check(bind->destination != "/" && bind->destination.starts_with('/'));
  }
  (void)strata::parse_tmpfs(text);
  (void)strata::parse_env(text);
  (void)strata::parse_cpus(text);
  return 0;
}
