// strata run --isolation vm: the real strata boots the real QEMU microvm with
// Debian's cloud kernel, its own init and the host's tree over virtio-fs.
// Under TCG (this machine's KVM serves only PVM guests) a run takes seconds,
// so each test boots once and checks several things where it can.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "harness.hpp"
#include "vm_fixtures.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

Finished vm(const std::vector<std::string>& flags, const std::vector<std::string>& command,
            const std::string& input = "") {
  std::vector<std::string> args{"run", "--isolation", "vm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return strata(args, input);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

TEST(Vm, TheGuestHasItsOwnKernelAndTheWorkloadsOutputAndExitComeBack) {
  SKIP_WITHOUT_VM();
  utsname host{};
  ::uname(&host);
  auto f = vm({}, {"/bin/sh", "-c", "uname -r; echo to-stderr >&2; exit 7"});
  EXPECT_EQ(f.exit_code, 7) << describe(f);
  const auto release = trimmed(f.out);
  EXPECT_FALSE(release.empty()) << describe(f);
  EXPECT_NE(release, host.release) << "the guest must run its own kernel";
  EXPECT_TRUE(path_exists("/lib/modules/" + release)) << "the guest runs the /boot kernel: " << release;
  EXPECT_NE(f.err.find("to-stderr"), std::string::npos) << describe(f);
}

TEST(Vm, StdinReachesTheWorkload) {
  SKIP_WITHOUT_VM();
  const std::string input = "line one\nline two\n";
  auto f = vm({}, {"/bin/sh", "-c", "cat; echo done"}, input);
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, input + "done\n");
}

TEST(Vm, SharesAreReadOnlyUnlessBoundWritable) {
  SKIP_WITHOUT_VM();
  TempDir dir;
  write_file(dir / "in.txt", "from the host\n");
  ::mkdir((dir / "ro").c_str(), 0755);
  ::mkdir((dir / "under").c_str(), 0755);
  // A bind below /tmp stays visible on top of the guest's private /tmp.
  auto f = vm({"--bind", dir.path() + ":/data", "--ro-bind", dir / "ro" + ":/ro", "--bind",
               dir / "under" + ":/tmp/under"},
              {"/bin/sh", "-c",
               "cat /data/in.txt; echo written > /data/out.txt; echo below > /tmp/under/f; "
               "if echo x > /usr/strata-vm-test 2>/dev/null; then echo usr-writable; fi; "
               "if echo x > /ro/f 2>/dev/null; then echo ro-writable; fi; "
               "echo scratch > /tmp/scratch && cat /tmp/scratch"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "from the host\nscratch\n") << describe(f);
  EXPECT_EQ(read_file(dir / "out.txt").value_or("<missing>"), "written\n");
  EXPECT_EQ(read_file(dir / "under/f").value_or("<missing>"), "below\n");
  EXPECT_FALSE(path_exists("/usr/strata-vm-test"));
  EXPECT_FALSE(path_exists(dir / "ro/f"));
}

TEST(Vm, EnvironmentWorkdirAndMissingCommands) {
  SKIP_WITHOUT_VM();
  auto f = vm({"--env", "GREETING=hello vm", "--workdir", "/usr/share", "--hostname", "guest1"},
              {"/bin/sh", "-c", "echo \"$GREETING\"; pwd; hostname; id -u"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello vm\n/usr/share\nguest1\n0\n") << describe(f);
  auto missing = vm({}, {"/no/such/program"});
  EXPECT_EQ(missing.exit_code, 127) << describe(missing);
  EXPECT_NE(missing.err.find("/no/such/program"), std::string::npos) << describe(missing);
}

TEST(Vm, ABusyboxImageRunsInsideTheVm) {
  SKIP_WITHOUT_VM();
  TempDir home;
  auto f = run({"/usr/bin/env", "STRATA_HOME=" + home.path(), strata_bin(), "run", "--isolation", "vm",
                "--image", "builtin:busybox", "--", "/bin/sh", "-c",
                "uname -r; ls /bin/busybox; echo hi > /etc/x && cat /etc/x"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  const auto out = lines(f.out);
  ASSERT_EQ(out.size(), 3U) << describe(f);
  EXPECT_TRUE(path_exists("/lib/modules/" + out[0])) << out[0];
  EXPECT_EQ(out[1], "/bin/busybox");
  EXPECT_EQ(out[2], "hi");
}

TEST(Vm, TimeoutEndsTheRun) {
  SKIP_WITHOUT_VM();
  const auto start = std::chrono::steady_clock::now();
  auto f = vm({"--timeout", "4s", "--kill-after", "1s"}, {"/bin/sleep", "600"});
  EXPECT_EQ(f.exit_code, 124) << describe(f);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 120s);
}

TEST(Vm, UserNetworkReachesTheHostOnlyWhenAsked) {
  SKIP_WITHOUT_VM();
  if (!path_exists("/usr/bin/python3")) {
    GTEST_SKIP() << "needs /usr/bin/python3 in the guest";
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  std::string received;
  std::thread server([&] {
    const int client = ::accept(listener, nullptr, nullptr);
    if (client >= 0) {
      char buffer[64] = {};
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      received.assign(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
      ::close(client);
    }
  });
  const std::string script = "import socket; s = socket.create_connection(('10.0.2.2', " +
                             std::to_string(port) + "), timeout=20); s.sendall(b'from-the-guest')";
  auto without = vm({}, {"/usr/bin/python3", "-c", script});
  EXPECT_NE(without.exit_code, 0) << "no NIC without --net user: " << describe(without);
  auto with = vm({"--net", "user"}, {"/usr/bin/python3", "-c", script});
  EXPECT_EQ(with.exit_code, 0) << describe(with);
  ::shutdown(listener, SHUT_RDWR);
  server.join();
  ::close(listener);
  EXPECT_EQ(received, "from-the-guest");
}

TEST(Vm, BadKernelsAndAMissingQemuFailFastWithOneLine) {
  SKIP_WITHOUT_VM();
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  auto missing = vm({"--kernel", dir / "nope"}, {"/bin/true"});
  EXPECT_EQ(missing.exit_code, 125) << describe(missing);
  EXPECT_NE(missing.err.find("nope"), std::string::npos) << describe(missing);
  write_file(dir / "garbage", std::string(100000, 'x'));
  auto garbage = vm({"--kernel", dir / "garbage"}, {"/bin/true"});
  EXPECT_EQ(garbage.exit_code, 125) << describe(garbage);
  EXPECT_NE(garbage.err.find("bzImage"), std::string::npos) << describe(garbage);
  EXPECT_EQ(lines(garbage.err).size(), 1U) << describe(garbage);
  // A real header with the body cut off: QEMU or the guest's decompressor
  // fails, and strata says so instead of waiting.
  std::string kernel;
  for (const auto& entry : std::filesystem::directory_iterator("/boot")) {
    if (entry.path().filename().string().starts_with("vmlinuz-")) {
      kernel = entry.path();
    }
  }
  auto body = read_file(kernel);
  ASSERT_TRUE(body.has_value());
  write_file(dir / "truncated", body->substr(0, body->size() / 2));
  auto truncated = vm({"--kernel", dir / "truncated"}, {"/bin/true"});
  EXPECT_EQ(truncated.exit_code, 125) << describe(truncated);
  auto no_qemu = run(
      {"/usr/bin/env", "PATH=" + dir.path(), strata_bin(), "run", "--isolation", "vm", "--", "/bin/true"});
  EXPECT_EQ(no_qemu.exit_code, 125) << describe(no_qemu);
  EXPECT_NE(no_qemu.err.find("qemu-system-x86"), std::string::npos) << describe(no_qemu);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 90s);
}

TEST(Vm, AGuestPanicIsReportedWithTheConsoleLines) {
  SKIP_WITHOUT_VM();
  TempDir dir;
  auto f = vm({"--keep-console", dir / "console.txt"},
              {"/bin/sh", "-c", "echo c > /proc/sysrq-trigger; sleep 60"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_NE(f.err.find("Kernel panic"), std::string::npos) << describe(f);
  EXPECT_EQ(lines(f.err).size(), 1U) << describe(f);
  EXPECT_NE(read_file(dir / "console.txt").value_or("").find("sysrq"), std::string::npos);
}

TEST(Vm, SignalsToStrataReachTheWorkload) {
  SKIP_WITHOUT_VM();
  auto running = Process::start({strata_bin(), "run", "--isolation", "vm", "--", "/bin/sh", "-c",
                                 "trap 'echo got-term; exit 5' TERM; echo ready; sleep 600 & wait"});
  ASSERT_EQ(running.read_line(120s).value_or("<none>"), "ready");
  running.kill(SIGTERM);
  auto f = running.wait(60s);
  EXPECT_EQ(f.exit_code, 5) << describe(f);
  EXPECT_NE(f.out.find("got-term"), std::string::npos) << describe(f);
}

TEST(Vm, DryRunPrintsTheQemuCommandLine) {
  SKIP_WITHOUT_VM();
  auto f = strata(
      {"run", "--isolation", "vm", "--vm-memory", "300m", "--vm-cpus", "2", "--dry-run", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("isolation: vm"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("-M microvm"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("-m 300M"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("-smp 2"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("vhost-user-fs-device"), std::string::npos) << f.out;
}

TEST(Vm, FlagsTheVmCannotHonourAreRefused) {
  auto f = strata({"run", "--isolation", "vm", "--memory", "100m", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_NE(f.err.find("--vm-memory"), std::string::npos) << describe(f);
  auto g = strata({"run", "--kernel", "/boot/x", "--", "/bin/true"});
  EXPECT_EQ(g.exit_code, 125) << describe(g);
  EXPECT_NE(g.err.find("--isolation vm"), std::string::npos) << describe(g);
  auto h = strata({"run", "--net", "user", "--", "/bin/true"});
  EXPECT_EQ(h.exit_code, 125) << describe(h);
}

// SIGKILL of strata takes QEMU and virtiofsd with it (PR_SET_PDEATHSIG),
// and a normal end leaves none behind either.
TEST(Vm, NothingOutlivesTheRunEvenAfterSigkill) {
  SKIP_WITHOUT_VM();
  ScopedSubreaper reaper;
  const std::string marker = "STRATA_VM_TEST=" + unique_token();
  auto done = run({"/usr/bin/env", marker, strata_bin(), "run", "--isolation", "vm", "--", "/bin/true"});
  EXPECT_EQ(done.exit_code, 0) << describe(done);
  EXPECT_TRUE(processes_carrying(marker).empty());

  const std::string marker2 = "STRATA_VM_TEST=" + unique_token();
  auto running = Process::start({"/usr/bin/env", marker2, strata_bin(), "run", "--isolation", "vm", "--",
                                 "/bin/sh", "-c", "echo started; sleep 600"});
  auto line = running.read_line(120s);
  ASSERT_EQ(line.value_or("<none>"), "started");
  EXPECT_GE(processes_carrying(marker2).size(), 3U) << "strata, QEMU and virtiofsd";
  running.kill(SIGKILL);
  running.wait(10s);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!processes_carrying(marker2).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(processes_carrying(marker2).empty());
}

}  // namespace
}  // namespace strata::test
