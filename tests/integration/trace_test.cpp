// The real `strata trace` on programs gcc builds here, a venv, shell
// pipelines; on the host and in the default sandbox.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "needs_fixtures.hpp"

namespace strata::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// `strata trace FLAGS --out DIR/needs.json -- COMMAND`; the document, or null when none was written.
struct Traced {
  Finished run;
  json doc;
};

Traced trace(const TempDir& dir, const std::vector<std::string>& flags,
             const std::vector<std::string>& command) {
  const std::string out = dir / "needs.json";
  std::filesystem::remove(out);
  std::vector<std::string> args{"trace", "--out", out};
  args.insert(args.end(), flags.begin(), flags.end());
  args.emplace_back("--");
  args.insert(args.end(), command.begin(), command.end());
  Traced t{.run = strata(args), .doc = json()};
  if (auto text = read_file(out)) {
    t.doc = json::parse(*text);
  }
  return t;
}

const json* feature(const json& doc, const std::string& name) {
  for (const json& f : doc["needs"]["kernel_features"]) {
    if (f["feature"] == name) {
      return &f;
    }
  }
  return nullptr;
}

bool has_path_ending(const json& list, const std::string& suffix) {
  for (const json& item : list) {
    if (item["path"].get<std::string>().ends_with(suffix)) {
      return true;
    }
  }
  return false;
}

// Descendants of this process left once a trace is over, after reaping the
// zombies EXITKILL leaves (they are reparented to us, the subreaper).
std::set<pid_t> leftovers(const std::set<pid_t>& before) {
  std::set<pid_t> left;
  for (int tries = 0; tries < 50; ++tries) {
    left.clear();
    for (const pid_t pid : descendants_of(::getpid())) {
      if (!before.contains(pid) && ::waitpid(pid, nullptr, WNOHANG) != pid) {
        left.insert(pid);
      }
    }
    if (left.empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const pid_t pid : left) {
    ::kill(pid, SIGKILL);
  }
  return left;
}

void expect_features(const Traced& t) {
  ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
  ASSERT_TRUE(t.doc.is_object()) << describe(t.run);
  EXPECT_NE(t.run.out.find("ring "), std::string::npos)
      << "the workload's stdout passes through: " << t.run.out;
  const json& needs = t.doc["needs"];
  const json* io_uring = feature(t.doc, "io_uring");
  ASSERT_NE(io_uring, nullptr) << needs["kernel_features"].dump();
  EXPECT_EQ((*io_uring)["evidence"], "io_uring_setup");
  EXPECT_EQ((*io_uring)["min_kernel"], "5.1.0");
  const json* landlock = feature(t.doc, "landlock");
  ASSERT_NE(landlock, nullptr) << needs["kernel_features"].dump();
  EXPECT_EQ((*landlock)["abi"], 1);
  EXPECT_EQ(t.doc["trace"]["syscalls"]["io_uring_setup"]["count"], 1);
  EXPECT_EQ(t.doc["trace"]["syscalls"]["landlock_create_ruleset"]["count"], 1);
  // The baseline is reported as not counted, never as zero.
  EXPECT_FALSE(t.doc["trace"]["syscalls"].contains("read"));
  EXPECT_NE(std::ranges::find(t.doc["trace"]["baseline"], json("read")), t.doc["trace"]["baseline"].end());
  if (t.run.out.find("abi -1") != std::string::npos) {
    GTEST_SKIP() << "this kernel has no Landlock: the min_kernel check needs a successful call";
  }
  EXPECT_EQ(needs["min_kernel"], "5.13.0");
  EXPECT_EQ(needs["min_kernel_because"], "landlock_create_ruleset (5.13)");
  EXPECT_EQ(t.doc["schema"], "strata.needs/v1");
  EXPECT_EQ(t.doc["files"][0]["kind"], "elf") << "the executed program is analyzed statically";
}

TEST(Trace, KernelFeaturesOnTheHost) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "features", kKernelFeatures));
  const Traced t = trace(dir, {"--isolation", "host"}, {dir / "features"});
  expect_features(t);
  EXPECT_EQ(t.doc["command"], json::array({dir / "features"}));
  EXPECT_EQ(t.doc["trace"]["isolation"], "host");
}

