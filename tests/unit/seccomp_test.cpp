#include "isolate/sandbox/seccomp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "isolate/sandbox/bpf_run.hpp"

namespace strata {
namespace {

// Exit codes of the filtered child that are not an errno.
constexpr int kInstallFailed = 250;

// Calls a broken filter would let through must still do nothing: kexec_load
// with no segments unloads the loaded kexec image, so give it a flag the
// kernel refuses first.
constexpr long kBogusKexecFlags = 0x8000;

// Runs `call` in a forked child that sets no_new_privs and installs
// `program` (as strata's workload does), and returns what the child saw: 0
// when the call succeeded, its errno when it failed, kInstallFailed when the
// filter could not be installed, or -signal when the child was killed.
template <class F>
int errno_under(const SeccompProgram& program, F call) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install_seccomp(program) != 0) {
      ::_exit(kInstallFailed);
    }
    errno = 0;
    const long result = call();
    ::_exit(result < 0 ? errno : 0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

SeccompProgram default_program() {
  auto program = compile_default_seccomp();
  EXPECT_TRUE(program) << (program ? "" : program.error().message());
  return program ? *program : SeccompProgram{};
}

SeccompProgram profile(std::string_view json) {
  auto program = compile_seccomp_profile(json, "test.json");
  EXPECT_TRUE(program) << (program ? "" : program.error().message());
  return program ? *program : SeccompProgram{};
}

std::string profile_error(std::string_view json) {
  auto program = compile_seccomp_profile(json, "test.json");
  return program ? std::string("(compiled)") : program.error().message();
}

long pipe_write() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return -1;
  }
  return ::syscall(SYS_write, fds[1], "x", 1) == 1 ? 0 : -1;
}

// Raw system calls through the i386 entry point, from 64-bit code.
#if defined(__x86_64__)
long int80(long nr, long a = 0, long b = 0, long c = 0) {
  long ret = nr;
  asm volatile("int $0x80" : "+a"(ret) : "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}
// int80 returns -errno; the helpers below want the libc convention.
long libc_style(long raw) {
  if (raw < 0 && raw > -4096) {
    errno = static_cast<int>(-raw);
    return -1;
  }
  return raw;
}
bool ia32_available() {
  return int80(20) == ::getpid();
}  // getpid

long x32_syscall(long nr) {
  long ret = nr | 0x40000000L;  // __X32_SYSCALL_BIT
  asm volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
  return libc_style(ret);
}
#endif

TEST(DefaultSeccomp, CompilesToAProgramTheKernelAccepts) {
  const SeccompProgram program = default_program();
  EXPECT_GT(program.instructions.size(), 100U);
  EXPECT_LE(program.instructions.size(), static_cast<std::size_t>(BPF_MAXINSNS));
  EXPECT_EQ(errno_under(program, [] { return 0L; }), 0);
}

TEST(DefaultSeccomp, OrdinaryCallsWork) {
  const SeccompProgram program = default_program();
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getpid) > 0 ? 0L : -1L; }), 0);
  EXPECT_EQ(errno_under(program, pipe_write), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0); }), 0);
  // fork() is clone(SIGCHLD) in glibc.
  EXPECT_EQ(errno_under(program,
                        [] {
                          const pid_t child = ::fork();
                          if (child == 0) {
                            ::_exit(7);
                          }
                          int status = 0;
                          ::waitpid(child, &status, 0);
                          return child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0L : -1L;
                        }),
            0);
  // Threads: glibc tries clone3 first and must fall back to clone on ENOSYS.
  EXPECT_EQ(errno_under(program,
                        [] {
                          int value = 0;
                          std::thread([&value] { value = 42; }).join();
                          return value == 42 ? 0L : -1L;
                        }),
            0);
}

TEST(DefaultSeccomp, DeniedCallsGetEperm) {
  const SeccompProgram program = default_program();
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_bpf, 0, nullptr, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }),
            EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_userfaultfd, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_io_uring_setup, 1, nullptr); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_unshare, CLONE_NEWUSER); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_unshare, CLONE_NEWUTS); }), EPERM);
  // A target that does not exist, so that a broken filter cannot mount
  // anything on the machine running the tests.
  EXPECT_EQ(
      errno_under(program,
                  [] { return ::syscall(SYS_mount, "none", "/nonexistent/strata", "tmpfs", 0, nullptr); }),
      EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_kexec_load, 0, 0, nullptr, kBogusKexecFlags); }),
            EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0); }),
            EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_setns, 0, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_settimeofday, nullptr, nullptr); }), EPERM);
}

