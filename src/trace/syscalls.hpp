// The system calls strata trace knows something about: their names (from
// libseccomp, never a hand-written number table), the first kernel release
// that has each one where that matters for a workload's needs, the kernel
// feature it shows, and whether glibc falls back when it answers ENOSYS.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata::trace {

using KernelRelease = std::array<std::uint32_t, 3>;

struct SyscallFacts {
  std::string_view name;
  KernelRelease since{};       // the first release that has it
  std::string_view feature;    // "io_uring", "landlock"...; empty when it shows none
  bool libc_fallback = false;  // glibc copes with ENOSYS (so an older kernel still runs the program)
};

// The table (sorted by name), for tests and documentation.
[[nodiscard]] std::span<const SyscallFacts> syscall_table();

// The facts for `name`, or nullptr for a call that has been there since
// before glibc's minimum kernel (3.2) and shows no feature.
[[nodiscard]] const SyscallFacts* syscall_facts(std::string_view name);

// The name of syscall `nr` on the AUDIT_ARCH_* `arch` (libseccomp's
// tables); "syscall_NR" when libseccomp does not know it.
[[nodiscard]] std::string syscall_name(std::uint32_t arch, int nr);

// "5.13" (a trailing .0 dropped), "3.2.0" kept as analyze writes it elsewhere.
[[nodiscard]] std::string release_string(const KernelRelease& release);

// "5.13.0", "3.2", "6.1.0-18-amd64" -> {5,13,0}; nullopt when it does not start with a number.
[[nodiscard]] std::optional<KernelRelease> parse_release(std::string_view text);

}  // namespace strata::trace