TEST(Trace, KernelFeaturesInTheSandbox) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "features", kKernelFeatures));
  const Traced t = trace(dir, {"--ro-bind", dir.path() + ":/t"}, {"/t/features"});
  expect_features(t);
  EXPECT_EQ(t.doc["trace"]["isolation"], "sandbox");
  // Read through the bind: the static side found the program on the host.
  EXPECT_EQ(t.doc["files"][0]["path"], dir / "features");
}

TEST(Trace, DlopenedLibraryIsMarked) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "libplug.so", "int plug(void) { return 42; }", "-shared -fPIC -Wl,-soname,libplug.so"));
  ASSERT_TRUE(cc(dir, "loader",
                 "#include <dlfcn.h>\n#include <stdio.h>\n"
                 "int main(int argc, char** argv) {\n"
                 "  void* h = dlopen(argv[1], RTLD_NOW);\n"
                 "  if (!h) { fprintf(stderr, \"%s\\n\", dlerror()); return 3; }\n"
                 "  int (*plug)(void) = (int (*)(void))dlsym(h, \"plug\");\n"
                 "  return plug() == 42 ? 0 : 4;\n}\n"));
  const Traced t = trace(dir, {"--isolation", "host"}, {dir / "loader", dir / "libplug.so"});
  ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
  const json& libraries = t.doc["trace"]["libraries"];
  bool plug = false;
  bool libc = false;
  for (const json& lib : libraries) {
    if (lib["path"] == dir / "libplug.so") {
      plug = true;
      EXPECT_TRUE(lib["dlopen"].get<bool>()) << lib.dump();
      EXPECT_EQ(lib["soname"], "libplug.so");
    }
    if (lib["soname"] == "libc.so.6") {
      libc = true;
      EXPECT_FALSE(lib["dlopen"].get<bool>()) << "libc is the loader's DT_NEEDED: " << lib.dump();
    }
  }
  EXPECT_TRUE(plug) << libraries.dump();
  EXPECT_TRUE(libc) << libraries.dump();
  EXPECT_EQ(t.doc["needs"]["dlopen"], json::array({"libplug.so"}));
}

TEST(Trace, PythonPackageFromAVenv) {
  ::unsetenv("VIRTUAL_ENV");
  const TempDir dir;
  if (auto why = make_venv(dir / "app/.venv")) {
    GTEST_SKIP() << *why;
  }
  if (auto why = pip_install_offline(dir / "app/.venv",
                                     write_python_project(dir / "pkg", "demo-pkg", "demo_pkg", "0.1.2"))) {
    GTEST_SKIP() << *why;
  }
  const std::string script = "import json, demo_pkg; print(demo_pkg.VERSION)";
  const Traced t = trace(dir, {"--isolation", "host"}, {dir / "app/.venv/bin/python", "-c", script});
  ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
  EXPECT_EQ(t.run.out, "0.1.2\n");
  EXPECT_EQ(t.doc["needs"]["python_packages"]["demo-pkg"], "0.1.2") << t.doc["needs"].dump();
  bool classified = false;
  for (const json& file : t.doc["trace"]["files"]) {
    if (file["path"].get<std::string>().find("/site-packages/demo_pkg/") != std::string::npos) {
      classified = true;
      EXPECT_EQ(file["layer"], "language_package") << file.dump();
    }
  }
  EXPECT_TRUE(classified);
  // json's C module is loaded by its path and has no SONAME: the interpreter's
  // own, not a library the system must provide.
  bool extension = false;
  for (const json& lib : t.doc["trace"]["libraries"]) {
    extension = extension || lib["path"].get<std::string>().find("/_json.cpython") != std::string::npos;
  }
  EXPECT_TRUE(extension) << t.doc["trace"]["libraries"].dump();
  for (const json& name : t.doc["needs"]["dlopen"]) {
    EXPECT_EQ(name.get<std::string>().find(".cpython"), std::string::npos) << t.doc["needs"].dump();
  }
}

