// The VM accelerator probe for real: the host's QEMU booting the host's
// kernel, and fake QEMUs (shell scripts) that hang, fail or pass, to see that
// a hung probe is killed at its bound with everything it started, that
// QEMU's error becomes the reason, and that the cache is used and repaired.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "harness.hpp"
#include "vm/accel.hpp"
#include "vm/accel_cache.hpp"
#include "vm/boot_probe.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using vm::AccelKind;
using vm::AccelOptions;

using Clock = std::chrono::steady_clock;

// The decision must not depend on the caller's environment.
class VmAccel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv("STRATA_VM_ACCEL")) {
      saved_ = value;
    }
    ::unsetenv("STRATA_VM_ACCEL");
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("STRATA_VM_ACCEL", saved_->c_str(), 1);
    }
  }

  // A fake qemu: `body` after a shebang, executable.
  std::string fake_qemu(const std::string& body) const {
    const std::string path = dir_ / "qemu-system-x86_64";
    write_file(path, "#!/bin/sh\n" + body);
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    return path;
  }
  // Any file serves as the kernel of a fake qemu.
  std::string fake_kernel() const {
    const std::string path = dir_ / "vmlinuz";
    write_file(path, "not a kernel");
    return path;
  }
  AccelOptions options(milliseconds bound) const { return {.bound = bound, .cache_dir = cache_.path()}; }

  // The fake reaches the probe only past the device checks.
  static void skip_without_kvm_device() {
    if (auto problem = vm::kvm_device_problem()) {
      GTEST_SKIP() << "the probe needs a /dev/kvm that opens: " << *problem;
    }
  }

  TempDir dir_;
  TempDir cache_;

 private:
  std::optional<std::string> saved_;
};

std::optional<std::string> host_kernel() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    if (entry.path().filename().string().starts_with("vmlinuz-") && entry.is_regular_file()) {
      return entry.path().string();
    }
  }
  return std::nullopt;
}

TEST_F(VmAccel, TheHostKernelGetsAnAnswerThatIsCachedAfterwards) {
  const auto qemu = vm::find_qemu("qemu-system-x86_64");
  if (!qemu) {
    GTEST_SKIP() << qemu.error().message();
  }
  const auto kernel = host_kernel();
  if (!kernel) {
    GTEST_SKIP() << "no /boot/vmlinuz-* to boot";
  }
  const milliseconds bound = vm::kDefaultProbeBound;
  const auto start = Clock::now();
  const auto first = vm::choose_accel("qemu-system-x86_64", *kernel, options(bound));
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  ASSERT_TRUE(first) << first.error().message();
  std::cout << "choose_accel(" << *kernel << "): " << vm::describe(*first) << " [" << took.count()
            << " ms]\n";
  EXPECT_LT(took, bound + std::chrono::seconds(2)) << "the probe overran its bound";
  EXPECT_FALSE(first->cached);
  EXPECT_FALSE(first->forced);
  EXPECT_EQ(first->kind == AccelKind::tcg, !first->reason.empty()) << first->reason;

  const auto second = vm::choose_accel("qemu-system-x86_64", *kernel, options(bound));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->kind, first->kind);
  EXPECT_EQ(second->reason, first->reason);
}

// The probe's plumbing (console socket, exit, judgement) with the real QEMU:
// under TCG the host kernel boots to its root-mount panic on any machine.
// tsc_early_khz: without it a TCG guest on a busy host (ctest -j) fails to
// calibrate its TSC against the PIT and hangs; its value does not matter here.
TEST_F(VmAccel, TheProbeGuestReachesItsRootMountUnderTcg) {
  const auto qemu = vm::find_qemu("qemu-system-x86_64");
  if (!qemu) {
    GTEST_SKIP() << qemu.error().message();
  }
  const auto kernel = host_kernel();
  if (!kernel) {
    GTEST_SKIP() << "no /boot/vmlinuz-* to boot";
  }
  const milliseconds bound = std::chrono::seconds(60);
  const auto run = vm::run_boot_probe(*qemu, *kernel, AccelKind::tcg, bound, "tsc_early_khz=2000000");
  ASSERT_TRUE(run) << run.error().message();
  std::cout << "TCG boot to the root-mount panic: " << run->took.count() << " ms\n";
  EXPECT_EQ(vm::boot_failure(*run, bound), std::nullopt)
      << "exit " << run->exit_code << ", signal " << run->signal << ", stderr: " << run->errors
      << "\nconsole: " << run->console;
}

