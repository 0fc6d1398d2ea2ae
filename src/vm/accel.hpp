// Which accelerator `strata run --isolation vm` gives QEMU: KVM when KVM is
// usable, TCG emulation otherwise, and in words why not KVM.
//
// "Usable" means a real guest boots, not that /dev/kvm opens. A PVM host
// (the kvm_pvm module: KVM for guests that are themselves VMs) serves
// /dev/kvm and runs small real- and long-mode guests, yet a Linux kernel
// hangs right after "Probing EDD" with the host CPU at 100% system time, and
// `-cpu host` makes QEMU abort ("failed to set MSR 0x10a"). So the probe
// boots the VM's own kernel under KVM, with no initrd, and waits within a
// bound for it to panic at its root mount and QEMU to exit; TCG does the same
// boot in about 1.5 s, KVM in well under 0.5 s. The answer is cached until
// reboot (accel_cache.hpp), so the notice and the probe's cost come once.
//
// STRATA_VM_ACCEL=kvm or =tcg overrides the decision without probing
// (=auto, or empty, is the default: probe).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::vm {

enum class AccelKind { kvm, tcg };

struct Accel {
  AccelKind kind = AccelKind::tcg;
  // Why not KVM, in words ("/dev/kvm is absent", "a guest did not finish
  // booting under KVM within 3 s", "qemu: failed to set MSR 0x10a to 0x69");
  // empty for kvm.
  std::string reason;
  // The answer came from the cache: the caller prints describe() as a notice
  // only when the answer is new (!cached && !forced).
  bool cached = false;
  // STRATA_VM_ACCEL chose it; nothing was probed.
  bool forced = false;
};

// The environment variable that overrides the decision.
inline constexpr std::string_view kAccelEnv = "STRATA_VM_ACCEL";
inline constexpr std::chrono::milliseconds kDefaultProbeBound = std::chrono::seconds(3);

struct AccelOptions {
  // How long the probe guest may take under KVM.
  std::chrono::milliseconds bound = kDefaultProbeBound;
  // The cache's directory: nullopt for the default (default_cache_dir()), an
  // empty string for no cache.
  std::optional<std::string> cache_dir;
};

// Decides the accelerator for VMs of `kernel` run by `qemu` (a name looked up
// in $PATH, or a path): kvm when /dev/kvm opens read-write, answers
// KVM_GET_API_VERSION with 12, and the kernel boots under KVM to its
// panic-and-exit within the bound; otherwise tcg with the reason. Returns
// within the bound plus a few milliseconds. An Error only when QEMU or the
// kernel is missing, STRATA_VM_ACCEL is not kvm, tcg or auto, or QEMU
// cannot be started at all.
Result<Accel> choose_accel(const std::string& qemu, const std::string& kernel,
                           std::chrono::milliseconds bound = kDefaultProbeBound);
Result<Accel> choose_accel(const std::string& qemu, const std::string& kernel, const AccelOptions& options);

// The one notice line: "KVM is not usable (REASON); using TCG emulation,
// which is slower. Cached until reboot; set STRATA_VM_ACCEL=kvm to force."
std::string describe(const Accel& accel);

// QEMU's accelerator and CPU model arguments; VM runs use the ones the probe
// used. KVM keeps QEMU's default CPU model: `-cpu host` aborts on PVM hosts
// (an MSR the host does not let it set). TCG emulates the most it can.
std::vector<std::string> qemu_accel_args(AccelKind kind);

// "kvm", "tcg".
std::string_view accel_name(AccelKind kind);

// Reads an override ("kvm", "tcg"; "auto" or "" is none); `step` names its
// source in the error ("read STRATA_VM_ACCEL", "parse --vm-accel").
Result<std::optional<AccelKind>> parse_accel_choice(std::string_view value, const std::string& step);

// Why /dev/kvm cannot serve QEMU at all ("/dev/kvm is absent", "/dev/kvm
// cannot be opened: Permission denied", a KVM_GET_API_VERSION other than
// 12); nullopt when it opens and answers. Cheap, so done on every call.
std::optional<std::string> kvm_device_problem();

}  // namespace strata::vm
