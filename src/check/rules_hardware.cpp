// hardware: the machine the binaries were built for (ELF machine vs uname
// arch) and the x86-64 psABI level (code built for v3 stops with SIGILL on a
// v2 CPU; a VM adds no CPU features, only matching hardware or an emulator
// does).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <vector>

#include "check/rules.hpp"
#include "probe/hw_cpuinfo.hpp"

namespace strata::check {

namespace {

struct MachineArch {
  std::string_view machine;  // as strata analyze names the ELF machine
  std::string_view arch;     // the uname(2) machine, or its prefix when it ends in '*'
};

constexpr std::array<MachineArch, 10> kMachineArch{{
    {"x86-64", "x86_64"},
    {"i386", "i386"},
    {"i386", "i486"},
    {"i386", "i586"},
    {"i386", "i686"},
    {"aarch64", "aarch64"},
    {"arm", "arm*"},
    {"riscv", "riscv*"},
    {"ppc64", "ppc64*"},
    {"s390", "s390*"},
}};

bool runs_on(std::string_view machine, std::string_view arch) {
  return std::ranges::any_of(kMachineArch, [&](const MachineArch& m) {
    if (m.machine != machine) {
      return false;
    }
    return m.arch.ends_with('*') ? arch.starts_with(m.arch.substr(0, m.arch.size() - 1)) : arch == m.arch;
  });
}

bool known_machine(std::string_view machine) {
  return std::ranges::any_of(kMachineArch, [&](const MachineArch& m) { return m.machine == machine; });
}

void check_machines(Context& c) {
  for (const std::string& machine : c.needs().machines) {
    const std::string need = "machines " + machine;
    if (!c.require_layer(Layer::hardware, need)) {
      continue;
    }
    const auto arch = c.text(Layer::hardware, "arch");
    if (!arch) {
      c.not_checked(Layer::hardware, need, "the target manifest has no arch fact");
    } else if (runs_on(machine, *arch) || machine == *arch) {
      c.met(Layer::hardware);
    } else if (machine == "i386" && *arch == "x86_64") {
      c.met(Layer::hardware);
      c.note(Layer::hardware, need,
             "i386 code runs on an x86_64 kernel only with its IA-32 emulation (CONFIG_IA32_EMULATION)");
    } else if (!known_machine(machine)) {
      c.note(Layer::hardware, need,
             fmt::format("not checkable: strata does not know which uname machine runs ELF machine {} (the "
                         "target is {})",
                         machine, *arch));
    } else {
      c.unmet(
          {.layer = Layer::hardware,
           .need = need,
           .wanted = machine,
           .target_has = *arch,
           .reason = fmt::format("{} code does not run on a {} CPU: only {} hardware (or an emulator such "
                                 "as QEMU TCG) runs it",
                                 machine, *arch, machine),
           .provide = "an " + machine + " CPU"});
    }
  }
}

// "x86-64-v3" -> 3; nullopt for anything else.
std::optional<int> level_number(std::string_view name) {
  constexpr std::string_view kPrefix = "x86-64-v";
  if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 1 || name.back() < '1' ||
      name.back() > '4') {
    return std::nullopt;
  }
  return name.back() - '0';
}

probe::hw::FlagSet target_flags(const Context& c) {
  probe::hw::FlagSet flags;
  if (const nlohmann::json* value = c.fact(Layer::hardware, "cpu.flags");
      value != nullptr && value->is_array()) {
    for (const auto& flag : *value) {
      if (flag.is_string()) {
        flags.insert(flag.get<std::string>());
      }
    }
  }
  return flags;
}

// The target CPU's level: cpu.isa_level (null: below v1), else computed
// from cpu.flags; nullopt when neither is there.
std::optional<int> target_level(const Context& c) {
  if (const nlohmann::json* value = c.fact(Layer::hardware, "cpu.isa_level"); value != nullptr) {
    return value->is_string() ? level_number(value->get<std::string>()).value_or(0) : 0;
  }
  if (c.fact(Layer::hardware, "cpu.flags") != nullptr) {
    return probe::hw::x86_isa_level(target_flags(c)).level;
  }
  return std::nullopt;
}

// The flags levels (have, want] need that the CPU lacks (all of them when
// the manifest lists no flags).
std::vector<std::string> missing_flags(const Context& c, int have, int want) {
  const probe::hw::FlagSet flags = target_flags(c);
  std::vector<std::string> out;
  for (int level = have + 1; level <= want; ++level) {
    for (const std::string_view flag : probe::hw::x86_isa_level_flags(level)) {
      if (!flags.contains(flag)) {
        out.emplace_back(flag);
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, ", "));
}

void check_isa_level(Context& c) {
  const auto& wanted = c.needs().isa_level;
  const std::string need = "isa_level";
  if (!wanted || !c.require_layer(Layer::hardware, need)) {
    return;
  }
  const auto want = level_number(*wanted);
  const auto have = target_level(c);
  if (!want) {
    c.note(Layer::hardware, need, fmt::format("not checkable: \"{}\" is not an x86-64 psABI level", *wanted));
  } else if (!have) {
    c.not_checked(Layer::hardware, need, "the target manifest has neither cpu.isa_level nor cpu.flags");
  } else if (*have >= *want) {
    c.met(Layer::hardware);
  } else {
    const std::string lacks = join(missing_flags(c, *have, *want));
    c.unmet({.layer = Layer::hardware,
             .need = need,
             .wanted = *wanted,
             .target_has = *have == 0 ? "below x86-64-v1" : probe::hw::isa_level_name(*have),
             .reason = fmt::format(
                 "code built for {} stops with SIGILL on this CPU, which lacks {}; a VM adds "
                 "no CPU features: only a CPU with them (or an emulator such as QEMU TCG) runs it",
                 *wanted, lacks),
             .provide = fmt::format("an {} CPU (with {})", *wanted, lacks)});
  }
}

void check_hwcaps(Context& c) {
  for (const auto& [soname, level] : c.needs().hwcaps) {
    const std::string need = "hwcaps " + soname;
    if (!c.require_layer(Layer::hardware, need)) {
      continue;
    }
    const auto want = level_number(level);
    const auto have = target_level(c);
    if (!want || !have) {
      c.not_checked(Layer::hardware, need,
                    !want ? fmt::format("\"{}\" is not an x86-64 psABI level", level)
                          : std::string("the target manifest has neither cpu.isa_level nor cpu.flags"));
    } else if (*have >= *want) {
      c.met(Layer::hardware);
    } else {
      c.note(Layer::hardware, need,
             fmt::format("may matter: the analyzed machine loaded its glibc-hwcaps/{} variant; this CPU ({}) "
                         "gets a lower-level copy: it runs, with other code (speed, floating-point results)",
                         level, *have == 0 ? "below x86-64-v1" : probe::hw::isa_level_name(*have)));
    }
  }
}

}  // namespace

void check_hardware(Context& context) {
  check_machines(context);
  check_isa_level(context);
  check_hwcaps(context);
}

}  // namespace strata::check
