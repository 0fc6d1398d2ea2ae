#include "vm/accel.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "vm/accel_cache.hpp"
#include "vm/boot_probe.hpp"

namespace strata::vm {

namespace {

// STRATA_VM_ACCEL, if it names an accelerator.
Result<std::optional<Accel>> forced_accel() {
  const char* value = std::getenv(std::string(kAccelEnv).c_str());
  auto kind = parse_accel_choice(value == nullptr ? "" : value, fmt::format("read {}", kAccelEnv));
  if (!kind) {
    return std::unexpected(kind.error());
  }
  if (!*kind) {
    return std::nullopt;
  }
  return Accel{.kind = **kind,
               .reason = **kind == AccelKind::tcg ? fmt::format("{}=tcg is set", kAccelEnv) : "",
               .cached = false,
               .forced = true};
}

// Boots the probe guest under KVM and judges the run.
Result<CachedAccel> probe_kvm(const std::string& qemu_path, const std::string& kernel,
                              std::chrono::milliseconds bound) {
  auto run = run_boot_probe(qemu_path, kernel, AccelKind::kvm, bound);
  if (!run) {
    return std::unexpected(run.error());
  }
  auto failure = boot_failure(*run, bound);
  log::debug("KVM probe of '{}': {} in {} ms", kernel, failure.value_or("usable"), run->took.count());
  if (failure) {
    return CachedAccel{.kind = AccelKind::tcg, .reason = std::move(*failure), .by = DecidedBy::probe};
  }
  return CachedAccel{.kind = AccelKind::kvm, .reason = {}, .by = DecidedBy::probe};
}

}  // namespace

Result<Accel> choose_accel(const std::string& qemu, const std::string& kernel,
                           std::chrono::milliseconds bound) {
  return choose_accel(qemu, kernel, AccelOptions{.bound = bound, .cache_dir = std::nullopt});
}

Result<Accel> choose_accel(const std::string& qemu, const std::string& kernel, const AccelOptions& options) {
  auto qemu_path = find_qemu(qemu);
  if (!qemu_path) {
    return std::unexpected(qemu_path.error());
  }
  auto forced = forced_accel();
  if (!forced) {
    return std::unexpected(forced.error());
  }
  if (*forced) {
    return **forced;
  }
  auto inputs = gather_cache_inputs(*qemu_path, kernel, options.bound);
  if (!inputs) {
    return std::unexpected(inputs.error());
  }
  // Without a boot id an answer could outlive the host it was true for. Not
  // value_or(default_cache_dir()): that would make /run/strata for a test.
  std::string dir;
  if (!inputs->boot_id.empty()) {
    dir = options.cache_dir ? *options.cache_dir : default_cache_dir();
  }
  const std::optional<CachedAccel> cached = dir.empty() ? std::nullopt : load_cache(dir, *inputs);
  // The device is checked every time: a user added to group kvm gets KVM at
  // once. Its answer is cached too, only so that the notice comes once.
  if (auto problem = kvm_device_problem()) {
    const CachedAccel answer{.kind = AccelKind::tcg, .reason = std::move(*problem), .by = DecidedBy::device};
    const bool same = cached == answer;
    if (!same && !dir.empty()) {
      store_cache(dir, *inputs, answer);
    }
    return Accel{.kind = answer.kind, .reason = answer.reason, .cached = same, .forced = false};
  }
  if (cached && cached->by == DecidedBy::probe) {
    return Accel{.kind = cached->kind, .reason = cached->reason, .cached = true, .forced = false};
  }
  auto answer = probe_kvm(*qemu_path, kernel, options.bound);
  if (!answer) {
    return std::unexpected(answer.error());
  }
  if (!dir.empty()) {
    store_cache(dir, *inputs, *answer);
  }
  return Accel{.kind = answer->kind, .reason = std::move(answer->reason), .cached = false, .forced = false};
}

std::string describe(const Accel& accel) {
  if (accel.kind == AccelKind::kvm) {
    return accel.forced ? fmt::format("using KVM as {}=kvm asks (not probed)", kAccelEnv) : "using KVM";
  }
  if (accel.forced) {
    return fmt::format("using TCG emulation as {}=tcg asks", kAccelEnv);
  }
  return fmt::format(
      "KVM is not usable ({}); using TCG emulation, which is slower. Cached until reboot; set {}=kvm to "
      "force.",
      accel.reason, kAccelEnv);
}

std::vector<std::string> qemu_accel_args(AccelKind kind) {
  if (kind == AccelKind::kvm) {
    return {"-accel", "kvm"};
  }
  return {"-accel", "tcg", "-cpu", "max"};
}

std::string_view accel_name(AccelKind kind) {
  return kind == AccelKind::kvm ? "kvm" : "tcg";
}

Result<std::optional<AccelKind>> parse_accel_choice(std::string_view value, const std::string& step) {
  if (value.empty() || value == "auto") {
    return std::nullopt;
  }
  if (value == "kvm") {
    return AccelKind::kvm;
  }
  if (value == "tcg") {
    return AccelKind::tcg;
  }
  return fail(step, std::string(value), "not kvm, tcg or auto");
}

std::optional<std::string> kvm_device_problem() {
  const UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (!kvm) {
    if (errno == ENOENT) {
      return "/dev/kvm is absent";
    }
    return fmt::format("/dev/kvm cannot be opened: {}", std::strerror(errno));
  }
  if (const int version = ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0); version != KVM_API_VERSION) {
    return fmt::format("/dev/kvm answers KVM_GET_API_VERSION with {}, not {}", version, KVM_API_VERSION);
  }
  return std::nullopt;
}

}  // namespace strata::vm