constexpr const char* kUname = R"(#include <stdio.h>
#include <sys/utsname.h>
int main(void) { struct utsname u; if (uname(&u) != 0) return 2; printf("%s\n", u.sysname); return 0; }
)";

// Makes one call outside anything kUname needs; exits 0 when it got ENOSYS.
constexpr const char* kOutside = R"(#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
int main(void) {
  struct utsname u; if (uname(&u) != 0) return 2;
  struct io_uring_params p; memset(&p, 0, sizeof p);
  long r = syscall(SYS_io_uring_setup, 4, &p);
  printf("%ld %d\n", r, r < 0 ? errno : 0);
  return r < 0 && errno == ENOSYS ? 0 : 7;
}
)";

TEST(Trace, SeccompProfileRunsTheWorkloadAndRefusesTheRest) {
  TempDir dir;
  ASSERT_TRUE(cc(dir, "uname", kUname));
  ASSERT_TRUE(cc(dir, "outside", kOutside));
  const std::string profile = dir / "profile.json";
  const Traced t = trace(dir, {"--ro-bind", dir.path() + ":/t", "--seccomp-out", profile}, {"/t/uname"});
  ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
  const auto text = read_file(profile);
  ASSERT_TRUE(text.has_value());
  const json p = json::parse(*text);
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], 38);
  const Finished ok =
      strata({"run", "--ro-bind", dir.path() + ":/t", "--seccomp", profile, "--", "/t/uname"});
  EXPECT_EQ(ok.exit_code, 0) << describe(ok);
  EXPECT_EQ(ok.out, "Linux\n");
  const Finished refused =
      strata({"run", "--ro-bind", dir.path() + ":/t", "--seccomp", profile, "--", "/t/outside"});
  EXPECT_EQ(refused.exit_code, 0) << "io_uring_setup must fail with ENOSYS: " << describe(refused);
}

TEST(Trace, FollowsAMultiProcessShell) {
  TempDir dir;
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--isolation", "host"}, std::vector<std::string>{}}) {
    const Traced t = trace(dir, flags,
                           {"/bin/sh", "-c",
                            "echo hello | tr a-z A-Z; ls / > /dev/null & wait; "
                            "cat /proc/sys/kernel/osrelease > /dev/null"});
    ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
    EXPECT_EQ(t.run.out, "HELLO\n");
    const json& trace = t.doc["trace"];
    EXPECT_GE(trace["processes"].get<int>(), 4) << "sh, tr, ls, cat: " << trace.dump();
    for (const char* program : {"/tr", "/ls", "/cat", "/sh"}) {
      EXPECT_TRUE(has_path_ending(trace["executed"], program))
          << program << " in " << trace["executed"].dump();
    }
    EXPECT_NE(std::ranges::find(t.doc["needs"]["sysctls"], json("kernel.osrelease")),
              t.doc["needs"]["sysctls"].end());
    EXPECT_GE(t.doc["files"].size(), 4U) << "every executed ELF analyzed";
  }
}

// An execve has no exit stop: the exec event says it worked, the task's next
// stop (or its end) that it failed, and the file's absence in the task's root
// that it was a probe.
TEST(Trace, FailedExecsAreProbesOrFailures) {
  TempDir dir;
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--isolation", "host"}, std::vector<std::string>{}}) {
    const Traced t = trace(dir, flags, {"/bin/sh", "-c", "/no/such/tool; /etc/hostname; /bin/true"});
    ASSERT_EQ(t.run.exit_code, 0) << describe(t.run);
    const json& trace = t.doc["trace"];
    std::map<std::string, std::string> access;
    for (const json& file : trace["files"]) {
      access[file["path"].get<std::string>() + " " + file["access"].get<std::string>()] = "";
    }
    EXPECT_TRUE(access.contains("/no/such/tool probe-missing")) << trace["files"].dump();
    EXPECT_TRUE(access.contains("/etc/hostname failed")) << trace["files"].dump();
    EXPECT_FALSE(has_path_ending(trace["executed"], "/hostname")) << trace["executed"].dump();
    EXPECT_TRUE(has_path_ending(trace["executed"], "/true")) << trace["executed"].dump();
    EXPECT_EQ(trace["syscalls"]["execve"]["errors"], 2) << trace["syscalls"].dump();
  }
}

