// --isolation vm+sandbox and vm+container: the guest's init runs strata
// itself, which puts the workload in a sandbox inside the guest. Each test
// boots once (seconds under TCG) and checks what both layers should show.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include "harness.hpp"
#include "vm_fixtures.hpp"

namespace strata::test {
namespace {

Finished layered(const std::string& layers, const std::vector<std::string>& flags,
                 const std::vector<std::string>& command) {
  std::vector<std::string> args{"run", "--isolation", layers};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return strata(args);
}

// The status line of /proc/self/status for `key`, e.g. "Seccomp:\t2".
std::string status_field(const std::string& out, const std::string& key) {
  for (const auto& line : lines(out)) {
    if (line.starts_with(key + ":")) {
      return line.substr(key.size() + 1);
    }
  }
  return "<missing " + key + ">";
}

TEST(VmLayers, ASandboxInsideTheGuestAppliesThePolicyFlags) {
  SKIP_WITHOUT_VM();
  utsname host{};
  ::uname(&host);
  TempDir dir;
  auto f = layered("vm+sandbox",
                   {"--bind", dir.path() + ":/data", "--uid", "1000", "--cap-add", "NET_RAW", "--env",
                    "GREETING=inner", "--workdir", "/data", "--rlimit", "nofile=77"},
                   {"/bin/sh", "-c",
                    "uname -r; id -u; pwd; echo \"$GREETING\"; ulimit -n; grep -E "
                    "'^(CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; readlink /proc/1/exe; "
                    "echo written > /data/out; exit 9"});
  EXPECT_EQ(f.exit_code, 9) << describe(f);
  const auto out = lines(f.out);
  ASSERT_GE(out.size(), 5U) << describe(f);
  EXPECT_NE(out[0], host.release) << "the guest's own kernel";
  EXPECT_TRUE(path_exists("/lib/modules/" + out[0])) << out[0];
  EXPECT_EQ(out[1], "1000");
  EXPECT_EQ(out[2], "/data");
  EXPECT_EQ(out[3], "inner");
  EXPECT_EQ(out[4], "77");
  // The guest's init would show no filter, all capabilities and pid 1 = init;
  // the inner sandbox has its own pid namespace, a filter and one capability.
  EXPECT_EQ(status_field(f.out, "Seccomp"), "\t2") << describe(f);
  EXPECT_EQ(status_field(f.out, "NoNewPrivs"), "\t1") << describe(f);
  EXPECT_EQ(status_field(f.out, "CapBnd"), "\t0000000000002000") << "CAP_NET_RAW only: " << describe(f);
  EXPECT_EQ(read_file(dir / "out").value_or("<missing>"), "written\n");
}

TEST(VmLayers, AContainerInsideTheGuestHasTheImageAsAWritableRoot) {
  SKIP_WITHOUT_VM();
  TempDir home;
  auto f = run({"/usr/bin/env", "STRATA_HOME=" + home.path(), strata_bin(), "run", "--isolation",
                "vm+container", "--image", "builtin:busybox", "--", "/bin/sh", "-c",
                "uname -r; ls /bin/busybox; echo hi > /etc/x && cat /etc/x; grep '^Seccomp:' "
                "/proc/self/status; test -e /etc/debian_version || echo no-host-files"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  const auto out = lines(f.out);
  ASSERT_EQ(out.size(), 5U) << describe(f);
  EXPECT_TRUE(path_exists("/lib/modules/" + out[0])) << out[0];
  EXPECT_EQ(out[1], "/bin/busybox");
  EXPECT_EQ(out[2], "hi");
  EXPECT_EQ(out[3], "Seccomp:\t2");
  EXPECT_EQ(out[4], "no-host-files");
  auto ro =
      run({"/usr/bin/env", "STRATA_HOME=" + home.path(), strata_bin(), "run", "--isolation", "vm+container",
           "--image", "builtin:busybox", "--read-only", "--", "/bin/sh", "-c", "echo x > /etc/x"});
  EXPECT_NE(ro.exit_code, 0) << describe(ro);
  EXPECT_NE(ro.err.find("Read-only"), std::string::npos) << describe(ro);
}

TEST(VmLayers, ExitStatusesAndTimeoutsComeBackThroughBothLayers) {
  SKIP_WITHOUT_VM();
  auto missing = layered("vm+sandbox", {}, {"/no/such/program"});
  EXPECT_EQ(missing.exit_code, 127) << describe(missing);
  EXPECT_NE(missing.err.find("/no/such/program"), std::string::npos) << describe(missing);
  auto slow = layered("vm+sandbox", {"--timeout", "4s", "--kill-after", "1s"}, {"/bin/sleep", "600"});
  EXPECT_EQ(slow.exit_code, 124) << describe(slow);
}

TEST(VmLayers, DryRunShowsEachLayersPlan) {
  SKIP_WITHOUT_VM();
  auto f = layered("vm+sandbox", {"--dry-run", "--cap-add", "NET_RAW"}, {"/bin/true"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("isolation: vm"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("inside the guest: strata run --isolation sandbox --rootfs /"), std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("-- the layer inside the guest (sandbox) --"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("isolation: sandbox"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("CAP_NET_RAW"), std::string::npos) << f.out;
}

TEST(VmLayers, StacksThatDoNotNestOrCannotBeHonouredAreRefused) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"run", "--isolation", "container+vm", "--", "/bin/true"}, "hypervisor"},
      {{"run", "--isolation", "sandbox+container", "--", "/bin/true"}, "put a vm"},
      {{"run", "--isolation", "vm+container", "--", "/bin/true"}, "needs --image"},
      {{"run", "--isolation", "vm+sandbox", "--seccomp", "/etc/hostname", "--", "/bin/true"},
       "cannot read a host file"},
      {{"run", "--isolation", "vm", "--cap-add", "NET_RAW", "--", "/bin/true"}, "vm+sandbox"},
  };
  for (const auto& [args, reason] : cases) {
    auto f = strata(args);
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_NE(f.err.find(reason), std::string::npos) << describe(f);
    EXPECT_EQ(lines(f.err).size(), 1U) << describe(f);
  }
}

}  // namespace
}  // namespace strata::test
