// strata trace's pure parts: the tracing filter (run by the BPF interpreter),
// the syscall table, path classification, package attribution helpers and
// the seccomp profile writer.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>
#include <csignal>

#include "isolate/sandbox/bpf_run.hpp"
#include "isolate/sandbox/seccomp.hpp"
#include "trace/classify.hpp"
#include "trace/filter.hpp"
#include "trace/needs.hpp"
#include "trace/packages.hpp"
#include "trace/profile.hpp"
#include "trace/syscalls.hpp"

namespace strata::trace {
namespace {

class TraceFilter : public ::testing::Test {
 protected:
  static std::uint32_t verdict(const SeccompProgram& program, int nr,
                               std::array<std::uint64_t, 6> args = {}) {
    seccomp_data data{};
    data.nr = nr;
    data.arch = seccomp_arch_native();
    std::ranges::copy(args, std::begin(data.args));
    const auto result = run_seccomp_bpf(program.instructions, data);
    EXPECT_TRUE(result.has_value()) << "the kernel would reject the program";
    return result.value_or(0);
  }
};

TEST_F(TraceFilter, BaselineIsAllowedEverythingElseStops) {
  auto program = compile_trace_filter(TraceMode::baseline);
  ASSERT_TRUE(program) << program.error().message();
  for (const int nr : {SYS_read, SYS_write, SYS_close, SYS_fstat, SYS_futex, SYS_newfstatat, SYS_getdents64,
                       SYS_brk, SYS_exit_group, SYS_rt_sigaction}) {
    EXPECT_EQ(verdict(*program, nr), SCMP_ACT_ALLOW) << nr;
  }
  for (const int nr : {SYS_openat, SYS_execve, SYS_socket, SYS_connect, SYS_io_uring_setup,
                       SYS_landlock_create_ruleset, SYS_bpf, SYS_unshare, SYS_clone3, SYS_uname}) {
    EXPECT_EQ(verdict(*program, nr), SCMP_ACT_TRACE(0)) << nr;
  }
}

TEST_F(TraceFilter, MmapStopsOnlyForExecutableMappings) {
  auto program = compile_trace_filter(TraceMode::baseline);
  ASSERT_TRUE(program) << program.error().message();
  EXPECT_EQ(verdict(*program, SYS_mmap, {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS}),
            SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_mmap, {0, 4096, PROT_READ, MAP_PRIVATE, 3}), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, 3}), SCMP_ACT_TRACE(0));
}

TEST_F(TraceFilter, DirectoryOpensDoNotStop) {
  auto program = compile_trace_filter(TraceMode::baseline);
  ASSERT_TRUE(program) << program.error().message();
  EXPECT_EQ(verdict(*program, SYS_openat, {static_cast<std::uint64_t>(AT_FDCWD), 0, O_RDONLY | O_DIRECTORY}),
            SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_openat, {static_cast<std::uint64_t>(AT_FDCWD), 0, O_RDONLY}),
            SCMP_ACT_TRACE(0));
  EXPECT_EQ(verdict(*program, SYS_openat, {static_cast<std::uint64_t>(AT_FDCWD), 0, O_WRONLY | O_CREAT}),
            SCMP_ACT_TRACE(0));
  EXPECT_EQ(verdict(*program, SYS_open, {0, O_RDONLY | O_DIRECTORY}), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_open, {0, O_RDONLY}), SCMP_ACT_TRACE(0));
}

TEST_F(TraceFilter, CloneStopsOnlyForNamespaces) {
  auto program = compile_trace_filter(TraceMode::baseline);
  ASSERT_TRUE(program) << program.error().message();
  EXPECT_EQ(verdict(*program, SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_clone, {SIGCHLD}), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(*program, SYS_clone, {CLONE_NEWUSER | SIGCHLD}), SCMP_ACT_TRACE(0));
  EXPECT_EQ(verdict(*program, SYS_clone, {CLONE_NEWNET}), SCMP_ACT_TRACE(0));
}

TEST_F(TraceFilter, AllSyscallsStopsOnEverything) {
  auto program = compile_trace_filter(TraceMode::all_syscalls);
  ASSERT_TRUE(program) << program.error().message();
  for (const int nr : {SYS_read, SYS_write, SYS_futex, SYS_openat, SYS_mmap}) {
    EXPECT_EQ(verdict(*program, nr), SCMP_ACT_TRACE(0)) << nr;
  }
}

