// probe_hardware() on recorded trees (tests/fixtures/probe/hw-*): a bare-metal
// Coffee Lake with an Intel GPU and KVM modules, a Core 2 under Xen, and an
// arm64 Neoverse N1; the ISA level and KVM verdict logic on their own; and
// the running machine, KVM test guest included.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "probe/hw_cpuinfo.hpp"
#include "probe/hw_kvm.hpp"
#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

using nlohmann::json;

using namespace test_support;

// The x86-64 flags of each psABI level, as /proc/cpuinfo spells them.
const hw::FlagSet kV1{"cmov", "cx8", "fpu", "fxsr", "lm", "mmx", "sse", "sse2", "syscall"};
const hw::FlagSet kV2{"cx16", "lahf_lm", "pni", "popcnt", "sse4_1", "sse4_2", "ssse3"};
const hw::FlagSet kV3{"abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"};
const hw::FlagSet kV4{"avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"};

hw::FlagSet merge(std::initializer_list<const hw::FlagSet*> sets) {
  hw::FlagSet out;
  for (const auto* set : sets) {
    out.insert(set->begin(), set->end());
  }
  return out;
}

TEST(ProbeHardware, IsaLevelCountsOnlyCompleteLevels) {
  using V = std::vector<std::string>;
  EXPECT_EQ(hw::x86_isa_level(merge({&kV1, &kV2, &kV3, &kV4})).level, 4);
  EXPECT_EQ(hw::x86_isa_level(merge({&kV1, &kV2, &kV3, &kV4})).missing, V{});
  const hw::IsaLevel v3 = hw::x86_isa_level(merge({&kV1, &kV2, &kV3}));
  EXPECT_EQ(v3.level, 3);
  EXPECT_EQ(v3.missing, (V{"avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"}));
  EXPECT_EQ(hw::x86_isa_level(merge({&kV1, &kV2})).level, 2);
  EXPECT_EQ(hw::x86_isa_level(kV1).level, 1);

  // Every v3 and v4 flag but no SSE3 ("pni"): the levels are cumulative.
  hw::FlagSet no_sse3 = merge({&kV1, &kV2, &kV3, &kV4});
  no_sse3.erase("pni");
  const hw::IsaLevel v1 = hw::x86_isa_level(no_sse3);
  EXPECT_EQ(v1.level, 1);
  EXPECT_EQ(v1.missing, V{"pni"});

  // A 32-bit CPU: not even the x86-64 baseline.
  hw::FlagSet i686 = kV1;
  i686.erase("lm");
  i686.erase("syscall");
  const hw::IsaLevel none = hw::x86_isa_level(i686);
  EXPECT_EQ(none.level, 0);
  EXPECT_EQ(none.missing, (V{"lm", "syscall"}));
  EXPECT_EQ(hw::isa_level_name(3), "x86-64-v3");
}

TEST(ProbeHardware, ParsesCpuinfoOfTheFirstProcessor) {
  const hw::CpuInfo cpu = hw::parse_cpuinfo(
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 158\nflags\t\t: sse lm  sse2\n\n"
      "processor\t: 1\nvendor_id\t: Other\nmodel\t\t: 1\nflags\t\t: avx512f\n\n");
  EXPECT_EQ(cpu.processors, 2);
  EXPECT_EQ(cpu.fields.at("vendor_id"), "GenuineIntel");
  EXPECT_EQ(cpu.fields.at("model"), "158");
  EXPECT_EQ(cpu.flags, (hw::FlagSet{"lm", "sse", "sse2"}));
  EXPECT_EQ(cpu.arch, "x86_64");
  EXPECT_EQ(hw::parse_cpuinfo("").processors, 0);
  EXPECT_EQ(hw::parse_cpuinfo("").arch, "");
}

