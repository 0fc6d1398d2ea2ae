// The initramfs strata writes boots the machine's kernel under QEMU: the
// kernel unpacks the cpio from a memfd and runs strata-vm-init as /init.
// Until strata knows it is a guest's init it prints an error and exits, and
// the kernel panics "Attempted to kill init"; panic=-1 and -no-reboot then
// end QEMU. Emulated (TCG), never -accel kvm: no nested KVM on CI.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/unique_fd.hpp"
#include "harness.hpp"
#include "vm/initramfs.hpp"
#include "vm/kernel.hpp"

namespace strata::test {
namespace {

constexpr const char* kQemu = "/usr/bin/qemu-system-x86_64";

// The host's TSC rate, which TCG passes through to the guest. Under load the
// guest's own calibration against the emulated PIT fails, and the kernel then
// hangs at "tsc: Marking TSC unstable" (19 boots of 20 with two at once);
// "tsc_early_khz=" skips the calibration. Empty when /proc/cpuinfo lacks it.
std::string tsc_early_khz() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("cpu MHz")) {
      const double mhz = std::stod(line.substr(line.find(':') + 1));
      return " tsc_early_khz=" + std::to_string(static_cast<long>(mhz * 1000));
    }
  }
  return "";
}

TEST(VmBoot, TheKernelUnpacksTheInitramfsAndRunsStrataAsInit) {
  if (::access(kQemu, X_OK) != 0) {
    GTEST_SKIP() << "no " << kQemu << " (Debian package qemu-system-x86)";
  }
  const auto kernel = vm::find_kernel(std::nullopt);
  if (!kernel) {
    GTEST_SKIP() << kernel.error().message();
  }
  const std::string init = (std::filesystem::path(strata_bin()).parent_path() / "strata-vm-init").string();
  if (!path_exists(init)) {
    GTEST_SKIP() << "no " << init << " (built without STRATA_STATIC)";
  }
  const auto modules = vm::resolve_modules(kernel->modules_dir, vm::guest_module_names(true));
  ASSERT_TRUE(modules) << modules.error().message();
  const UniqueFd initramfs(::memfd_create("initramfs", MFD_CLOEXEC));
  ASSERT_TRUE(initramfs.valid());
  const auto written = vm::write_initramfs(initramfs.get(), init, *modules);
  ASSERT_TRUE(written) << written.error().message();

  // reboot=t: the default (ACPI reset) now and then restarts the machine
  // despite -no-reboot, booting it again.
  Process qemu = Process::start(
      {kQemu, "-M", "microvm", "-m", "256", "-nodefaults", "-no-reboot", "-nographic", "-serial", "stdio",
       "-kernel", kernel->path, "-initrd", "/proc/self/fd/" + std::to_string(initramfs.get()), "-append",
       "console=ttyS0 panic=-1 quiet reboot=t" + tsc_early_khz()},
      {initramfs.get()});
  const Finished f = qemu.wait(std::chrono::seconds(120));
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("strata: "), std::string::npos) << "strata did not run as /init:\n" << f.out;
  const std::size_t panic = f.out.find("Attempted to kill init");
  EXPECT_NE(panic, std::string::npos) << f.out;
  EXPECT_EQ(panic, f.out.rfind("Attempted to kill init")) << "the machine booted twice:\n" << f.out;
}

}  // namespace
}  // namespace strata::test