TEST(DefaultSeccomp, Clone3IsEnosysAndCloneCannotCreateNamespaces) {
  const SeccompProgram program = default_program();
  EXPECT_EQ(errno_under(program,
                        [] {
                          clone_args args{};
                          args.exit_signal = SIGCHLD;
                          const long pid = ::syscall(SYS_clone3, &args, sizeof args);
                          if (pid == 0) {
                            ::_exit(0);
                          }
                          return pid;
                        }),
            ENOSYS);
  for (const unsigned long flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET}) {
    EXPECT_EQ(errno_under(program,
                          [flag] {
                            const long pid =
                                ::syscall(SYS_clone, flag | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
                            if (pid == 0) {
                              ::_exit(0);
                            }
                            return pid;
                          }),
              EPERM)
        << std::hex << flag;
  }
}

TEST(DefaultSeccomp, VsockIsRefusedEvenWithHighBitsSet) {
  const SeccompProgram program = default_program();
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0); }), EPERM);
  // The kernel truncates the family to an int: a 64-bit != would pass this.
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_socket, AF_VSOCK | (1L << 32), SOCK_STREAM, 0); }),
            EPERM);
  // Other families still reach the kernel (which may not support them).
  EXPECT_NE(errno_under(program, [] { return ::syscall(SYS_socket, AF_VSOCK + 1, SOCK_STREAM, 0); }), EPERM);
}

TEST(DefaultSeccomp, TerminalInjectionIoctlsAreRefusedOnTheLow32Bits) {
  const SeccompProgram program = default_program();
  const auto ioctl_on_pipe = [](unsigned long request) {
    return [request] {
      int fds[2];
      if (::pipe(fds) != 0) {
        return -1L;
      }
      char c = 'x';
      return ::syscall(SYS_ioctl, fds[0], request, &c);
    };
  };
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCSTI)), EPERM);
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCSTI | (1UL << 32))), EPERM);  // CVE-2019-10063
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCLINUX)), EPERM);
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCLINUX | (0xffUL << 40))), EPERM);
  // Neighbouring requests reach the driver: a pipe is not a tty.
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCGWINSZ)), ENOTTY);
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(TIOCSTI ^ 0x8)), ENOTTY);
  EXPECT_EQ(errno_under(program, ioctl_on_pipe(FIONREAD)), 0);
}

TEST(DefaultSeccomp, PersonalityOnlyTakesSafeValues) {
  const SeccompProgram program = default_program();
  constexpr long kReadImpliesExec = 0x0400000;
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_personality, kReadImpliesExec); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_personality, 0xffffffffL); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_personality, 0L); }), 0);
}

#if defined(__x86_64__)
TEST(DefaultSeccomp, TheI386EntryPointGetsTheSamePolicy) {
  if (!ia32_available()) {
    GTEST_SKIP() << "this kernel has no IA32 emulation (int 0x80 is not a syscall here)";
  }
  const SeccompProgram program = default_program();
  EXPECT_EQ(errno_under(program, [] { return int80(20) == ::getpid() ? 0L : -1L; }), 0);     // getpid
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(288)); }), EPERM);             // keyctl
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(435)); }), ENOSYS);            // clone3
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(136, 0x0400000)); }), EPERM);  // personality
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(120, CLONE_NEWUSER | SIGCHLD)); }),
            EPERM);                                                                          // clone
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(54, 0, TIOCSTI)); }), EPERM);  // ioctl
  // socketcall's arguments live in memory below 4 GiB.
  const auto socketcall = [](long call, std::array<long, 3> args) {
    return [call, args] {
      void* low =
          ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
      if (low == MAP_FAILED) {
        return -1L;
      }
      auto* words = static_cast<std::uint32_t*>(low);
      for (std::size_t i = 0; i < args.size(); ++i) {
        words[i] = static_cast<std::uint32_t>(args.at(i));
      }
      return libc_style(int80(102, call, reinterpret_cast<long>(low)));
    };
  };
  // Creating sockets from 32-bit code is refused in both forms (the family
  // of socketcall(SYS_SOCKET) cannot be checked); other socket calls work.
  EXPECT_EQ(errno_under(program, socketcall(1, {AF_VSOCK, SOCK_STREAM, 0})), EPERM);
  EXPECT_EQ(errno_under(program, socketcall(1, {AF_UNIX, SOCK_STREAM, 0})), EPERM);
  EXPECT_EQ(errno_under(program, [] { return libc_style(int80(359, AF_VSOCK, SOCK_STREAM)); }), EPERM);
  EXPECT_EQ(errno_under(program, socketcall(13, {-1, 0, 0})), EBADF);  // SYS_SHUTDOWN
}

