// Parsers for the hardening and resource flags: capabilities, rlimits,
// landlock, seccomp and cgroup limits.
#include <sys/capability.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "base/parse.hpp"
#include "spec/spec.hpp"

namespace strata {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

enum class RlimitUnit { count, bytes, seconds };

struct RlimitName {
  std::string_view name;
  int resource;
  RlimitUnit unit;
};

constexpr std::array kRlimits{
    RlimitName{"as", RLIMIT_AS, RlimitUnit::bytes},
    RlimitName{"core", RLIMIT_CORE, RlimitUnit::bytes},
    RlimitName{"cpu", RLIMIT_CPU, RlimitUnit::seconds},
    RlimitName{"data", RLIMIT_DATA, RlimitUnit::bytes},
    RlimitName{"fsize", RLIMIT_FSIZE, RlimitUnit::bytes},
    RlimitName{"locks", RLIMIT_LOCKS, RlimitUnit::count},
    RlimitName{"memlock", RLIMIT_MEMLOCK, RlimitUnit::bytes},
    RlimitName{"msgqueue", RLIMIT_MSGQUEUE, RlimitUnit::bytes},
    RlimitName{"nice", RLIMIT_NICE, RlimitUnit::count},
    RlimitName{"nofile", RLIMIT_NOFILE, RlimitUnit::count},
    RlimitName{"nproc", RLIMIT_NPROC, RlimitUnit::count},
    RlimitName{"rss", RLIMIT_RSS, RlimitUnit::bytes},
    RlimitName{"rtprio", RLIMIT_RTPRIO, RlimitUnit::count},
    RlimitName{"rttime", RLIMIT_RTTIME, RlimitUnit::count},
    RlimitName{"sigpending", RLIMIT_SIGPENDING, RlimitUnit::count},
    RlimitName{"stack", RLIMIT_STACK, RlimitUnit::bytes},
};

Result<std::uint64_t> rlimit_value(std::string_view text, RlimitUnit unit) {
  if (text == "unlimited" || text == "infinity") {
    return RLIM_INFINITY;
  }
  switch (unit) {
    case RlimitUnit::bytes:
      if (text == "0") {
        return 0;
      }
      return parse_size(text);
    case RlimitUnit::seconds:
    case RlimitUnit::count:
      return parse_uint(text, 0, RLIM_INFINITY - 1);
  }
  return fail("parse --rlimit", std::string(text), "bad value");
}

}  // namespace

Result<std::vector<int>> parse_capabilities(std::string_view text) {
  std::string name = upper(text);
  if (name == "ALL") {
    std::vector<int> all(static_cast<std::size_t>(cap_max_bits()));
    for (std::size_t i = 0; i < all.size(); ++i) {
      all[i] = static_cast<int>(i);
    }
    return all;
  }
  if (!name.starts_with("CAP_")) {
    name = "CAP_" + name;
  }
  cap_value_t value = 0;
  std::string lowered = name;
  std::ranges::transform(lowered, lowered.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos ||
      cap_from_name(lowered.c_str(), &value) != 0 || value >= cap_max_bits()) {
    return fail("parse capability", std::string(text), "unknown capability (see capabilities(7))");
  }
  return std::vector<int>{value};
}

std::string capability_name(int capability) {
  char* name = cap_to_name(static_cast<cap_value_t>(capability));
  if (name == nullptr) {
    return std::to_string(capability);
  }
  std::string out = upper(name);
  cap_free(name);
  return out;
}

std::vector<int> kept_capabilities(const Spec& spec) {
  std::vector<int> kept;
  for (int cap : spec.cap_add) {
    if (std::ranges::find(spec.cap_drop, cap) == spec.cap_drop.end() &&
        std::ranges::find(kept, cap) == kept.end()) {
      kept.push_back(cap);
    }
  }
  std::ranges::sort(kept);
  return kept;
}

Result<RlimitSpec> parse_rlimit(std::string_view text) {
  const auto equals = text.find('=');
  const std::string_view name = text.substr(0, equals);
  const auto* entry = std::ranges::find(kRlimits, name, &RlimitName::name);
  if (entry == kRlimits.end()) {
    return fail(
        "parse --rlimit", std::string(text),
        "unknown resource (as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, "
        "rss, rtprio, rttime, sigpending, stack)");
  }
  if (equals == std::string_view::npos) {
    return fail("parse --rlimit", std::string(text), "expected NAME=SOFT[:HARD]");
  }
  const std::string_view values = text.substr(equals + 1);
  const auto colon = values.find(':');
  auto soft = rlimit_value(values.substr(0, colon), entry->unit);
  auto hard = colon == std::string_view::npos ? soft : rlimit_value(values.substr(colon + 1), entry->unit);
  if (!soft || !hard) {
    return fail("parse --rlimit", std::string(text), "expected a number or 'unlimited'");
  }
  if (*soft > *hard) {
    return fail("parse --rlimit", std::string(text), "the soft limit is above the hard limit");
  }
  return RlimitSpec{.resource = entry->resource, .name = std::string(name), .soft = *soft, .hard = *hard};
}

Result<LandlockMode> parse_landlock(std::string_view text) {
  if (text == "best-effort") {
    return LandlockMode::best_effort;
  }
  if (text == "require") {
    return LandlockMode::require;
  }
  if (text == "off") {
    return LandlockMode::off;
  }
  return fail("parse --landlock", std::string(text), "expected best-effort, require or off");
}

Result<SeccompChoice> parse_seccomp(std::string_view text) {
  if (text == "unconfined") {
    return SeccompChoice{.kind = SeccompChoice::Kind::unconfined};
  }
  if (text == "default") {
    return SeccompChoice{};
  }
  if (text.empty()) {
    return fail("parse --seccomp", "", "expected a profile file, 'default' or 'unconfined'");
  }
  return SeccompChoice{.kind = SeccompChoice::Kind::file, .path = std::string(text)};
}

Result<double> parse_cpus(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !(value >= 0.01) ||
      value > 4096) {
    return fail("parse --cpus", std::string(text), "expected a number of CPUs between 0.01 and 4096");
  }
  return value;
}

}  // namespace strata
