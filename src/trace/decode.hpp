// From a seccomp stop to the TraceLog: what each traced call's arguments
// say (read at the entry stop, while the memory they point to is the
// caller's) and what its result adds (at the exit stop).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trace/record.hpp"
#include "trace/tracee.hpp"

namespace strata::trace {

struct SyscallEntry {
  std::string name;
  std::uint32_t arch = 0;
  std::array<std::uint64_t, 6> args{};
};

// What the entry learned, kept until the call returns.
struct Pending {
  enum class Kind { plain, open, exec, socket, address, library, features } kind = Kind::plain;
  std::string name;
  std::string path;  // open, exec: absolute; library: the mapped file
  Access access = Access::read;
  SocketKey socket;
  // features: {feature, evidence} pairs and the ABI (landlock).
  std::vector<std::pair<std::string, std::string>> features;
  std::optional<int> abi;
};

[[nodiscard]] Pending on_entry(const SyscallEntry& entry, const TraceeReader& reader);

// The call's result: `error` is the errno (0 when the call succeeded). The
// call itself is counted by the caller at its entry.
void on_exit(const Pending& pending, int error, TraceLog& log);

}  // namespace strata::trace