TEST(DefaultSeccomp, TheX32EntryPointGetsTheSamePolicy) {
  const SeccompProgram program = default_program();
  // The filter answers before the kernel looks the number up, so this holds
  // whether or not the kernel has x32 enabled.
  EXPECT_EQ(errno_under(program, [] { return x32_syscall(250); }), EPERM);  // keyctl
  const int getpid = errno_under(program, [] { return x32_syscall(39); });
  EXPECT_TRUE(getpid == 0 || getpid == ENOSYS) << getpid;
}
#endif

TEST(SeccompProfile, ErrnoRetOnAnAllowByDefaultProfile) {
  const SeccompProgram program = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
  })");
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/x", 0700); }),
            EACCES);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getpid) > 0 ? 0L : -1L; }), 0);
}

TEST(SeccompProfile, ArgumentConditions) {
  const SeccompProgram program = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{
      "names": ["personality"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "value": 4194304, "op": "SCMP_CMP_EQ"}]
    }, {
      "names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
      "args": [{"index": 0, "value": 240, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]
    }]
  })");
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_personality, 0x0400000L); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_personality, 0xffffffffL); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getpgid, 0x1f); }), EINVAL);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getpgid, 0); }), 0);
}

TEST(SeccompProfile, DockerConditionsAreJudgedForAProcessWithoutCapabilities) {
  const SeccompProgram program = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["getpgrp"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["s390x"]}},
      {"names": ["gettid"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
      {"names": ["getuid"], "action": "SCMP_ACT_ERRNO", "excludes": {"minKernel": "2.6"}},
      {"names": ["getgid"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "3.10"}}
    ]
  })");
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getppid); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getpgrp); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getsid, 0); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_gettid); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getuid); }), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_getgid); }), EPERM);
}

#if defined(__x86_64__)
TEST(SeccompProfile, SubArchitecturesAreFilteredAndUnnamedOnesKilled) {
  if (!ia32_available()) {
    GTEST_SKIP() << "this kernel has no IA32 emulation (int 0x80 is not a syscall here)";
  }
  const SeccompProgram mapped = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
    "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]
  })");
  EXPECT_EQ(errno_under(mapped, [] { return libc_style(int80(288)); }), EPERM);
  const SeccompProgram native_only = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]
  })");
  EXPECT_EQ(errno_under(native_only, [] { return libc_style(int80(20)); }), -SIGSYS);
  EXPECT_EQ(errno_under(native_only, [] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
}
#endif

TEST(SeccompProfile, ArchMapEntriesForOtherMachinesAreOnlyChecked) {
  // Docker's own default.json names architectures newer than this libseccomp.
  EXPECT_TRUE(compile_seccomp_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [
      {"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": null},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}]})",
                                      "test.json"));
}

TEST(SeccompProfile, UnknownSyscallNamesAreSkipped) {
  const SeccompProgram program = profile(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["no_such_syscall", "keyctl"], "action": "SCMP_ACT_ERRNO"}]
  })");
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
}

TEST(SeccompProfile, ErrorsNameTheLocation) {
  const std::string malformed = profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW",)");
  EXPECT_NE(malformed.find("load seccomp profile 'test.json'"), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("line 1, column"), std::string::npos) << malformed;

  const std::string action = profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_FROBNICATE"}]})");
  EXPECT_NE(action.find("syscalls[1].action: unknown action 'SCMP_ACT_FROBNICATE'"), std::string::npos)
      << action;

  const std::string op = profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]})");
  EXPECT_NE(op.find("syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'"), std::string::npos) << op;

  const std::string arch = profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]})");
  EXPECT_NE(arch.find("architectures[1]: unknown architecture 'SCMP_ARCH_VAX'"), std::string::npos) << arch;

  const std::string index = profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})");
  EXPECT_NE(index.find("syscalls[0].args[0].index"), std::string::npos) << index;
}

