// Build step: compiles strata's default seccomp policy once, at build time,
// into a C++ initializer list that the strata binary embeds. libseccomp
// needs ~18 ms of CPU to compile the policy; a sandbox starts in ~3 ms.
// With --bpf it writes the raw program instead, the form bwrap --seccomp FD
// reads (bench/run.sh gives bwrap the same filter that way).
#include <cstdio>
#include <string_view>

#include "isolate/sandbox/seccomp.hpp"

int main(int argc, char** argv) {
  const bool raw = argc == 3 && std::string_view(argv[1]) == "--bpf";
  if (argc != 2 && !raw) {
    (void)std::fputs("usage: strata-gen-seccomp OUTPUT.inc | strata-gen-seccomp --bpf OUTPUT.bpf\n", stderr);
    return 2;
  }
  const char* path = argv[argc - 1];
  auto program = strata::compile_default_seccomp();
  if (!program) {
    (void)std::fprintf(stderr, "strata-gen-seccomp: %s\n", program.error().message().c_str());
    return 1;
  }
  FILE* out = std::fopen(path, "we");
  if (out == nullptr) {
    std::perror(path);
    return 1;
  }
  if (raw) {
    const std::size_t n = program->instructions.size();
    const bool ok = std::fwrite(program->instructions.data(), sizeof(sock_filter), n, out) == n;
    return std::fclose(out) == 0 && ok ? 0 : 1;
  }
  for (const auto& insn : program->instructions) {
    (void)std::fprintf(out, "{0x%04x, %u, %u, 0x%08x},\n", insn.code, insn.jt, insn.jf, insn.k);
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
