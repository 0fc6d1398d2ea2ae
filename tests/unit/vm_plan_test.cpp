// --isolation vm as data: the Plan the guest gets, the Job its init is sent,
// the QEMU command line, and the flags the VM refuses.
#include <gtest/gtest.h>

#include <algorithm>

#include "isolate/plan.hpp"
#include "vm/qemu.hpp"
#include "vm/vm_backend.hpp"

namespace strata {
namespace {

HostFacts host_facts() {
  HostFacts host;
  host.uid = 0;
  host.gid = 0;
  host.cwd = "/home/me";
  host.environ = {{"PATH", "/usr/bin:/bin"}, {"SECRET", "x"}};
  host.top_level = {{"/usr", std::nullopt}, {"/etc", std::nullopt}, {"/bin", "usr/bin"}};
  return host;
}

Spec vm_spec() {
  Spec spec;
  spec.isolation = Isolation::vm;
  spec.argv = {"uname", "-r"};
  return spec;
}

bool has(const std::vector<std::string>& argv, const std::string& word) {
  return std::ranges::find(argv, word) != argv.end();
}

TEST(VmPlan, TheRootIsTheSystemDirsAndTheGuestMountsItsOwnKernelFilesystems) {
  Spec spec = vm_spec();
  spec.mounts.push_back(
      MountSpec{.kind = MountKind::tmpfs, .source = {}, .destination = "/scratch", .size = 4096});
  const Plan plan = build_plan(spec, host_facts());
  ASSERT_TRUE(plan.vm.has_value());
  EXPECT_TRUE(plan.namespaces.empty());
  EXPECT_TRUE(plan.root_read_only);
  for (const auto& step : plan.mounts) {
    EXPECT_NE(step.kind, StepKind::proc) << "the guest mounts its own /proc";
    EXPECT_NE(step.kind, StepKind::mask);
  }
  const vm::Job job = vm::make_job(plan);
  ASSERT_EQ(job.shares.size(), 1U);
  EXPECT_EQ(job.shares[0].destination, "/");
  EXPECT_TRUE(job.shares[0].read_only);
  ASSERT_EQ(job.tmpfs.size(), 1U);
  EXPECT_EQ(job.tmpfs[0].destination, "/scratch");
  EXPECT_EQ(job.tmpfs[0].size, 4096U);
  EXPECT_TRUE(job.private_tmp);
  EXPECT_FALSE(job.network);
  EXPECT_EQ(job.hostname, "strata");
  EXPECT_EQ(job.cwd, "/home/me");
  EXPECT_FALSE(job.cwd_required);
  EXPECT_TRUE(std::ranges::find(job.env, "SECRET=x") == job.env.end()) << "only the safe variables pass";
}

TEST(VmPlan, AWritableBindMakesTheGuestMountTheRootWritable) {
  Spec spec = vm_spec();
  spec.mounts.push_back(
      MountSpec{.kind = MountKind::bind, .source = "/srv", .destination = "/data", .size = 0});
  spec.net = NetMode::user;
  const vm::Job job = vm::make_job(build_plan(spec, host_facts()));
  EXPECT_FALSE(job.shares[0].read_only)
      << "read-only is enforced by virtiofsd's mounts; the guest must not hide the bind";
  EXPECT_TRUE(job.network);
  EXPECT_TRUE(job.under_tmp.empty());
  spec.mounts.push_back(
      MountSpec{.kind = MountKind::bind, .source = "/srv", .destination = "/tmp/work", .size = 0});
  EXPECT_EQ(vm::make_job(build_plan(spec, host_facts())).under_tmp, std::vector<std::string>{"/tmp/work"})
      << "the guest's private /tmp would hide it";
}

TEST(VmPlan, TheQemuCommandLine) {
  vm::QemuConfig config{.qemu = "/usr/bin/qemu-system-x86_64",
                        .kvm = false,
                        .kernel = "/boot/vmlinuz-x",
                        .initrd = "/dev/fd/6",
                        .memory_mib = 300,
                        .cpus = 2,
                        .network = false,
                        .tsc_khz = 2600000};
  auto argv = vm::qemu_argv(config);
  EXPECT_TRUE(has(argv, "microvm,memory-backend=mem"));
  EXPECT_TRUE(has(argv, "tcg"));
  EXPECT_TRUE(has(argv, "max")) << "TCG gets the most capable CPU model";
  EXPECT_TRUE(has(argv, "300M"));
  EXPECT_TRUE(has(argv, "memory-backend-memfd,id=mem,size=300M,share=on"));
  EXPECT_TRUE(has(argv, "virtio-mmio.force-legacy=false"));
  EXPECT_TRUE(has(argv, "-no-reboot"));
  EXPECT_TRUE(has(argv, "vhost-user-fs-device,chardev=rootfs,tag=root"));
  EXPECT_TRUE(has(argv, "virtserialport,chardev=channel,name=strata.channel"));
  EXPECT_FALSE(has(argv, "-netdev")) << "no NIC without --net user";
  const auto append = vm::kernel_command_line(config);
  EXPECT_NE(append.find("tsc_early_khz=2600000"), std::string::npos);
  EXPECT_NE(append.find("panic=-1"), std::string::npos);
  EXPECT_TRUE(append.ends_with("-- vm-init"));

  config.kvm = true;
  config.network = true;
  argv = vm::qemu_argv(config);
  EXPECT_TRUE(has(argv, "kvm"));
  EXPECT_FALSE(has(argv, "-cpu"));
  EXPECT_TRUE(has(argv, "virtio-net-device,netdev=net0"));
  EXPECT_EQ(vm::kernel_command_line(config).find("tsc_early_khz"), std::string::npos) << "KVM has kvmclock";
}

TEST(VmPlan, FlagsTheGuestCannotHonourAreRefused) {
  const auto refused = [](const std::function<void(Spec&)>& change) {
    Spec spec = vm_spec();
    change(spec);
    auto ok = validate(spec);
    return ok ? std::string() : ok.error().message();
  };
  EXPECT_EQ(refused([](Spec&) {}), "");
  EXPECT_NE(refused([](Spec& s) { s.net = NetMode::host; }).find("--net user"), std::string::npos);
  EXPECT_NE(refused([](Spec& s) { s.resources.memory_bytes = 1 << 20; }).find("--vm-memory"),
            std::string::npos);
  EXPECT_NE(refused([](Spec& s) { s.cap_add = {0}; }).find("vm+sandbox"), std::string::npos);
  EXPECT_EQ(refused([](Spec& s) {
              s.in_vm = Isolation::sandbox;
              s.cap_add = {0};
              s.landlock = LandlockMode::require;
            }),
            "")
      << "the guest's sandbox applies them";
  EXPECT_NE(refused([](Spec& s) { s.in_vm = Isolation::container; }).find("needs --image"),
            std::string::npos);
  EXPECT_NE(refused([](Spec& s) { s.landlock = LandlockMode::require; }), "");
  EXPECT_NE(refused([](Spec& s) { s.vm.cpus = 0; }), "");
  EXPECT_NE(refused([](Spec& s) { s.vm.memory_bytes = 1 << 20; }), "");
  EXPECT_NE(refused([](Spec& s) { s.vm.engine = "firecracker"; }).find("only qemu"), std::string::npos);
  EXPECT_NE(refused([](Spec& s) {
              s.isolation = Isolation::sandbox;
              s.vm.cpus = 2;
            }).find("--isolation vm"),
            std::string::npos);
  EXPECT_NE(refused([](Spec& s) {
              s.isolation = Isolation::sandbox;
              s.net = NetMode::user;
            }),
            "");
}

TEST(VmPlan, ALayerInsideTheGuestIsStrataRunningItselfWithTheSettledProcess) {
  Spec spec = vm_spec();
  spec.in_vm = Isolation::sandbox;
  spec.mounts.push_back(
      MountSpec{.kind = MountKind::bind, .source = "/srv", .destination = "/data", .size = 0});
  spec.mounts.push_back(
      MountSpec{.kind = MountKind::tmpfs, .source = {}, .destination = "/scratch", .size = 0});
  spec.env.push_back({.name = "A", .value = "b=c"});
  spec.uid = 1000;
  spec.cap_add = {13};
  spec.rlimits.push_back({.resource = 7, .name = "nofile", .soft = 64, .hard = 128});
  spec.net = NetMode::user;
  const Plan plan = build_plan(spec, host_facts());
  ASSERT_TRUE(plan.vm.has_value());
  const vm::Job job = vm::make_job(plan);
  EXPECT_EQ(job.uid, 0U) << "the inner strata starts as the guest's root";
  EXPECT_TRUE(job.rlimits.empty()) << "the inner strata applies them";
  EXPECT_EQ(job.argv, spec.argv);
  const std::vector<std::string> expected = {"strata",
                                             "run",
                                             "--isolation",
                                             "sandbox",
                                             "--rootfs",
                                             "/",
                                             "--bind",
                                             "/data:/data",
                                             "--tmpfs",
                                             "/scratch",
                                             "--clear-env",
                                             "--env",
                                             "PATH=/usr/bin:/bin",
                                             "--env",
                                             "HOME=/tmp",
                                             "--env",
                                             "A=b=c",
                                             "--net",
                                             "host",
                                             "--uid",
                                             "1000",
                                             "--gid",
                                             "0",
                                             "--no-pty",
                                             "--cap-add",
                                             "CAP_NET_RAW",
                                             "--rlimit",
                                             "nofile=64:128",
                                             "--landlock",
                                             "best-effort",
                                             "--",
                                             "uname",
                                             "-r"};
  EXPECT_EQ(job.inner, expected);
  // What the words say, read back by the same parsers the flags use.
  const Spec inner = inner_layer_spec(spec, build_plan(spec, host_facts()));
  EXPECT_EQ(parse_rlimit("nofile=64:128").value(), inner.rlimits.front());
  EXPECT_EQ(parse_capabilities("CAP_NET_RAW").value(), inner.cap_add);
  EXPECT_EQ(parse_env("A=b=c").value(), inner.env.back());
  Spec here = inner;
  here.mounts.clear();  // their sources are the guest's paths
  auto valid = validate(here);
  EXPECT_TRUE(valid) << "the inner Spec is a valid sandbox run: " << (valid ? "" : valid.error().message());
}

TEST(VmPlan, AContainerInsideTheGuestHasAWritableRootUnlessReadOnly) {
  Spec spec = vm_spec();
  spec.in_vm = Isolation::container;
  spec.image = "builtin:busybox";
  const Plan plan = build_plan(spec, host_facts());
  EXPECT_TRUE(inner_layer_spec(spec, plan).rootfs_writable);
  spec.read_only = true;
  EXPECT_FALSE(inner_layer_spec(spec, plan).rootfs_writable);
  spec.in_vm = Isolation::sandbox;
  spec.image.reset();
  spec.read_only = false;
  EXPECT_FALSE(inner_layer_spec(spec, build_plan(spec, host_facts())).rootfs_writable)
      << "the host's system dirs are never writable";
}

}  // namespace
}  // namespace strata
