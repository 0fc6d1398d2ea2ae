// The VM accelerator decision without running QEMU: the cache's key and
// file, the judgement of a probe run, QEMU's error line, the override and the
// notice. tests/integration/vm_accel_test.cpp runs the real probe.
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "base/files.hpp"
#include "vm/accel.hpp"
#include "vm/accel_cache.hpp"
#include "vm/boot_probe.hpp"

namespace strata::vm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

CacheInputs sample_inputs() {
  return CacheInputs{
      .boot_id = "d8ae8dbd-cc0b-4b3b-aee4-b6857154d43e",
      .kernel = {.path = "/boot/vmlinuz-6.1.0-56-cloud-amd64", .size = 14186432, .mtime_ns = 1700000000},
      .qemu = {.path = "/usr/bin/qemu-system-x86_64", .size = 19000000, .mtime_ns = 1690000000},
      .kvm_rdev = 0xae8,
      .bound_ms = 3000};
}

const CachedAccel kProbedTcg{.kind = AccelKind::tcg,
                             .reason = "a guest did not finish booting under KVM within 3 s",
                             .by = DecidedBy::probe};

// Restores STRATA_VM_ACCEL after a test that sets it.
class VmAccelEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv("STRATA_VM_ACCEL")) {
      saved_ = value;
    }
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("STRATA_VM_ACCEL", saved_->c_str(), 1);
    } else {
      ::unsetenv("STRATA_VM_ACCEL");
    }
  }

 private:
  std::optional<std::string> saved_;
};

class VmAccelCacheDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-accel-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST(VmAccelCache, TheFileNameIsAHashOfEveryInput) {
  const CacheInputs base = sample_inputs();
  const std::string name = cache_file_name(base);
  EXPECT_EQ(name, cache_file_name(sample_inputs())) << "stable";
  EXPECT_TRUE(name.starts_with("vm-accel-") && name.ends_with(".json")) << name;
  EXPECT_EQ(name.size(), std::string("vm-accel-.json").size() + 32) << name;
  std::vector<CacheInputs> changed(8, base);
  changed[0].boot_id = "0f0c2f6e-1111-2222-3333-444455556666";
  changed[1].kernel.path = "/boot/vmlinuz-other";
  changed[2].kernel.size += 1;
  changed[3].kernel.mtime_ns += 1;
  changed[4].qemu.path = "/usr/local/bin/qemu-system-x86_64";
  changed[5].qemu.mtime_ns += 1;
  changed[6].kvm_rdev = 0;
  changed[7].bound_ms = 10000;
  for (std::size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(cache_file_name(changed[i]), name) << "input " << i << " is not in the key";
  }
}

TEST(VmAccelCache, AnAnswerSurvivesTheRoundTrip) {
  const CacheInputs inputs = sample_inputs();
  for (const CachedAccel& answer :
       {kProbedTcg, CachedAccel{.kind = AccelKind::kvm, .reason = "", .by = DecidedBy::probe},
        CachedAccel{.kind = AccelKind::tcg, .reason = "/dev/kvm is absent", .by = DecidedBy::device}}) {
    const auto parsed = parse_cache(serialize_cache(inputs, answer), inputs);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, answer);
  }
}

TEST(VmAccelCache, AFileForOtherInputsIsRefused) {
  CacheInputs other = sample_inputs();
  other.boot_id = "another boot";
  const auto parsed = parse_cache(serialize_cache(other, kProbedTcg), sample_inputs());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(), "read the VM accelerator cache: written for other inputs");
}

