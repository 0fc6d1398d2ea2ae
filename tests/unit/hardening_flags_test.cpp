#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include <algorithm>

#include "base/parse.hpp"
#include "isolate/plan.hpp"
#include "spec/spec.hpp"

namespace strata {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("10").value(), milliseconds(10000));
  EXPECT_EQ(parse_duration("1.5s").value(), milliseconds(1500));
  EXPECT_EQ(parse_duration("500ms").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("2m").value(), milliseconds(120000));
  EXPECT_EQ(parse_duration("1H").value(), milliseconds(3600000));
}

TEST(ParseDuration, RefusesZeroNegativeAndJunk) {
  for (const char* bad : {"", "0", "0s", "-1s", "s", "1.2.3", "5 s", "10x", "0.1ms", "400d"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(ParseCapabilities, NamesInAnyCase) {
  EXPECT_EQ(parse_capabilities("NET_ADMIN").value(), std::vector<int>{CAP_NET_ADMIN});
  EXPECT_EQ(parse_capabilities("cap_sys_ptrace").value(), std::vector<int>{CAP_SYS_PTRACE});
  EXPECT_EQ(parse_capabilities("Chown").value(), std::vector<int>{CAP_CHOWN});
  const auto all = parse_capabilities("all").value();
  EXPECT_GT(all.size(), static_cast<std::size_t>(CAP_SYS_ADMIN));
  EXPECT_EQ(capability_name(CAP_NET_RAW), "CAP_NET_RAW");
}

TEST(ParseCapabilities, UnknownNamesAreErrors) {
  for (const char* bad : {"", "bogus", "CAP_", "NET ADMIN", "12", "net_admin;"}) {
    EXPECT_FALSE(parse_capabilities(bad)) << bad;
  }
}

TEST(KeptCapabilities, AddMinusDropSortedUnique) {
  Spec spec;
  spec.cap_add = {CAP_SYS_PTRACE, CAP_NET_ADMIN, CAP_NET_ADMIN, CAP_CHOWN};
  spec.cap_drop = {CAP_CHOWN};
  EXPECT_EQ(kept_capabilities(spec), (std::vector<int>{CAP_NET_ADMIN, CAP_SYS_PTRACE}));
}

TEST(ParseRlimit, SoftHardAndUnits) {
  auto nofile = parse_rlimit("nofile=64").value();
  EXPECT_EQ(nofile.resource, RLIMIT_NOFILE);
  EXPECT_EQ(nofile.soft, 64U);
  EXPECT_EQ(nofile.hard, 64U);
  auto fsize = parse_rlimit("fsize=1m:2m").value();
  EXPECT_EQ(fsize.soft, 1U << 20);
  EXPECT_EQ(fsize.hard, 2U << 20);
  EXPECT_EQ(parse_rlimit("core=0").value().soft, 0U);
  EXPECT_EQ(parse_rlimit("stack=unlimited").value().hard, RLIM_INFINITY);
}

TEST(ParseRlimit, RefusesUnknownAndInverted) {
  for (const char* bad : {"files=1", "nofile", "nofile=", "nofile=x", "nofile=10:5", "=5", "nofile=-1"}) {
    EXPECT_FALSE(parse_rlimit(bad)) << bad;
  }
}

TEST(ParseModes, LandlockSeccompCpus) {
  EXPECT_EQ(parse_landlock("require").value(), LandlockMode::require);
  EXPECT_EQ(parse_landlock("off").value(), LandlockMode::off);
  EXPECT_FALSE(parse_landlock("on"));
  EXPECT_EQ(parse_seccomp("unconfined").value().kind, SeccompChoice::Kind::unconfined);
  EXPECT_EQ(parse_seccomp("default").value().kind, SeccompChoice::Kind::builtin);
  EXPECT_EQ(parse_seccomp("p.json").value().path, "p.json");
  EXPECT_FALSE(parse_seccomp(""));
  EXPECT_DOUBLE_EQ(parse_cpus("0.5").value(), 0.5);
  for (const char* bad : {"0", "-1", "x", "", "1e9", "0.001"}) {
    EXPECT_FALSE(parse_cpus(bad)) << bad;
  }
}

HostFacts host() {
  HostFacts facts;
  facts.top_level = {{"/usr", std::nullopt}, {"/etc", std::nullopt}};
  return facts;
}

TEST(HardeningPlan, MasksComeLastAndCoverTheOciDefaults) {
  Spec spec;
  spec.argv = {"true"};
  spec.mounts = {parse_tmpfs("/scratch").value()};
  const Plan plan = build_plan(spec, host());
  const auto first_mask = std::ranges::find(plan.mounts, StepKind::mask, &MountStep::kind);
  ASSERT_NE(first_mask, plan.mounts.end());
  EXPECT_LT(std::ranges::find(plan.mounts, "/scratch", &MountStep::destination), first_mask)
      << "a user mount must not land on top of a mask";
  for (const char* path :
       {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware"}) {
    const auto it = std::ranges::find(plan.mounts, path, &MountStep::destination);
    ASSERT_NE(it, plan.mounts.end()) << path;
    EXPECT_EQ(it->kind, StepKind::mask) << path;
  }
  const auto sys = std::ranges::find(plan.mounts, "/proc/sys", &MountStep::destination);
  ASSERT_NE(sys, plan.mounts.end());
  EXPECT_EQ(sys->kind, StepKind::read_only);
}

TEST(HardeningPlan, SysfsOnlyWithItsOwnNetworkNamespace) {
  Spec spec;
  spec.argv = {"true"};
  Plan plan = build_plan(spec, host());
  EXPECT_EQ(std::ranges::find(plan.mounts, "/sys", &MountStep::destination)->kind, StepKind::sysfs);
  spec.net = NetMode::host;
  plan = build_plan(spec, host());
  const auto sys = std::ranges::find(plan.mounts, "/sys", &MountStep::destination);
  EXPECT_EQ(sys->kind, StepKind::bind);
  EXPECT_TRUE(sys->read_only);
}

TEST(HardeningPlan, LandlockWritesOnlyBeneathWritableMounts) {
  Spec spec;
  spec.argv = {"true"};
  spec.mounts = {parse_bind("/srv/rw:/rw", MountKind::bind).value(),
                 parse_bind("/srv/ro:/ro", MountKind::ro_bind).value()};
  const Plan plan = build_plan(spec, host());
  const auto writable = [&](const std::string& path) {
    const auto it = std::ranges::find(plan.landlock_rules, path, &LandlockRule::path);
    return it != plan.landlock_rules.end() && it->writable;
  };
  EXPECT_EQ(plan.landlock_rules.front(), (LandlockRule{.path = "/", .writable = false}));
  EXPECT_TRUE(writable("/rw"));
  EXPECT_TRUE(writable("/tmp"));
  EXPECT_TRUE(writable("/dev/null"));
  EXPECT_FALSE(writable("/ro"));
  EXPECT_FALSE(writable("/usr"));
  EXPECT_FALSE(writable("/dev")) << "the /dev tmpfs itself: nothing may be created there";

  spec.landlock = LandlockMode::off;
  EXPECT_TRUE(build_plan(spec, host()).landlock_rules.empty());
}

}  // namespace
}  // namespace strata