TEST(ProbeHardware, IntelV3Tree) {
  const Facts facts = probe_tree(kFixtures / "hw-intel-v3", probe_hardware);
  EXPECT_EQ(keys(facts), (std::vector<std::string>{
                             "arch", "cpu.family", "cpu.flags", "cpu.isa_level", "cpu.isa_level_missing",
                             "cpu.logical_cores", "cpu.model", "cpu.model_name", "cpu.stepping", "cpu.vendor",
                             "device./dev/dri/card0", "device./dev/dri/renderD128", "endianness",
                             "hypervisor", "kvm.modules", "kvm.present", "memory.total_bytes"}));
  EXPECT_EQ(value(facts, "arch"), "x86_64");
  EXPECT_EQ(source(facts, "arch"), "/proc/cpuinfo");
  EXPECT_EQ(value(facts, "endianness"), "little");
  EXPECT_EQ(value(facts, "cpu.vendor"), "GenuineIntel");
  EXPECT_EQ(value(facts, "cpu.family"), 6);
  EXPECT_EQ(value(facts, "cpu.model"), 158);
  EXPECT_EQ(value(facts, "cpu.stepping"), 10);
  EXPECT_EQ(value(facts, "cpu.model_name"), "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz");
  EXPECT_EQ(value(facts, "cpu.isa_level"), "x86-64-v3");
  EXPECT_EQ(value(facts, "cpu.isa_level_missing"),
            json::array({"avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"}));
  const json flags = value(facts, "cpu.flags");
  ASSERT_TRUE(flags.is_array());
  EXPECT_EQ(flags.size(), 117U);
  EXPECT_EQ(flags.front(), "3dnowprefetch");
  EXPECT_TRUE(std::is_sorted(flags.begin(), flags.end()));
  EXPECT_EQ(value(facts, "cpu.logical_cores"), 2);
  EXPECT_EQ(value(facts, "memory.total_bytes"), 32752812ULL * 1024);
  EXPECT_EQ(value(facts, "hypervisor"), false);
  EXPECT_EQ(value(facts, "kvm.present"), true);
  EXPECT_EQ(value(facts, "kvm.modules"), json::array({"kvm", "kvm_intel"}));
  EXPECT_EQ(value(facts, "device./dev/dri/card0"), (json{{"kind", "gpu"}, {"driver", "i915"}}));
  EXPECT_EQ(source(facts, "device./dev/dri/card0"), "/dev/dri, /sys/class/drm/card0/device/driver");
  EXPECT_EQ(value(facts, "device./dev/dri/renderD128"), (json{{"kind", "gpu"}, {"driver", "i915"}}));
}

TEST(ProbeHardware, OldCpuUnderXenIsV1) {
  const Facts facts = probe_tree(kFixtures / "hw-old-v1", probe_hardware);
  EXPECT_EQ(value(facts, "cpu.isa_level"), "x86-64-v1");
  EXPECT_EQ(value(facts, "cpu.isa_level_missing"), json::array({"popcnt", "sse4_2"}));
  EXPECT_EQ(value(facts, "cpu.model"), 23);
  EXPECT_EQ(value(facts, "cpu.model_name"), "Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz");
  EXPECT_EQ(value(facts, "memory.total_bytes"), 4030408ULL * 1024);
  EXPECT_EQ(value(facts, "hypervisor"), true);
  EXPECT_EQ(value(facts, "hypervisor.type"), "xen");
  EXPECT_EQ(source(facts, "hypervisor.type"), "/sys/hypervisor/type");
  EXPECT_EQ(value(facts, "kvm.modules"), json::array());
  // No /dev in the tree: nothing can be said about /dev/kvm or devices.
  EXPECT_FALSE(facts.contains("kvm.present"));
  EXPECT_FALSE(facts.contains("kvm.usable"));
  EXPECT_FALSE(facts.contains("page_size"));
}