TEST(Trace, ExitCodesPassThrough) {
  TempDir dir;
  EXPECT_EQ(trace(dir, {"--isolation", "host"}, {"/bin/sh", "-c", "exit 7"}).run.exit_code, 7);
  EXPECT_EQ(trace(dir, {}, {"/bin/sh", "-c", "exit 3"}).run.exit_code, 3);
  EXPECT_EQ(trace(dir, {"--isolation", "host"}, {"/bin/sh", "-c", "kill -9 $$"}).run.exit_code, 137);
  EXPECT_EQ(trace(dir, {"--isolation", "host"}, {"/nonexistent/cmd"}).run.exit_code, 127);
}

TEST(Trace, BadFlagsAreClearErrors) {
  const Finished bogus = strata({"trace", "--bogus", "--", "/bin/true"});
  EXPECT_EQ(bogus.exit_code, 125);
  EXPECT_NE(bogus.err.find("--bogus"), std::string::npos) << bogus.err;
  const Finished seccomp = strata({"trace", "--seccomp", "/x.json", "--", "/bin/true"});
  EXPECT_EQ(seccomp.exit_code, 125);
  EXPECT_NE(seccomp.err.find("--seccomp"), std::string::npos) << seccomp.err;
  EXPECT_NE(seccomp.err.find("tracing filter"), std::string::npos) << seccomp.err;
  const Finished none = strata({"trace"});
  EXPECT_EQ(none.exit_code, 125);
  const Finished host_bind = strata({"trace", "--isolation", "host", "--bind", "/tmp", "--", "/bin/true"});
  EXPECT_EQ(host_bind.exit_code, 125);
  EXPECT_NE(host_bind.err.find("strata: trace: "), std::string::npos) << host_bind.err;
}

// A summary on stderr without --out; the workload's output untouched.
TEST(Trace, SummaryOnStderr) {
  const Finished f = strata({"trace", "--isolation", "host", "--", "/bin/echo", "hi"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hi\n");
  EXPECT_NE(f.err.find("strata: trace: '/bin/echo hi' exited with 0"), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("execve"), std::string::npos) << f.err;
}

TEST(Trace, NothingOutlivesTheTrace) {
  const ScopedSubreaper subreaper;
  const std::set<pid_t> before = descendants_of(::getpid());
  TempDir dir;
  // A background process the command leaves behind ends with the trace.
  const Traced t = trace(dir, {"--isolation", "host"}, {"/bin/sh", "-c", "sleep 30 & echo started"});
  EXPECT_EQ(t.run.exit_code, 0) << describe(t.run);
  EXPECT_EQ(leftovers(before), std::set<pid_t>{});
  // A SIGKILLed strata trace takes every traced process with it (EXITKILL).
  for (const std::vector<std::string>& isolation :
       {std::vector<std::string>{"--isolation", "host"}, std::vector<std::string>{}}) {
    std::vector<std::string> argv{strata_bin(), "trace"};
    argv.insert(argv.end(), isolation.begin(), isolation.end());
    argv.insert(argv.end(), {"--", "/bin/sh", "-c", "echo ready; sleep 30"});
    Process p = Process::start(argv);
    ASSERT_EQ(p.read_line(), "ready");
    p.kill(SIGKILL);
    (void)p.wait();
    EXPECT_EQ(leftovers(before), std::set<pid_t>{});
  }
}

TEST(Trace, SigtermIsForwarded) {
  std::vector<std::string> argv{
      strata_bin(), "trace",   "--isolation", "host",
      "--",         "/bin/sh", "-c",          "trap 'exit 9' TERM; echo ready; while :; do sleep 0.1; done"};
  Process p = Process::start(argv);
  ASSERT_EQ(p.read_line(), "ready");
  p.kill(SIGTERM);
  const Finished f = p.wait();
  EXPECT_EQ(f.exit_code, 9) << describe(f);
}

}  // namespace
}  // namespace strata::test
