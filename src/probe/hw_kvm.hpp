// KVM: whether /dev/kvm is there, and whether it can run an ordinary guest.
// The device alone says little: a PVM host (kvm_pvm) has /dev/kvm but runs
// only PVM-enabled guest kernels, and a stock guest hangs or dies there. So
// the live check boots a tiny guest the way a firmware and kernel do (real
// mode -> protected mode -> long mode) and wants to hear from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "probe/manifest.hpp"
#include "probe/root.hpp"

namespace strata::probe::hw {

// How far the test guest got: it writes each stage to port 0x11 as it enters
// it, then 42 to port 0x10.
enum class GuestStage : std::uint8_t { none = 0, real_mode = 1, protected_mode = 2, long_mode = 3 };

// What the test guest did, or where setting it up failed.
struct GuestRun {
  std::string failed_step;        // the call that failed ("open /dev/kvm"); empty when the guest ran
  int err = 0;                    // its errno; 0 when the call answered but not as needed
  bool timed_out = false;         // the deadline interrupted KVM_RUN
  std::uint32_t exit_reason = 0;  // kvm_run.exit_reason of the last KVM_RUN
  std::uint16_t io_port = 0;      // for KVM_EXIT_IO: port, direction, first byte
  bool io_out = false;
  std::uint8_t io_value = 0;
  GuestStage stage = GuestStage::none;
};

struct KvmVerdict {
  bool usable = false;
  std::string reason;  // why not; empty when usable
};

// How long the guest may take. A working KVM finishes it in well under a
// millisecond; the rest is margin for a loaded host.
inline constexpr std::chrono::milliseconds kGuestDeadline{20};

// Pure: whether `run` shows a KVM that runs ordinary guests. `pvm_loaded`
// (the kvm_pvm module is there) only adds a likely cause to the reason.
[[nodiscard]] KvmVerdict judge_guest_run(const GuestRun& run, bool pvm_loaded);

// Live, x86-64 only: creates a VM with one vCPU and 64 KiB of memory, runs
// the test guest until it answers, fails or `deadline` passes (a timer
// signal kicks the vCPU out of KVM_RUN), and tears everything down: no VM,
// timer or signal handler is left behind.
[[nodiscard]] GuestRun run_test_guest(std::chrono::milliseconds deadline = kGuestDeadline);

// The same with other guest code (at most 4 KiB, loaded at 0x1000 and
// entered in real mode), so tests can make a guest that never answers.
[[nodiscard]] GuestRun run_guest_code(std::span<const std::uint8_t> code, std::chrono::milliseconds deadline);

// The loaded KVM modules ("kvm", "kvm_intel", "kvm_pvm"), sorted, from
// /proc/modules and /sys/module (built-in ones show only there).
[[nodiscard]] std::vector<std::string> kvm_modules(const Root& root);

// kvm.present, kvm.modules and, live on x86-64, kvm.usable and kvm.reason.
void add_kvm_facts(const Root& root, Facts& facts);

}  // namespace strata::probe::hw