TEST(VmAccelCache, CorruptTextIsRefused) {
  const CacheInputs inputs = sample_inputs();
  const std::string good = serialize_cache(inputs, kProbedTcg);
  auto with = [&good](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  for (const std::string& text : {
           std::string(), std::string("\0\0\0\0", 4), std::string("[]"), good.substr(0, good.size() / 2),
           with("\"version\": 1", "\"version\": 2"), with("\"version\": 1", "\"version\": \"1\""),
           with("\"accel\": \"tcg\"", "\"accel\": \"hvf\""), with("\"accel\": \"tcg\"", "\"accel\": 7"),
           with("\"decided_by\": \"probe\"", "\"decided_by\": \"guess\""),
           with("\"reason\": \"a guest did not finish booting under KVM within 3 s\"", "\"reason\": \"\""),
           with("\"accel\": \"tcg\"", "\"accel\": \"kvm\""),  // kvm with a reason
       }) {
    EXPECT_FALSE(parse_cache(text, inputs)) << text;
  }
}

TEST_F(VmAccelCacheDir, ACorruptFileIsIgnoredAndAStoredAnswerIsFound) {
  const CacheInputs inputs = sample_inputs();
  const std::string path = dir_ + "/" + cache_file_name(inputs);
  EXPECT_FALSE(load_cache(dir_, inputs)) << "no file yet";
  ASSERT_TRUE(write_file_atomically(path, "{\"version\": 1, \"inputs\": {", "write"));
  EXPECT_FALSE(load_cache(dir_, inputs));
  store_cache(dir_, inputs, kProbedTcg);
  EXPECT_EQ(load_cache(dir_, inputs), kProbedTcg);
  CacheInputs other = inputs;
  other.bound_ms = 1000;
  EXPECT_FALSE(load_cache(dir_, other));
}

TEST(VmAccelProbe, AGuestThatReachedItsRootMountMeansUsable) {
  const BootRun run{.timed_out = false,
                    .exit_code = 0,
                    .signal = 0,
                    .console =
                        "[    0.81] Kernel panic - not syncing: VFS: Unable to mount root fs on "
                        "unknown-block(0,0)\n",
                    .errors = "qemu-system-x86_64: warning: host doesn't support requested feature\n",
                    .took = milliseconds(400)};
  EXPECT_EQ(boot_failure(run, std::chrono::seconds(3)), std::nullopt);
}

TEST(VmAccelProbe, EveryOtherEndHasAReason) {
  BootRun timed_out;
  timed_out.timed_out = true;
  EXPECT_EQ(boot_failure(timed_out, std::chrono::seconds(3)),
            "a guest did not finish booting under KVM within 3 s");
  EXPECT_EQ(boot_failure(timed_out, milliseconds(1500)),
            "a guest did not finish booting under KVM within 1500 ms");

  BootRun aborted;
  aborted.signal = SIGABRT;
  aborted.errors =
      "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n"
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion failed.\n";
  EXPECT_EQ(boot_failure(aborted, std::chrono::seconds(3)), "qemu: failed to set MSR 0x10a to 0x69");
  aborted.errors.clear();
  EXPECT_EQ(boot_failure(aborted, std::chrono::seconds(3)), "qemu was killed by signal 6 (Aborted)");

  BootRun failed;
  failed.exit_code = 1;
  EXPECT_EQ(boot_failure(failed, std::chrono::seconds(3)), "qemu exited with status 1");

  BootRun silent;
  silent.exit_code = 0;
  silent.console = "Linux version 6.1.0\n";
  EXPECT_EQ(boot_failure(silent, std::chrono::seconds(3)),
            "a guest under KVM ended before it reached its root mount");
}

TEST(VmAccelProbe, QemuErrorLinePrefersAnErrorToAWarning) {
  EXPECT_EQ(qemu_error_line("qemu-system-x86_64: warning: host doesn't support requested feature: "
                            "CPUID.01H:ECX.pni [bit 0]\nqemu-system-x86_64: -accel kvm: failed to initialize "
                            "kvm: Permission denied\n"),
            "qemu: -accel kvm: failed to initialize kvm: Permission denied");
  EXPECT_EQ(qemu_error_line("qemu-system-x86_64: warning: only a warning\n"),
            "qemu: warning: only a warning");
  EXPECT_EQ(qemu_error_line("Could not access KVM kernel module: No such file or directory\r\n"),
            "qemu: Could not access KVM kernel module: No such file or directory");
  EXPECT_EQ(qemu_error_line("\n  \n"), "");
  EXPECT_EQ(qemu_error_line(""), "");
  EXPECT_EQ(qemu_error_line(std::string(1000, 'x')).size(), std::string("qemu: ").size() + 200);
}

TEST(VmAccelProbe, TheProbeBootsTheKernelWithoutAnInitrdOnTheGivenConsole) {
  const auto argv = boot_probe_argv("/usr/bin/qemu-system-x86_64", "/boot/vmlinuz", AccelKind::kvm, 7);
  const std::string line = fmt::format("{}", fmt::join(argv, " "));
  EXPECT_EQ(line,
            "/usr/bin/qemu-system-x86_64 -M microvm -accel kvm -m 128 -nodefaults -no-reboot -nographic "
            "-display none -chardev socket,id=con,fd=7 -serial chardev:con -kernel /boot/vmlinuz -append "
            "console=ttyS0 panic=-1 quiet");
  EXPECT_EQ(boot_probe_argv("qemu", "vmlinuz", AccelKind::tcg, 3, "tsc_early_khz=2000000").back(),
            "console=ttyS0 panic=-1 quiet tsc_early_khz=2000000");
}

TEST(VmAccelArgs, KvmKeepsQemusCpuModelAndTcgEmulatesTheMost) {
  EXPECT_EQ(qemu_accel_args(AccelKind::kvm), (std::vector<std::string>{"-accel", "kvm"}));
  EXPECT_EQ(qemu_accel_args(AccelKind::tcg), (std::vector<std::string>{"-accel", "tcg", "-cpu", "max"}));
}

TEST(VmAccelChoice, OverridesAreKvmTcgOrAuto) {
  EXPECT_EQ(parse_accel_choice("kvm", "read STRATA_VM_ACCEL"), AccelKind::kvm);
  EXPECT_EQ(parse_accel_choice("tcg", "read STRATA_VM_ACCEL"), AccelKind::tcg);
  EXPECT_EQ(parse_accel_choice("auto", "read STRATA_VM_ACCEL"), std::nullopt);
  EXPECT_EQ(parse_accel_choice("", "read STRATA_VM_ACCEL"), std::nullopt);
  const auto bad = parse_accel_choice("KVM", "read STRATA_VM_ACCEL");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "read STRATA_VM_ACCEL 'KVM': not kvm, tcg or auto");
}

