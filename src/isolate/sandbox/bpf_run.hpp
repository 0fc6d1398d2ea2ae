// A classic-BPF interpreter for seccomp programs: it runs a compiled filter
// on a seccomp_data in user space, as the kernel's seccomp_run_filters would,
// so strata can check what libseccomp generated against the policy it was
// given (seccomp_verify.cpp) and the fuzzer can do so on millions of inputs.
// It accepts exactly the instructions seccomp_check_filter allows.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <optional>
#include <span>

namespace strata {

// The filter's return value, or nullopt when the program is one the kernel
// would reject (bad opcode, misaligned load, jump or fall off the end).
std::optional<std::uint32_t> run_seccomp_bpf(std::span<const sock_filter> program, const seccomp_data& data);

}  // namespace strata