TEST_F(VmAccel, AQemuThatNeverFinishesIsKilledAtTheBoundWithWhatItStarted) {
  skip_without_kvm_device();
  const std::string marker = unique_token();
  // A background child in QEMU's process group, and QEMU itself, never end.
  const std::string qemu =
      fake_qemu("export STRATA_ACCEL_TEST=" + marker + "\nsleep 1000 &\nexec sleep 1000\n");
  const milliseconds bound(500);
  const auto start = Clock::now();
  const auto accel = vm::choose_accel(qemu, fake_kernel(), options(bound));
  const auto took = Clock::now() - start;
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::tcg);
  EXPECT_EQ(accel->reason, "a guest did not finish booting under KVM within 500 ms");
  EXPECT_FALSE(accel->cached);
  EXPECT_LT(took, bound + std::chrono::seconds(2)) << "the probe overran its bound";
  // SIGKILL is asynchronous: the background sleep may take a moment to go.
  std::set<pid_t> left = processes_carrying(marker);
  for (int i = 0; i < 200 && !left.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
    left = processes_carrying(marker);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) of the probe outlived it";
}

TEST_F(VmAccel, QemusFirstErrorLineIsTheReason) {
  skip_without_kvm_device();
  const std::string qemu = fake_qemu(
      "echo \"$0: warning: host doesn't support requested feature\" >&2\n"
      "echo \"$0: error: failed to set MSR 0x10a to 0x69\" >&2\n"
      "echo \"$0: a second line\" >&2\n"
      "exit 1\n");
  const auto accel = vm::choose_accel(qemu, fake_kernel(), options(std::chrono::seconds(3)));
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::tcg);
  EXPECT_EQ(accel->reason, "qemu: failed to set MSR 0x10a to 0x69");
  EXPECT_EQ(
      vm::describe(*accel),
      "KVM is not usable (qemu: failed to set MSR 0x10a to 0x69); using TCG emulation, which is slower. "
      "Cached until reboot; set STRATA_VM_ACCEL=kvm to force.");
}

TEST_F(VmAccel, AGuestThatPanicsAtItsRootMountAndExitsMeansKvm) {
  skip_without_kvm_device();
  // Writes the panic to the console fd QEMU is given (-chardev socket,fd=N).
  const std::string qemu = fake_qemu(
      "for a in \"$@\"; do case $a in socket,id=con,fd=*) fd=${a##*fd=};; esac; done\n"
      "eval \"echo 'Kernel panic - not syncing: VFS: Unable to mount root fs' >&$fd\"\n"
      "exit 0\n");
  const auto accel = vm::choose_accel(qemu, fake_kernel(), options(std::chrono::seconds(3)));
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::kvm) << accel->reason;
  EXPECT_EQ(accel->reason, "");
}

TEST_F(VmAccel, AGuestThatExitsWithoutBootingIsNotProofOfKvm) {
  skip_without_kvm_device();
  const std::string qemu = fake_qemu("exit 0\n");
  const auto accel = vm::choose_accel(qemu, fake_kernel(), options(std::chrono::seconds(3)));
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::tcg);
  EXPECT_EQ(accel->reason, "a guest under KVM ended before it reached its root mount");
}

TEST_F(VmAccel, ACorruptCacheFileIsIgnoredAndProbedAgain) {
  skip_without_kvm_device();
  const std::string runs = dir_ / "runs";
  const std::string qemu =
      fake_qemu("echo run >>" + runs + "\necho \"$0: error: no KVM here\" >&2\nexit 1\n");
  const std::string kernel = fake_kernel();
  const milliseconds bound(3000);
  const auto inputs = vm::gather_cache_inputs(qemu, kernel, bound);
  ASSERT_TRUE(inputs) << inputs.error().message();
  const std::string cache_file = cache_.path() + "/" + vm::cache_file_name(*inputs);
  write_file(cache_file, "{\"version\": 1, \"accel\": \"kvm\"");

  const auto first = vm::choose_accel(qemu, kernel, options(bound));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->cached);
  EXPECT_EQ(first->reason, "qemu: no KVM here");
  EXPECT_EQ(read_file(runs), "run\n");
  const auto repaired = vm::parse_cache(read_file(cache_file).value_or(""), *inputs);
  EXPECT_TRUE(repaired) << repaired.error().message();

  const auto second = vm::choose_accel(qemu, kernel, options(bound));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->reason, "qemu: no KVM here");
  EXPECT_EQ(read_file(runs), "run\n") << "a cached answer was probed again";
}

TEST_F(VmAccel, AQemuThatCannotBeExecutedIsAnError) {
  skip_without_kvm_device();
  const std::string qemu = dir_ / "qemu-system-x86_64";
  write_file(qemu, "#!/nonexistent/interpreter\n");
  fs::permissions(qemu, fs::perms::owner_all);
  const auto accel = vm::choose_accel(qemu, fake_kernel(), options(std::chrono::seconds(3)));
  ASSERT_FALSE(accel);
  EXPECT_EQ(accel.error().message(), "start qemu '" + qemu + "': No such file or directory");
}

}  // namespace
}  // namespace strata::test