TEST_F(VmAccelEnv, TheEnvironmentOverridesWithoutProbing) {
  // /bin/true as QEMU and a kernel that does not exist: nothing is looked at.
  ::setenv("STRATA_VM_ACCEL", "kvm", 1);
  auto accel = choose_accel("/bin/true", "/nonexistent/vmlinuz");
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::kvm);
  EXPECT_TRUE(accel->forced);
  EXPECT_FALSE(accel->cached);
  EXPECT_EQ(accel->reason, "");

  ::setenv("STRATA_VM_ACCEL", "tcg", 1);
  accel = choose_accel("/bin/true", "/nonexistent/vmlinuz");
  ASSERT_TRUE(accel) << accel.error().message();
  EXPECT_EQ(accel->kind, AccelKind::tcg);
  EXPECT_TRUE(accel->forced);
  EXPECT_EQ(describe(*accel), "using TCG emulation as STRATA_VM_ACCEL=tcg asks");

  ::setenv("STRATA_VM_ACCEL", "fast", 1);
  accel = choose_accel("/bin/true", "/nonexistent/vmlinuz");
  ASSERT_FALSE(accel);
  EXPECT_EQ(accel.error().message(), "read STRATA_VM_ACCEL 'fast': not kvm, tcg or auto");
}

TEST_F(VmAccelEnv, AMissingQemuIsAClearError) {
  ::unsetenv("STRATA_VM_ACCEL");
  for (const std::string qemu : {"strata-no-such-qemu-system-x86_64", "/nonexistent/qemu-system-x86_64"}) {
    const auto accel = choose_accel(qemu, "/boot/vmlinuz");
    ASSERT_FALSE(accel);
    EXPECT_EQ(accel.error().message(), "find qemu '" + qemu + "': not found (install qemu-system-x86)");
  }
}

TEST_F(VmAccelEnv, AMissingKernelIsAnError) {
  ::unsetenv("STRATA_VM_ACCEL");
  const auto accel = choose_accel("/bin/true", "/nonexistent/vmlinuz");
  ASSERT_FALSE(accel);
  EXPECT_EQ(accel.error().message(), "find the VM kernel '/nonexistent/vmlinuz': No such file or directory");
}

TEST(VmAccelNotice, SaysWhyAndHowToOverride) {
  EXPECT_EQ(describe(Accel{.kind = AccelKind::tcg,
                           .reason = "a guest did not finish booting under KVM within 3 s",
                           .cached = false,
                           .forced = false}),
            "KVM is not usable (a guest did not finish booting under KVM within 3 s); using TCG emulation, "
            "which is slower. Cached until reboot; set STRATA_VM_ACCEL=kvm to force.");
  EXPECT_EQ(describe(Accel{.kind = AccelKind::kvm, .reason = "", .cached = true, .forced = false}),
            "using KVM");
}

}  // namespace
}  // namespace strata::vm
