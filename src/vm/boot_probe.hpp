// The KVM probe's guest run (accel.hpp): QEMU boots the VM's kernel with no
// initrd, so a working guest panics at its root mount within a second and,
// with panic=-1 and -no-reboot, QEMU exits. Its serial console is read over
// a socketpair (-chardev socket,fd=N), its stderr over a pipe. On a PVM-only
// host the guest instead hangs in the kernel's early boot, so the run has a
// bound: at the bound QEMU's process group is killed and reaped, and nothing
// it started outlives the call. QEMU also dies with its parent
// (PR_SET_PDEATHSIG).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "vm/accel.hpp"

namespace strata::vm {

// A name is looked up in $PATH; a path must name an executable file.
// "find qemu 'qemu-system-x86_64': not found (install qemu-system-x86)".
Result<std::string> find_qemu(const std::string& qemu);

// How the probe's QEMU ended and what it printed.
struct BootRun {
  bool timed_out = false;  // killed at the bound
  int exit_code = -1;      // -1 when ended by a signal
  int signal = 0;
  std::string console;  // the guest's serial console (its last 64 KiB)
  std::string errors;   // QEMU's stderr (its first 64 KiB)
  std::chrono::milliseconds took{};
};

// QEMU's command line for the probe guest, the console on `console_fd`;
// `extra_append` is added to the kernel's command line.
std::vector<std::string> boot_probe_argv(const std::string& qemu_path, const std::string& kernel,
                                         AccelKind kind, int console_fd, std::string_view extra_append = {});

// Runs the probe guest. An Error only when QEMU cannot be started (exec
// failed, no fds); how the guest fared is in the BootRun. `extra_append` is
// for tests that boot under TCG: there a Linux guest on a busy host often
// fails to calibrate its TSC against the PIT and hangs, unless given
// tsc_early_khz= (microvm has no HPET or ACPI PM timer to fall back on).
Result<BootRun> run_boot_probe(const std::string& qemu_path, const std::string& kernel, AccelKind kind,
                               std::chrono::milliseconds bound, std::string_view extra_append = {});

// Why a run shows the accelerator unusable, nullopt when the guest reached
// its root mount ("Kernel panic" or "VFS:" on the console) and QEMU exited 0.
std::optional<std::string> boot_failure(const BootRun& run, std::chrono::milliseconds bound);

// QEMU's first error line as a reason, "qemu: failed to set MSR 0x10a to
// 0x69": its program-name and "error: " prefixes dropped, warnings skipped
// when an error follows them; "" when stderr is empty.
std::string qemu_error_line(std::string_view errors);

// "3 s", "1500 ms".
std::string format_bound(std::chrono::milliseconds bound);

}  // namespace strata::vm
