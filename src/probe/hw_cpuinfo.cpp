#include "probe/hw_cpuinfo.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "base/parse.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::hw {

namespace {

constexpr std::string_view kSource = "/proc/cpuinfo";

// The psABI levels as /proc/cpuinfo spells the flags: SSE3 is "pni", LZCNT is
// "abm", and the kernel hides OSXSAVE, so "xsave" stands for it. OSFXSR (v1)
// is the kernel's own business and every x86-64 kernel sets it.
constexpr std::array<std::string_view, 9> kV1{"cmov", "cx8", "fpu",  "fxsr",   "lm",
                                              "mmx",  "sse", "sse2", "syscall"};
constexpr std::array<std::string_view, 7> kV2{"cx16",   "lahf_lm", "pni",  "popcnt",
                                              "sse4_1", "sse4_2",  "ssse3"};
constexpr std::array<std::string_view, 9> kV3{"abm",  "avx", "avx2",  "bmi1", "bmi2",
                                              "f16c", "fma", "movbe", "xsave"};
constexpr std::array<std::string_view, 5> kV4{"avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"};
constexpr std::array<std::span<const std::string_view>, 4> kLevels{kV1, kV2, kV3, kV4};

struct Implementer {
  std::string_view code;
  std::string_view name;
};

// arm64 "CPU implementer" codes (the MIDR's top byte), from the Arm ARM.
constexpr std::array<Implementer, 12> kImplementers{{
    {"0x41", "ARM"},
    {"0x42", "Broadcom"},
    {"0x43", "Cavium"},
    {"0x46", "Fujitsu"},
    {"0x48", "HiSilicon"},
    {"0x4e", "NVIDIA"},
    {"0x50", "APM"},
    {"0x51", "Qualcomm"},
    {"0x61", "Apple"},
    {"0x69", "Intel"},
    {"0x6d", "Microsoft"},
    {"0xc0", "Ampere"},
}};

std::string field(const CpuInfo& cpu, const std::string& name) {
  const auto it = cpu.fields.find(name);
  return it == cpu.fields.end() ? std::string() : it->second;
}

void add_words(FlagSet& out, std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find(' ', start), text.size());
    if (end > start) {
      out.emplace(text.substr(start, end - start));
    }
    start = end + 1;
  }
}

std::string guess_arch(const CpuInfo& cpu) {
  if (cpu.fields.contains("vendor_id") && cpu.fields.contains("flags")) {
    return cpu.flags.contains("lm") ? "x86_64" : "i686";
  }
  if (const std::string arch = field(cpu, "CPU architecture"); !arch.empty()) {
    // arm64 kernels say 8 (also to 32-bit processes); arm kernels say 7 or less.
    return arch == "8" ? "aarch64" : "arm";
  }
  const std::string isa = field(cpu, "isa");
  if (isa.starts_with("rv64")) {
    return "riscv64";
  }
  if (isa.starts_with("rv32")) {
    return "riscv32";
  }
  return field(cpu, "vendor_id") == "IBM/S390" ? "s390x" : "";
}

// A number where the text is one ("cpu family : 6"), else the text.
nlohmann::json number_or_text(const std::string& text) {
  if (auto n = parse_uint(text, 0, UINT64_MAX)) {
    return *n;
  }
  return text;
}

void add_field(const CpuInfo& cpu, Facts& facts, const std::string& name, const std::string& key,
               bool numeric = false) {
  const auto it = cpu.fields.find(name);
  if (it != cpu.fields.end()) {
    add(facts, key, numeric ? number_or_text(it->second) : nlohmann::json(it->second), std::string(kSource));
  }
}

void add_x86_facts(const CpuInfo& cpu, Facts& facts) {
  const std::string source(kSource);
  add_field(cpu, facts, "vendor_id", "cpu.vendor");
  add_field(cpu, facts, "cpu family", "cpu.family", true);
  add_field(cpu, facts, "model", "cpu.model", true);
  add_field(cpu, facts, "stepping", "cpu.stepping", true);
  add_field(cpu, facts, "model name", "cpu.model_name");
  const IsaLevel isa = x86_isa_level(cpu.flags);
  add(facts, "cpu.isa_level", isa.level == 0 ? nlohmann::json() : nlohmann::json(isa_level_name(isa.level)),
      source);
  add(facts, "cpu.isa_level_missing", isa.missing, source);
}

