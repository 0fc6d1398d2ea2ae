#include "isolate/sandbox/seccomp_verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "isolate/sandbox/bpf_run.hpp"

namespace strata {

namespace {

constexpr std::size_t kArgs = 6;
// Covers every edge combination of three compares on three arguments.
constexpr std::size_t kMaxProbesPerSyscall = 4096;

using Args = std::uint64_t[kArgs];

// Values where a compare against `c` changes its answer, including the edges
// of the high and low 32-bit halves that libseccomp compares separately.
void add_edges(const scmp_arg_cmp& c, std::set<std::uint64_t>& out) {
  constexpr std::uint64_t kLow = 0xffffffffULL;
  constexpr std::uint64_t kHigh = kLow << 32U;
  const std::uint64_t v = c.op == SCMP_CMP_MASKED_EQ ? (c.datum_b & c.datum_a) : c.datum_a;
  for (const std::uint64_t e : {v - 1, v, v + 1, v & kHigh, v | kLow, v + (kLow + 1), v - (kLow + 1)}) {
    out.insert(e);
  }
  if (c.op == SCMP_CMP_MASKED_EQ) {
    out.insert(v | ~c.datum_a);                     // same masked bits, all others set
    out.insert(v ^ c.datum_a);                      // every masked bit flipped
    out.insert(v ^ (c.datum_a & (0 - c.datum_a)));  // the lowest masked bit flipped
  }
}

bool holds(const scmp_arg_cmp& c, std::uint64_t arg) {
  switch (c.op) {
    case SCMP_CMP_NE:
      return arg != c.datum_a;
    case SCMP_CMP_LT:
      return arg < c.datum_a;
    case SCMP_CMP_LE:
      return arg <= c.datum_a;
    case SCMP_CMP_EQ:
      return arg == c.datum_a;
    case SCMP_CMP_GE:
      return arg >= c.datum_a;
    case SCMP_CMP_GT:
      return arg > c.datum_a;
    case SCMP_CMP_MASKED_EQ:
      return (arg & c.datum_a) == (c.datum_b & c.datum_a);
    default:
      return false;
  }
}

std::string describe(std::uint32_t action) {
  const std::uint32_t data = action & SECCOMP_RET_DATA;
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SCMP_ACT_KILL_PROCESS:
      return "KILL_PROCESS";
    case SCMP_ACT_KILL_THREAD:
      return "KILL_THREAD";
    case SCMP_ACT_TRAP:
      return "TRAP";
    case SCMP_ACT_ERRNO(0):
      return fmt::format("ERRNO({})", data);
    case SCMP_ACT_TRACE(0):
      return fmt::format("TRACE({})", data);
    case SCMP_ACT_LOG:
      return "LOG";
    case SCMP_ACT_ALLOW:
      return "ALLOW";
    default:
      return fmt::format("{:#x}", action);
  }
}

// The verdicts the rules allow for one call: every matching rule's action
// (libseccomp picks one when rules overlap), else the default.
std::set<std::uint32_t> expected(std::span<const SeccompRule> rules, int nr, const Args& args,
                                 std::uint32_t default_action) {
  std::set<std::uint32_t> out;
  for (const SeccompRule& rule : rules) {
    if (rule.nr == nr && rule_matches(rule, args)) {
      out.insert(rule.action);
    }
  }
  if (out.empty()) {
    out.insert(default_action);
  }
  return out;
}

struct Checker {
  const SeccompProgram& program;
  std::uint32_t default_action;
  std::span<const SeccompRule> rules;
  std::string_view source;

  Result<> check(const SeccompRule& rule, const Args& args) const {
    seccomp_data data{};
    data.nr = rule.nr;
    data.arch = seccomp_arch_native();
    std::copy(std::begin(args), std::end(args), std::begin(data.args));
    const auto got = run_seccomp_bpf(program.instructions, data);
    const auto want = expected(rules, rule.nr, args, default_action);
    if (got && want.contains(*got)) {
      return {};
    }
    return fail(
        "compile seccomp profile", std::string(source),
        fmt::format("{}: libseccomp {}.{}.{} compiled the rules for '{}' wrongly (args {:#x}, {:#x}, {:#x} "
                    "get {} where the profile says {}); refusing to enforce a different policy",
                    rule.where, seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro,
                    rule.name, args[0], args[1], args[2], got ? describe(*got) : "an invalid program",
                    describe(*want.begin())));
  }
};

// Checks the product of the per-argument values, odometer style, up to a cap.
Result<> walk(const Checker& checker, const SeccompRule& rule,
              const std::array<std::vector<std::uint64_t>, kArgs>& values) {
  std::array<std::size_t, kArgs> at{};
  for (std::size_t probe = 0; probe < kMaxProbesPerSyscall; ++probe) {
    Args args{};
    for (std::size_t i = 0; i < kArgs; ++i) {
      args[i] = values.at(i).at(at.at(i));
    }
    if (auto ok = checker.check(rule, args); !ok) {
      return ok;
    }
    std::size_t i = 0;
    while (i < kArgs && ++at.at(i) == values.at(i).size()) {
      at.at(i++) = 0;
    }
    if (i == kArgs) {
      break;
    }
  }
  return {};
}

}  // namespace

bool rule_matches(const SeccompRule& rule, const std::uint64_t (&args)[6]) {
  return std::ranges::all_of(rule.compares, [&](const scmp_arg_cmp& c) { return holds(c, args[c.arg]); });
}

Result<> verify_seccomp_program(const SeccompProgram& program, std::uint32_t default_action,
                                std::span<const SeccompRule> rules, std::string_view source) {
  const Checker checker{program, default_action, rules, source};
  std::set<int> done;
  for (const SeccompRule& rule : rules) {
    // A negative number is libseccomp's pseudo-syscall for a name this
    // architecture lacks (fcntl64 on x86_64): no code was generated for it.
    if (rule.nr < 0 || !done.insert(rule.nr).second) {
      continue;
    }
    // Edge values per argument from every rule on this syscall: a rule's
    // verdict can be spoilt by how its neighbours were compiled.
    std::array<std::set<std::uint64_t>, kArgs> edges;
    for (const SeccompRule& other : rules) {
      for (const scmp_arg_cmp& c : other.nr == rule.nr ? other.compares : std::vector<scmp_arg_cmp>{}) {
        add_edges(c, edges.at(c.arg));
      }
    }
    std::array<std::vector<std::uint64_t>, kArgs> values;
    for (std::size_t i = 0; i < kArgs; ++i) {
      values.at(i).assign(edges.at(i).begin(), edges.at(i).end());
      if (values.at(i).empty()) {
        values.at(i).push_back(0);
      }
    }
    if (auto ok = walk(checker, rule, values); !ok) {
      return ok;
    }
  }
  return {};
}

}  // namespace strata
