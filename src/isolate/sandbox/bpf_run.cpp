#include "isolate/sandbox/bpf_run.hpp"

#include <array>
#include <cstring>

namespace strata {

namespace {

struct Machine {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::array<std::uint32_t, BPF_MEMWORDS> mem{};
};

// BPF_ALU: false for an operation seccomp does not allow. Division by zero
// ends the program with 0 (SECCOMP_RET_KILL), as in the kernel.
bool alu(std::uint16_t code, std::uint32_t src, std::uint32_t& a, bool& killed) {
  switch (BPF_OP(code)) {
    case BPF_ADD:
      a += src;
      return true;
    case BPF_SUB:
      a -= src;
      return true;
    case BPF_MUL:
      a *= src;
      return true;
    case BPF_AND:
      a &= src;
      return true;
    case BPF_OR:
      a |= src;
      return true;
    case BPF_XOR:
      a ^= src;
      return true;
    case BPF_LSH:
      a = src >= 32 ? 0 : a << src;
      return true;
    case BPF_RSH:
      a = src >= 32 ? 0 : a >> src;
      return true;
    case BPF_NEG:
      a = 0U - a;
      return true;
    case BPF_DIV:
    case BPF_MOD:
      if (src == 0) {
        killed = true;
        return true;
      }
      a = BPF_OP(code) == BPF_DIV ? a / src : a % src;
      return true;
    default:
      return false;
  }
}

// BPF_LD, BPF_LDX, BPF_ST, BPF_STX: false for a load seccomp rejects.
bool load_store(const sock_filter& in, const seccomp_data& data, Machine& m) {
  const bool to_x = BPF_CLASS(in.code) == BPF_LDX;
  std::uint32_t& reg = to_x ? m.x : m.a;
  const std::uint16_t mode = BPF_MODE(in.code);
  if (BPF_CLASS(in.code) == BPF_ST || BPF_CLASS(in.code) == BPF_STX) {
    if (in.k >= BPF_MEMWORDS) {
      return false;
    }
    m.mem.at(in.k) = BPF_CLASS(in.code) == BPF_ST ? m.a : m.x;
    return true;
  }
  if (BPF_SIZE(in.code) != BPF_W) {
    return false;
  }
  if (mode == BPF_ABS && !to_x) {
    if (in.k % 4 != 0 || in.k + 4 > sizeof data) {
      return false;
    }
    std::memcpy(&reg, reinterpret_cast<const char*>(&data) + in.k, 4);  // NOLINT: seccomp_data as bytes
    return true;
  }
  switch (mode) {
    case BPF_LEN:
      reg = sizeof data;
      return true;
    case BPF_IMM:
      reg = in.k;
      return true;
    case BPF_MEM:
      if (in.k >= BPF_MEMWORDS) {
        return false;
      }
      reg = m.mem.at(in.k);
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::uint32_t> run_seccomp_bpf(std::span<const sock_filter> program, const seccomp_data& data) {
  Machine m;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& in = program[pc];
    const std::uint32_t src = BPF_SRC(in.code) == BPF_X ? m.x : in.k;
    bool killed = false;
    switch (BPF_CLASS(in.code)) {
      case BPF_LD:
      case BPF_LDX:
      case BPF_ST:
      case BPF_STX:
        if (!load_store(in, data, m)) {
          return std::nullopt;
        }
        break;
      case BPF_ALU:
        if (!alu(in.code, src, m.a, killed)) {
          return std::nullopt;
        }
        if (killed) {
          return SECCOMP_RET_KILL_THREAD;
        }
        break;
      case BPF_JMP:
        switch (BPF_OP(in.code)) {
          case BPF_JA:
            pc += in.k;
            break;
          case BPF_JEQ:
            pc += m.a == src ? in.jt : in.jf;
            break;
          case BPF_JGT:
            pc += m.a > src ? in.jt : in.jf;
            break;
          case BPF_JGE:
            pc += m.a >= src ? in.jt : in.jf;
            break;
          case BPF_JSET:
            pc += (m.a & src) != 0 ? in.jt : in.jf;
            break;
          default:
            return std::nullopt;
        }
        break;
      case BPF_RET:
        return BPF_RVAL(in.code) == BPF_A ? m.a : in.k;
      case BPF_MISC:
        (BPF_MISCOP(in.code) == BPF_TAX ? m.x : m.a) = BPF_MISCOP(in.code) == BPF_TAX ? m.a : m.x;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;  // fell off the end: the kernel rejects such programs
}

}  // namespace strata