TEST(TraceSyscalls, TableFacts) {
  const SyscallFacts* landlock = syscall_facts("landlock_create_ruleset");
  ASSERT_NE(landlock, nullptr);
  EXPECT_EQ(landlock->since, (KernelRelease{5, 13, 0}));
  EXPECT_EQ(landlock->feature, "landlock");
  EXPECT_FALSE(landlock->libc_fallback);
  ASSERT_NE(syscall_facts("io_uring_setup"), nullptr);
  EXPECT_EQ(syscall_facts("io_uring_setup")->since, (KernelRelease{5, 1, 0}));
  ASSERT_NE(syscall_facts("clone3"), nullptr);
  EXPECT_TRUE(syscall_facts("clone3")->libc_fallback);
  EXPECT_EQ(syscall_facts("openat2")->since, (KernelRelease{5, 6, 0}));
  EXPECT_FALSE(syscall_facts("openat2")->libc_fallback);
  EXPECT_EQ(syscall_facts("read"), nullptr);
  EXPECT_EQ(syscall_name(SCMP_ARCH_X86_64, 0), "read");
  EXPECT_EQ(syscall_name(SCMP_ARCH_X86_64, 425), "io_uring_setup");
  EXPECT_EQ(syscall_name(SCMP_ARCH_X86_64, 99999), "syscall_99999");
  EXPECT_EQ(release_string({5, 13, 0}), "5.13");
  EXPECT_EQ(parse_release("6.1.0-18-amd64"), (KernelRelease{6, 1, 0}));
  EXPECT_EQ(parse_release("x"), std::nullopt);
}

// Every table name is a real system call (libseccomp knows it on x86_64),
// except the newest ones this libseccomp may predate.
TEST(TraceSyscalls, TableNamesAreSyscalls) {
  for (const SyscallFacts& facts : syscall_table()) {
    const std::string name(facts.name);
    if (constexpr KernelRelease kNewest{6, 0, 0}; facts.since < kNewest) {
      EXPECT_GE(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()), 0) << name;
    }
  }
}

// A call the tracer never sees must not be able to raise the kernel a
// workload needs: each baseline call is older than glibc's minimum kernel
// or has a fallback in glibc.
TEST(TraceSyscalls, BaselineHidesNoKernelRequirement) {
  constexpr KernelRelease kGlibcMinimum{3, 2, 0};
  for (const std::string_view name : baseline_syscalls()) {
    const SyscallFacts* facts = syscall_facts(name);
    EXPECT_TRUE(facts == nullptr || facts->libc_fallback || facts->since <= kGlibcMinimum) << name;
    EXPECT_TRUE(facts == nullptr || facts->feature.empty()) << name;
  }
}

TEST(TraceClassify, Layers) {
  EXPECT_EQ(classify_path("/proc/sys/kernel/osrelease", "/home/u/app"), Layer::kernel);
  EXPECT_EQ(classify_path("/dev/null", "/"), Layer::kernel);
  EXPECT_EQ(classify_path("/sys/fs/cgroup/x", "/"), Layer::kernel);
  EXPECT_EQ(classify_path("/usr/lib/x86_64-linux-gnu/libc.so.6", "/"), Layer::system_library);
  EXPECT_EQ(classify_path("/lib/x86_64-linux-gnu/libz.so.1.2.13", "/"), Layer::system_library);
  EXPECT_EQ(classify_path("/usr/lib/locale/C.utf8/LC_CTYPE", "/"), Layer::system_file);
  EXPECT_EQ(classify_path("/etc/ld.so.cache", "/"), Layer::system_file);
  EXPECT_EQ(classify_path("/usr/bin/python3.11", "/"), Layer::system_file);
  EXPECT_EQ(classify_path("/usr/lib/python3/dist-packages/yaml/__init__.py", "/"), Layer::language_package);
  EXPECT_EQ(classify_path("/home/u/app/.venv/lib/python3.11/site-packages/x.py", "/home/u/app"),
            Layer::language_package);
  EXPECT_EQ(classify_path("/home/u/app/node_modules/left-pad/index.js", "/home/u/app"),
            Layer::language_package);
  EXPECT_EQ(classify_path("/home/u/app/main.py", "/home/u/app"), Layer::project);
  EXPECT_EQ(classify_path("/home/u/application", "/home/u/app"), Layer::other);
  EXPECT_EQ(classify_path("/tmp/x", "/"), Layer::other);
  EXPECT_EQ(classify_path("/usrx/lib/libc.so.6", "/"), Layer::other);
  EXPECT_EQ(layer_name(Layer::system_library), "system_library");
  EXPECT_EQ(sysctl_name("/proc/sys/kernel/osrelease"), "kernel.osrelease");
  EXPECT_EQ(sysctl_name("/proc/self/status"), "");
}

