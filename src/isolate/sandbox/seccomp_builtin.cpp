// The default policy, compiled at build time by tools/gen_seccomp.cpp (see
// there for why). Linked into the strata binary only; its definition
// replaces the weak one in seccomp.cpp, which compiles at run time.
#include "isolate/sandbox/seccomp.hpp"

namespace strata {

const SeccompProgram* builtin_seccomp_program() {
  static const SeccompProgram program{.instructions = {
#include "seccomp_default.inc"
                                      }};
  return &program;
}

}  // namespace strata