TEST(ProbeHardware, Aarch64Tree) {
  const Facts facts = probe_tree(kFixtures / "hw-aarch64", probe_hardware);
  EXPECT_EQ(keys(facts), (std::vector<std::string>{
                             "arch", "cpu.architecture", "cpu.flags", "cpu.implementer", "cpu.logical_cores",
                             "cpu.part", "cpu.revision", "cpu.variant", "cpu.vendor", "device./dev/vfio/vfio",
                             "endianness", "kvm.modules", "kvm.present", "memory.total_bytes"}));
  EXPECT_EQ(value(facts, "arch"), "aarch64");
  EXPECT_EQ(value(facts, "endianness"), "little");
  EXPECT_EQ(value(facts, "cpu.vendor"), "ARM");
  EXPECT_EQ(value(facts, "cpu.implementer"), "0x41");
  EXPECT_EQ(value(facts, "cpu.part"), "0xd0c");
  EXPECT_EQ(value(facts, "cpu.variant"), "0x3");
  EXPECT_EQ(value(facts, "cpu.revision"), 1);
  EXPECT_EQ(value(facts, "cpu.architecture"), 8);
  EXPECT_EQ(value(facts, "cpu.flags"),
            json::array({"aes", "asimd", "asimddp", "asimdhp", "asimdrdm", "atomics", "cpuid", "crc32",
                         "dcpop", "evtstrm", "fp", "fphp", "lrcpc", "pmull", "sha1", "sha2", "ssbs"}));
  EXPECT_EQ(value(facts, "cpu.logical_cores"), 4);
  EXPECT_EQ(value(facts, "kvm.present"), false);
  EXPECT_EQ(value(facts, "device./dev/vfio/vfio"), (json{{"kind", "vfio"}}));
}

TEST(ProbeHardware, ArchEndianness) {
  EXPECT_EQ(hw::arch_endianness("x86_64"), "little");
  EXPECT_EQ(hw::arch_endianness("s390x"), "big");
  EXPECT_EQ(hw::arch_endianness("vax"), "");
}

TEST(ProbeHardware, JudgesTheTestGuest) {
  using hw::GuestStage;
  const hw::GuestRun answered{.exit_reason = 2 /* KVM_EXIT_IO */,
                              .io_port = 0x10,
                              .io_out = true,
                              .io_value = 42,
                              .stage = GuestStage::long_mode};
  EXPECT_TRUE(hw::judge_guest_run(answered, false).usable);
  EXPECT_EQ(hw::judge_guest_run(answered, true).reason, "");

  // What this project's PVM host does: the guest dies writing EFER.LME.
  const hw::GuestRun shutdown{.exit_reason = 8 /* KVM_EXIT_SHUTDOWN */, .stage = GuestStage::protected_mode};
  const hw::KvmVerdict pvm = hw::judge_guest_run(shutdown, true);
  EXPECT_FALSE(pvm.usable);
  EXPECT_EQ(
      pvm.reason,
      "the test guest stopped with KVM_EXIT_SHUTDOWN (a triple fault) in protected mode, switching to long "
      "mode; kvm_pvm is loaded: a PVM host runs only guest kernels built for PVM");

  const hw::GuestRun hang{.timed_out = true, .stage = GuestStage::none};
  EXPECT_EQ(
      hw::judge_guest_run(hang, false).reason,
      "KVM_RUN did not finish the test guest within 20 ms; it was last seen before its first instruction");

  const hw::GuestRun denied{.failed_step = "open /dev/kvm", .err = EACCES};
  EXPECT_EQ(hw::judge_guest_run(denied, false).reason, "open /dev/kvm: Permission denied");

  hw::GuestRun wrong = answered;
  wrong.io_value = 7;
  EXPECT_FALSE(hw::judge_guest_run(wrong, false).usable);
  EXPECT_EQ(hw::judge_guest_run(wrong, false).reason,
            "the test guest wrote 7 to port 0x10 instead of 42 to port 0x10, in long mode");

  // The right answer without passing through long mode is not enough.
  hw::GuestRun early = answered;
  early.stage = GuestStage::real_mode;
  EXPECT_FALSE(hw::judge_guest_run(early, false).usable);
}