TEST(TracePackages, TopLevelModule) {
  EXPECT_EQ(top_level_module("foo/__init__.py"), "foo");
  EXPECT_EQ(top_level_module("foo.py"), "foo");
  EXPECT_EQ(top_level_module("_foo.cpython-311-x86_64-linux-gnu.so"), "_foo");
  EXPECT_EQ(top_level_module("__pycache__/six.cpython-311.pyc"), "six");
  EXPECT_EQ(top_level_module("foo-1.0.dist-info/RECORD"), "");
  EXPECT_EQ(top_level_module("../../../bin/foo"), "");
}

TEST(TraceNeeds, HostPathFollowsTheLongestBind) {
  TraceContext context;
  context.binds = {{"/data", "/srv/data"}, {"/data/deep", "/mnt/deep"}};
  EXPECT_EQ(host_path(context, "/data/x"), "/srv/data/x");
  EXPECT_EQ(host_path(context, "/data/deep/y"), "/mnt/deep/y");
  EXPECT_EQ(host_path(context, "/database"), "/database");
  EXPECT_EQ(host_path(context, "/usr/bin/ls"), "/usr/bin/ls");
}

// The profile loads with the OCI profile loader `strata run --seccomp`
// uses, allows what the workload used plus the baseline, and answers
// anything else with ENOSYS.
TEST(TraceProfile, LoadsAndAllowsOnlyWhatWasUsed) {
  TraceLog log;
  log.syscalls["openat"] = {.count = 3, .errors = 1};
  log.syscalls["landlock_create_ruleset"] = {.count = 1, .errors = 0};
  const nlohmann::json profile = seccomp_profile(log, TraceMode::baseline);
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], 38);
  auto program = compile_seccomp_profile(profile.dump(), "trace profile");
  ASSERT_TRUE(program) << program.error().message();
  const auto verdict = [&](int nr, std::uint64_t arg0 = 0) {
    seccomp_data data{};
    data.nr = nr;
    data.arch = seccomp_arch_native();
    data.args[0] = arg0;
    return run_seccomp_bpf(program->instructions, data);
  };
  EXPECT_EQ(verdict(SYS_openat), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(SYS_landlock_create_ruleset), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(SYS_read), SCMP_ACT_ALLOW);    // baseline
  EXPECT_EQ(verdict(SYS_mmap), SCMP_ACT_ALLOW);    // conditional in the filter, allowed here
  EXPECT_EQ(verdict(SYS_execve), SCMP_ACT_ALLOW);  // the runtime's exec
  EXPECT_EQ(verdict(SYS_io_uring_setup), SCMP_ACT_ERRNO(38));
  EXPECT_EQ(verdict(SYS_socket), SCMP_ACT_ERRNO(38));
  // No namespace-creating clone was seen: a fork is allowed, a new user namespace is not.
  EXPECT_EQ(verdict(SYS_clone, SIGCHLD), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(SYS_clone, CLONE_NEWUSER | SIGCHLD), SCMP_ACT_ERRNO(38));
}

TEST(TraceProfile, AllowsNamespaceClonesOnlyWhenTheWorkloadMadeThem) {
  TraceLog log;
  log.syscalls["clone"] = {.count = 1, .errors = 0};
  auto program = compile_seccomp_profile(seccomp_profile(log, TraceMode::baseline).dump(), "trace profile");
  ASSERT_TRUE(program) << program.error().message();
  seccomp_data data{};
  data.nr = SYS_clone;
  data.arch = seccomp_arch_native();
  data.args[0] = CLONE_NEWUSER | SIGCHLD;
  EXPECT_EQ(run_seccomp_bpf(program->instructions, data), SCMP_ACT_ALLOW);
}

}  // namespace
}  // namespace strata::trace