void add_arm_facts(const CpuInfo& cpu, Facts& facts) {
  const std::string implementer = field(cpu, "CPU implementer");
  if (!implementer.empty()) {
    const auto* known = std::ranges::find(kImplementers, implementer, &Implementer::code);
    add(facts, "cpu.vendor", known == kImplementers.end() ? implementer : std::string(known->name),
        std::string(kSource));
  }
  add_field(cpu, facts, "CPU implementer", "cpu.implementer");
  add_field(cpu, facts, "CPU architecture", "cpu.architecture", true);
  add_field(cpu, facts, "CPU variant", "cpu.variant");
  add_field(cpu, facts, "CPU part", "cpu.part");
  add_field(cpu, facts, "CPU revision", "cpu.revision", true);
  add_field(cpu, facts, "model name", "cpu.model_name");
}

}  // namespace

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo cpu;
  bool first = true;  // fields are the first processor's; the others repeat them
  for (const std::string_view line : sys::split_lines(text)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      first = first && (cpu.processors == 0 || !sys::trim(line).empty());
      continue;
    }
    const std::string name(sys::trim(line.substr(0, colon)));
    const std::string_view value = sys::trim(line.substr(colon + 1));
    if (name == "processor" && parse_uint(value, 0, UINT64_MAX)) {
      ++cpu.processors;
    } else if (first) {
      cpu.fields.try_emplace(name, value);
    }
  }
  add_words(cpu.flags, field(cpu, "flags"));
  add_words(cpu.flags, field(cpu, "Features"));
  cpu.arch = guess_arch(cpu);
  return cpu;
}

IsaLevel x86_isa_level(const FlagSet& flags) {
  IsaLevel out;
  for (const auto level : kLevels) {
    for (const std::string_view flag : level) {
      if (!flags.contains(flag)) {
        out.missing.emplace_back(flag);
      }
    }
    if (!out.missing.empty()) {
      return out;
    }
    ++out.level;
  }
  return out;
}

std::span<const std::string_view> x86_isa_level_flags(int level) {
  if (level < 1 || level > static_cast<int>(kLevels.size())) {
    return {};
  }
  return kLevels.at(static_cast<std::size_t>(level - 1));
}

std::string isa_level_name(int level) {
  return "x86-64-v" + std::to_string(level);
}

std::string_view arch_endianness(std::string_view arch) {
  constexpr std::array<std::string_view, 11> kLittle{"x86_64",  "i386",        "i686",    "aarch64",
                                                     "arm",     "armv7l",      "riscv64", "riscv32",
                                                     "ppc64le", "loongarch64", "mips64el"};
  constexpr std::array<std::string_view, 4> kBig{"s390x", "ppc64", "ppc", "aarch64_be"};
  if (std::ranges::find(kLittle, arch) != kLittle.end()) {
    return "little";
  }
  return std::ranges::find(kBig, arch) != kBig.end() ? "big" : "";
}

void add_cpu_facts(const CpuInfo& cpu, Facts& facts) {
  const std::string source(kSource);
  if (cpu.arch == "x86_64" || cpu.arch == "i686") {
    add_x86_facts(cpu, facts);
  } else if (cpu.arch == "aarch64" || cpu.arch == "arm") {
    add_arm_facts(cpu, facts);
  } else {
    add_field(cpu, facts, "model name", "cpu.model_name");
  }
  if (!cpu.flags.empty()) {
    add(facts, "cpu.flags", cpu.flags, source);
  }
  if (cpu.processors > 0) {
    add(facts, "cpu.logical_cores", cpu.processors, source);
  }
}

}  // namespace strata::probe::hw