TEST(SeccompProfile, SchemaErrorsNameTheLocation) {
  EXPECT_NE(profile_error(R"({"syscalls": []})").find("defaultAction: missing"), std::string::npos);
  EXPECT_NE(profile_error(R"([1, 2])").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]})")
                .find("syscalls[0].errnoRet"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})")
                .find("defaultErrnoRet: expected an unsigned integer"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]})")
                .find("syscalls[0].action: SCMP_ACT_NOTIFY"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read"}]})")
                .find("syscalls[0].action: missing"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": "read", "action": "SCMP_ACT_ERRNO"}]})")
                .find("syscalls[0].names: expected an array"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": [], "archMap": []})")
                .find("archMap"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_Z80"]}]})")
                .find("archMap[0].subArchitectures[1]: unknown architecture 'SCMP_ARCH_Z80'"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]})")
                .find("syscalls[0]: give either 'name' or 'names'"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]})")
                .find("syscalls[0].errnoRet: must be at most 4094"),
            std::string::npos);
  // libseccomp takes errno values below MAX_ERRNO only (found by the semantics fuzzer).
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4095})")
                .find("defaultErrnoRet: must be at most 4094"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": "1", "op": "SCMP_CMP_EQ"}]}]})")
                .find("syscalls[0].args[0].value: expected an unsigned integer"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW"]})")
                .find("flags[0]: unknown flag"),
            std::string::npos);
  EXPECT_NE(profile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "new"}}]})")
                .find("syscalls[0].includes.minKernel"),
            std::string::npos);
}

std::string read_data(const char* name) {
  const auto path = std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "seccomp" / name;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// libseccomp 2.5 compiles these two rules so that an argument failing the
// first falls to the default action instead of trying the second (found by
// tests/fuzz/seccomp_semantics_fuzz.cpp; the kernel then kills a call the
// profile answers with EIO). The loader checks the program and refuses it.
TEST(SeccompProfile, AMiscompiledProfileIsRefused) {
  const std::string error = profile_error(R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
      {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [
        {"index": 0, "op": "SCMP_CMP_LT", "value": 17795682514023481344},
        {"index": 0, "op": "SCMP_CMP_GE", "value": 1364283729}]}]})");
  if (error == "(compiled)") {
    GTEST_SKIP() << "this libseccomp (" << seccomp_version()->major << "." << seccomp_version()->minor
                 << ") compiles the rule set correctly";
  }
  EXPECT_NE(error.find("syscalls[0]: libseccomp"), std::string::npos) << error;
  EXPECT_NE(error.find("compiled the rules for 'close' wrongly"), std::string::npos) << error;
  EXPECT_NE(error.find("get KILL_PROCESS where the profile says ERRNO(5)"), std::string::npos) << error;
}

TEST(SeccompProfile, DockerStyleProfileFromDisk) {
  const std::string json = read_data("docker-minimal.json");
  ASSERT_FALSE(json.empty());
  const SeccompProgram program = profile(json);
  EXPECT_EQ(errno_under(program, pipe_write), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_unshare, CLONE_NEWUSER); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
}

TEST(SeccompProfile, OciDenylistProfileFromDisk) {
  const std::string json = read_data("oci-denylist.json");
  ASSERT_FALSE(json.empty());
  const SeccompProgram program = profile(json);
  EXPECT_EQ(errno_under(program, pipe_write), 0);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_bpf, 0, nullptr, 0); }), EPERM);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0); }),
            EAFNOSUPPORT);
  EXPECT_EQ(errno_under(program, [] { return ::syscall(SYS_kexec_load, 0, 0, nullptr, kBogusKexecFlags); }),
            -SIGSYS);
}

TEST(InstallSeccomp, RefusesAnEmptyProgram) {
  EXPECT_EQ(install_seccomp(SeccompProgram{}), EINVAL);
}

// The interpreter behind the loader's self-check gives the verdicts the
// kernel gives (the tests above observe those in forked children).
TEST(SeccompBpfInterpreter, AgreesWithTheDefaultPolicy) {
  auto program = compile_default_seccomp();
  ASSERT_TRUE(program) << program.error().message();
  const auto verdict = [&](int nr, std::uint64_t arg0 = 0) {
    seccomp_data data{};
    data.nr = nr;
    data.arch = seccomp_arch_native();
    data.args[0] = arg0;
    return run_seccomp_bpf(program->instructions, data);
  };
  EXPECT_EQ(verdict(SYS_read), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(SYS_bpf), SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(verdict(SYS_clone3), SCMP_ACT_ERRNO(ENOSYS));
  EXPECT_EQ(verdict(SYS_socket, AF_VSOCK), SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(verdict(SYS_socket, AF_INET), SCMP_ACT_ALLOW);
  EXPECT_EQ(verdict(SYS_unshare, CLONE_NEWUSER), SCMP_ACT_ERRNO(EPERM));
  const std::vector<sock_filter> falls_off{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  EXPECT_EQ(run_seccomp_bpf(falls_off, seccomp_data{}), std::nullopt);
}

}  // namespace
}  // namespace strata
