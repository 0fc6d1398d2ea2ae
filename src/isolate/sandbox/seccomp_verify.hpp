// Checks a compiled seccomp program against the rules it was compiled from.
// libseccomp 2.5 miscompiles some rule sets (two rules for one syscall where
// a 64-bit LT/LE compare falls through to the default action instead of the
// next rule); rather than enforce a policy other than the one written, strata
// runs the program (bpf_run.hpp) at the edges of every compare and refuses
// the profile when the verdict differs.
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "isolate/sandbox/seccomp.hpp"

namespace strata {

// One libseccomp rule as added: it matches when every compare holds.
struct SeccompRule {
  int nr = 0;
  std::uint32_t action = 0;
  std::vector<scmp_arg_cmp> compares;
  std::string name;   // the syscall's name, for messages
  std::string where;  // the profile location, "syscalls[3]"
};

// True when `args` satisfies every compare, with libseccomp's meaning
// (unsigned 64-bit; MASKED_EQ compares arg & mask with datum & mask).
bool rule_matches(const SeccompRule& rule, const std::uint64_t (&args)[6]);

// Runs `program` for the native architecture at the boundary values of each
// rule's compares; fails, naming the rule and the arguments, when the program
// returns a verdict no matching rule (or, with none, the default) gives.
Result<> verify_seccomp_program(const SeccompProgram& program, std::uint32_t default_action,
                                std::span<const SeccompRule> rules, std::string_view source);

}  // namespace strata
