// libFuzzer target: a seccomp profile compiles to a filter that does what the
// profile says. The fuzzer's bytes choose a structured profile (default
// action; rules with actions and argument compares) and a batch of syscalls;
// the profile goes through the real loader as JSON, the compiled BPF is run on
// each syscall by an interpreter, and its verdict must equal the one worked
// out here from the profile's meaning (OCI/runc semantics: a rule matches
// when all its compares hold, or any of them when two compare one argument).
#include <fuzzer/FuzzedDataProvider.h>
#include <linux/audit.h>
#include <seccomp.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "isolate/sandbox/bpf_run.hpp"
#include "isolate/sandbox/seccomp.hpp"

namespace {

struct Action {
  const char* name;
  std::uint32_t value;  // without errno data
};
constexpr std::array kActions{Action{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
                              Action{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
                              Action{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
                              Action{"SCMP_ACT_TRAP", SCMP_ACT_TRAP}, Action{"SCMP_ACT_LOG", SCMP_ACT_LOG}};

struct Op {
  const char* name;
  scmp_compare op;
};
constexpr std::array kOps{Op{"SCMP_CMP_NE", SCMP_CMP_NE},
                          Op{"SCMP_CMP_LT", SCMP_CMP_LT},
                          Op{"SCMP_CMP_LE", SCMP_CMP_LE},
                          Op{"SCMP_CMP_EQ", SCMP_CMP_EQ},
                          Op{"SCMP_CMP_GE", SCMP_CMP_GE},
                          Op{"SCMP_CMP_GT", SCMP_CMP_GT},
                          Op{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};

constexpr std::array kSyscalls{"read",   "write",       "openat", "close", "ioctl", "mmap",  "clone",
                               "socket", "personality", "kill",   "prctl", "fcntl", "futex", "getpid"};

struct Compare {
  unsigned index;
  scmp_compare op;
  const char* op_name;
  std::uint64_t value;
  std::uint64_t value_two;

  [[nodiscard]] bool holds(const seccomp_data& data) const {
    const std::uint64_t arg = data.args[index];
    switch (op) {
      case SCMP_CMP_NE:
        return arg != value;
      case SCMP_CMP_LT:
        return arg < value;
      case SCMP_CMP_LE:
        return arg <= value;
      case SCMP_CMP_EQ:
        return arg == value;
      case SCMP_CMP_GE:
        return arg >= value;
      case SCMP_CMP_GT:
        return arg > value;
      case SCMP_CMP_MASKED_EQ:  // libseccomp masks the datum too (runc profiles mean that)
        return (arg & value) == (value_two & value);
      default:
        return false;
    }
  }
};

struct Rule {
  int nr;
  const char* name;
  std::uint32_t action;
  const char* action_name;
  std::vector<Compare> compares;

  [[nodiscard]] bool matches(const seccomp_data& data) const {
    std::array<int, 6> per_index{};
    for (const Compare& c : compares) {
      ++per_index.at(c.index);
    }
    const bool split = std::ranges::any_of(per_index, [](int n) { return n > 1; });
    if (compares.empty()) {
      return true;
    }
    return split ? std::ranges::any_of(compares, [&](const Compare& c) { return c.holds(data); })
                 : std::ranges::all_of(compares, [&](const Compare& c) { return c.holds(data); });
  }
};

struct Profile {
  std::uint32_t default_action;
  const char* default_name;
  std::vector<Rule> rules;

  // What the profile says about one syscall: the verdict the filter must give.
  [[nodiscard]] std::uint32_t verdict(const seccomp_data& data) const {
    if (data.arch != AUDIT_ARCH_X86_64 || (data.nr & 0x40000000) != 0) {
      return SCMP_ACT_KILL_PROCESS;  // an ABI the profile does not name
    }
    for (const Rule& rule : rules) {
      if (rule.nr == data.nr && rule.action != default_action && rule.matches(data)) {
        return rule.action;
      }
    }
    return default_action;
  }

  [[nodiscard]] std::string json() const {
    nlohmann::json doc;
    doc["defaultAction"] = default_name;
    if ((default_action & SCMP_ACT_ERRNO(0)) == SCMP_ACT_ERRNO(0) && default_action != SCMP_ACT_ALLOW) {
      doc["defaultErrnoRet"] = default_action & 0xffffU;
    }
    doc["syscalls"] = nlohmann::json::array();
    for (const Rule& rule : rules) {
      nlohmann::json entry{{"names", {rule.name}}, {"action", rule.action_name}};
      if ((rule.action & 0xffff0000U) == SCMP_ACT_ERRNO(0)) {
        entry["errnoRet"] = rule.action & 0xffffU;
      }
      for (const Compare& c : rule.compares) {
        entry["args"].push_back(
            {{"index", c.index}, {"value", c.value}, {"valueTwo", c.value_two}, {"op", c.op_name}});
      }
      doc["syscalls"].push_back(entry);
    }
    return doc.dump();
  }
};

std::uint32_t pick_action(FuzzedDataProvider& in, const char** name) {
  const Action& action = kActions.at(in.ConsumeIntegralInRange<std::size_t>(0, kActions.size() - 1));
  *name = action.name;
  return action.value == SCMP_ACT_ERRNO(0) ? SCMP_ACT_ERRNO(in.ConsumeIntegralInRange<std::uint16_t>(1, 4094))
                                           : action.value;
}

// Values near the edges and near each other, so compares are decided both ways.
std::uint64_t pick_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return in.ConsumeIntegralInRange<std::uint64_t>(0, 8);
    case 1:
      return in.ConsumeIntegral<std::uint32_t>();
    case 2:
      return std::uint64_t{in.ConsumeIntegral<std::uint32_t>()} << 32U;
    default:
      return in.ConsumeIntegral<std::uint64_t>();
  }
}

Profile pick_profile(FuzzedDataProvider& in) {
  Profile profile{};
  profile.default_action = pick_action(in, &profile.default_name);
  std::vector<const char*> unused(kSyscalls.begin(), kSyscalls.end());
  const std::size_t rules = in.ConsumeIntegralInRange<std::size_t>(0, 6);
  for (std::size_t r = 0; r < rules && !unused.empty(); ++r) {
    const std::size_t which = in.ConsumeIntegralInRange<std::size_t>(0, unused.size() - 1);
    Rule rule{.nr = seccomp_syscall_resolve_name(unused[which]), .name = unused[which]};
    unused.erase(unused.begin() + static_cast<std::ptrdiff_t>(which));
    rule.action = pick_action(in, &rule.action_name);
    const std::size_t compares = in.ConsumeIntegralInRange<std::size_t>(0, 3);
    for (std::size_t c = 0; c < compares; ++c) {
      const Op& op = kOps.at(in.ConsumeIntegralInRange<std::size_t>(0, kOps.size() - 1));
      rule.compares.push_back(Compare{.index = in.ConsumeIntegralInRange(0U, 2U),
                                      .op = op.op,
                                      .op_name = op.name,
                                      .value = pick_value(in),
                                      .value_two = pick_value(in)});
    }
    profile.rules.push_back(std::move(rule));
  }
  return profile;
}

seccomp_data pick_call(FuzzedDataProvider& in, const Profile& profile) {
  seccomp_data data{};
  data.arch = in.ConsumeIntegralInRange(0, 15) == 0 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
  if (!profile.rules.empty() && in.ConsumeBool()) {
    const Rule& rule = profile.rules.at(in.ConsumeIntegralInRange<std::size_t>(0, profile.rules.size() - 1));
    data.nr = rule.nr;
    for (const Compare& c : rule.compares) {  // often right at a compare's edge
      data.args[c.index] = in.ConsumeBool() ? c.value + in.ConsumeIntegralInRange(0, 2) - 1 : pick_value(in);
    }
  } else {
    data.nr = in.ConsumeIntegralInRange(0, 15) == 0 ? 0x40000000 | in.ConsumeIntegralInRange(0, 600)
                                                    : in.ConsumeIntegralInRange(0, 600);
    for (auto& arg : data.args) {
      arg = pick_value(in);
    }
  }
  return data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  FuzzedDataProvider in(bytes, size);
  const Profile profile = pick_profile(in);
  const std::string text = profile.json();
  auto program = strata::compile_seccomp_profile(text, "fuzz.json");
  if (!program) {
    // The one refusal a valid profile may get: libseccomp miscompiled it and
    // the loader's own check caught that. The calls below then must not
    // find a miscompilation that check missed.
    if (program.error().message().find("compiled the rules for") != std::string::npos) {
      return 0;
    }
    std::fprintf(stderr, "profile refused: %s\n%s\n", program.error().message().c_str(), text.c_str());
    __builtin_trap();
  }
  while (in.remaining_bytes() > 0) {
    const seccomp_data data = pick_call(in, profile);
    const auto got = strata::run_seccomp_bpf(program->instructions, data);
    const std::uint32_t want = profile.verdict(data);
    if (!got || *got != want) {
      std::fprintf(stderr, "profile %s\narch %#x nr %d args %#llx %#llx %#llx: filter %#x, profile %#x\n",
                   text.c_str(), data.arch, data.nr, static_cast<unsigned long long>(data.args[0]),
                   static_cast<unsigned long long>(data.args[1]),
                   static_cast<unsigned long long>(data.args[2]), got ? *got : 0xdeadbeefU, want);
      __builtin_trap();
    }
  }
  return 0;
}
