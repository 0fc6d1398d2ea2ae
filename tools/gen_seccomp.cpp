// Build step: compiles strata's default seccomp policy once, at build time,
// into a C++ initializer list that the strata binary embeds. libseccomp
// needs ~18 ms of CPU to compile the policy; a sandbox starts in ~3 ms.
#include <cstdio>

#include "isolate/sandbox/seccomp.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    (void)std::fputs("usage: strata-gen-seccomp OUTPUT.inc\n", stderr);
    return 2;
  }
  auto program = strata::compile_default_seccomp();
  if (!program) {
    (void)std::fprintf(stderr, "strata-gen-seccomp: %s\n", program.error().message().c_str());
    return 1;
  }
  FILE* out = std::fopen(argv[1], "we");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  for (const auto& insn : program->instructions) {
    (void)std::fprintf(out, "{0x%04x, %u, %u, 0x%08x},\n", insn.code, insn.jt, insn.jf, insn.k);
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
