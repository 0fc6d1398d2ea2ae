// /proc/cpuinfo: what the CPU is and which instructions it offers, and the
// x86-64 psABI level those instructions reach. The level is computed from the
// flags, never from the model name: a hypervisor can hide AVX from a Xeon, and
// code built for x86-64-v3 then stops with SIGILL.
#pragma once

#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::hw {

using FlagSet = std::set<std::string, std::less<>>;

struct CpuInfo {
  std::string arch;                           // guessed from the text: "x86_64", "aarch64"; "" when unknown
  std::map<std::string, std::string> fields;  // the first processor's "name : value" lines
  FlagSet flags;                              // x86 "flags", arm "Features", riscv "isa" extensions
  int processors = 0;                         // "processor" entries
};

[[nodiscard]] CpuInfo parse_cpuinfo(std::string_view text);

// The highest x86-64 psABI level (1..4) whose flags, and those of every lower
// level, are all present; 0 when even the x86-64 baseline is incomplete (a
// 32-bit CPU). `missing` lists the flags the next level needs that the CPU
// lacks (empty at level 4).
struct IsaLevel {
  int level = 0;
  std::vector<std::string> missing;
};

[[nodiscard]] IsaLevel x86_isa_level(const FlagSet& flags);

// The flags /proc/cpuinfo shows for the features x86-64 psABI level `level`
// (1..4) adds to the level below; empty for any other number.
[[nodiscard]] std::span<const std::string_view> x86_isa_level_flags(int level);

// "x86-64-v3" for 3.
[[nodiscard]] std::string isa_level_name(int level);

// The byte order of an architecture uname(2) or parse_cpuinfo names:
// "little", "big", or "" when it is not one this table knows.
[[nodiscard]] std::string_view arch_endianness(std::string_view arch);

// The cpu.* facts, from /proc/cpuinfo.
void add_cpu_facts(const CpuInfo& cpu, Facts& facts);

}  // namespace strata::probe::hw
