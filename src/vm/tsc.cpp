#include "vm/tsc.hpp"

#include <cpuid.h>
#include <time.h>
#include <x86intrin.h>

#include <algorithm>
#include <array>

namespace strata::vm {

namespace {

std::uint64_t now_ns() {
  timespec ts{};
  (void)::clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

bool invariant_tsc() {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) == 0) {
    return false;
  }
  return (edx & (1U << 8U)) != 0;
}

// One measurement over `window_ns`.
std::uint64_t measure(std::uint64_t window_ns) {
  const std::uint64_t t0 = now_ns();
  const std::uint64_t c0 = __rdtsc();
  std::uint64_t t1 = t0;
  while (t1 - t0 < window_ns) {
    t1 = now_ns();
  }
  const std::uint64_t c1 = __rdtsc();
  return (c1 - c0) * 1'000'000ULL / (t1 - t0);
}

}  // namespace

std::uint64_t host_tsc_khz() {
  if (!invariant_tsc()) {
    return 0;
  }
  // The median of three 2 ms windows: a preemption inflates one, not all.
  std::array<std::uint64_t, 3> samples{};
  for (auto& sample : samples) {
    sample = measure(2'000'000);
  }
  std::ranges::sort(samples);
  return samples[1];
}

}  // namespace strata::vm
