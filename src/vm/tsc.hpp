// The host's TSC rate. Under TCG the guest reads the host's TSC, and its
// kernel must be told the rate (tsc_early_khz): microvm has no HPET or ACPI
// PM timer, and calibrating against the PIT fails whenever the host is busy,
// which leaves the guest's clock stopped at 0 and the boot hung.
#pragma once

#include <cstdint>

namespace strata::vm {

// Measured against CLOCK_MONOTONIC_RAW over a few milliseconds; 0 when the
// CPU has no invariant TSC to measure.
std::uint64_t host_tsc_khz();

}  // namespace strata::vm