TEST(ProbeHardware, LiveSanity) {
  const Facts facts = probe_hardware(Root::live());
  ASSERT_TRUE(value(facts, "arch").is_string());
  EXPECT_FALSE(value(facts, "arch").get<std::string>().empty());
  EXPECT_GE(value(facts, "cpu.logical_cores").get<int>(), 1);
  EXPECT_GE(value(facts, "cpu.allowed_cores").get<int>(), 1);
  EXPECT_GE(value(facts, "page_size").get<long>(), 4096);
  EXPECT_GT(value(facts, "memory.total_bytes").get<std::uint64_t>(), 0U);
#if defined(__x86_64__)
  EXPECT_TRUE(value(facts, "cpu.isa_level").is_string());
  EXPECT_TRUE(value(facts, "hypervisor.vendor").is_string() || value(facts, "hypervisor.vendor").is_null());
  ASSERT_TRUE(value(facts, "kvm.usable").is_boolean());
  if (!value(facts, "kvm.usable").get<bool>()) {
    EXPECT_FALSE(value(facts, "kvm.reason").get<std::string>().empty());
  } else {
    EXPECT_FALSE(facts.contains("kvm.reason"));
  }
#endif
}

#if defined(__x86_64__)
TEST(ProbeHardware, LiveTestGuestIsQuickAndLeavesNoSignalBehind) {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    GTEST_SKIP() << "/dev/kvm is missing or not accessible: " << std::strerror(errno);
  }
  struct sigaction before = {};
  ASSERT_EQ(::sigaction(SIGRTMAX, nullptr, &before), 0);
  sigset_t mask_before;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &mask_before), 0);

  const auto start = std::chrono::steady_clock::now();
  const hw::GuestRun run = hw::run_test_guest();
  const auto took = std::chrono::steady_clock::now() - start;
  // It returns: a generous bound that only a hang exceeds (timings are bench/'s job).
  EXPECT_LT(took, std::chrono::seconds(5));
  const hw::KvmVerdict verdict = hw::judge_guest_run(run, false);
  EXPECT_EQ(verdict.usable, verdict.reason.empty()) << verdict.reason;

  struct sigaction after = {};
  ASSERT_EQ(::sigaction(SIGRTMAX, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  sigset_t mask_after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &mask_after), 0);
  EXPECT_EQ(sigismember(&mask_after, SIGRTMAX), sigismember(&mask_before, SIGRTMAX));
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGRTMAX), 0);
}

// What a host whose KVM never returns from KVM_RUN looks like: the deadline
// must end it, and nothing of the timer may outlive the call.
TEST(ProbeHardware, LiveGuestThatNeverAnswersTimesOut) {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    GTEST_SKIP() << "/dev/kvm is missing or not accessible: " << std::strerror(errno);
  }
  // mov al, 1; out 0x11, al; jmp $
  constexpr std::array<std::uint8_t, 6> kSpin{0xb0, 0x01, 0xe6, 0x11, 0xeb, 0xfe};
  for (const auto deadline : {std::chrono::milliseconds(20), std::chrono::milliseconds(0)}) {
    const auto start = std::chrono::steady_clock::now();
    const hw::GuestRun run = hw::run_guest_code(kSpin, deadline);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(run.timed_out) << run.failed_step << " exit " << run.exit_reason;
    EXPECT_EQ(run.stage, hw::GuestStage::real_mode);
    EXPECT_GE(took, deadline);
    EXPECT_LT(took, std::chrono::seconds(5));  // ended by the deadline, not hung
    EXPECT_FALSE(hw::judge_guest_run(run, false).usable);
  }
  struct sigaction after = {};
  ASSERT_EQ(::sigaction(SIGRTMAX, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, SIG_DFL);
  sigset_t pending;
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGRTMAX), 0);
}
#endif

}  // namespace
}  // namespace strata::probe
