// How a run ends: strata's exit code, its one-line errors, --json-status,
// --dry-run and --rootfs.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

namespace strata::test {
namespace {

// strata's own failures are exactly one line, "strata: run: ...".
void expect_one_error_line(const Finished& f) {
  const auto err_lines = lines(f.err);
  EXPECT_EQ(err_lines.size(), 1U) << describe(f);
  EXPECT_TRUE(f.err.starts_with("strata: run: ")) << describe(f);
  EXPECT_TRUE(f.err.ends_with("\n")) << describe(f);
}

// A directory holding only a copy of the static probe, as /probe.
void copy_probe_into(const TempDir& dir) {
  std::filesystem::copy_file(probe_bin(), dir / "probe");
  ::chmod((dir / "probe").c_str(), 0755);
}

nlohmann::json read_json(const std::string& path) {
  const auto text = read_file(path);
  if (!text) {
    ADD_FAILURE() << "no " << path;
    return {};
  }
  return nlohmann::json::parse(*text);
}

// ---- the workload's own end --------------------------------------------------------

class ExitCodePassesThrough : public testing::TestWithParam<int> {};

TEST_P(ExitCodePassesThrough, Exit) {
  const Finished f = probe({}, {"exit", std::to_string(GetParam())});
  EXPECT_EQ(f.exit_code, GetParam()) << describe(f);
  EXPECT_EQ(f.signal, 0);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(f.err, "");
}

INSTANTIATE_TEST_SUITE_P(ExitStatus, ExitCodePassesThrough, testing::Values(0, 1, 42, 255));

TEST(ExitStatus, KilledBySigkillIs137) {
  const Finished f = probe({}, {"kill-self", "9"});
  EXPECT_EQ(f.exit_code, 137) << describe(f);
  EXPECT_EQ(f.err, "");
}

TEST(ExitStatus, KilledBySigtermIs143) {
  const Finished f = probe({}, {"kill-self", "15"});
  EXPECT_EQ(f.exit_code, 143) << describe(f);
  EXPECT_EQ(f.err, "");
}

TEST(ExitStatus, HostIsolationSignalIs128PlusN) {
  const Finished f = probe({"--isolation", "host"}, {"kill-self", "15"});
  EXPECT_EQ(f.exit_code, 143) << describe(f);
}

TEST(ExitStatus, HostIsolationExitPassesThrough) {
  const Finished f = probe({"--isolation", "host"}, {"exit", "42"});
  EXPECT_EQ(f.exit_code, 42) << describe(f);
}

// ---- exec failures ---------------------------------------------------------------------

TEST(ExitStatus, CommandNotFoundIs127) {
  const std::string name = "strata-no-such-command-" + unique_token();
  const Finished f = strata({"run", "--", name});
  EXPECT_EQ(f.exit_code, 127) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
  EXPECT_NE(f.err.find(name), std::string::npos) << f.err;
}

TEST(ExitStatus, MissingAbsolutePathIs127) {
  const Finished f = strata({"run", "--", "/no/such/program"});
  EXPECT_EQ(f.exit_code, 127) << describe(f);
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("/no/such/program"), std::string::npos) << f.err;
}

TEST(ExitStatus, NonExecutableFileIs126) {
  const Finished f = strata({"run", "--", "/etc/passwd"});
  EXPECT_EQ(f.exit_code, 126) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("/etc/passwd"), std::string::npos) << f.err;
}

TEST(ExitStatus, HostIsolationCommandNotFoundIs127) {
  const Finished f = strata({"run", "--isolation", "host", "--", "/no/such/program"});
  EXPECT_EQ(f.exit_code, 127) << describe(f);
  expect_one_error_line(f);
}

// ---- strata's own failures ----------------------------------------------------------------

TEST(ExitStatus, EmptyCommandIs125) {
  const Finished f = strata({"run", "--"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
}

TEST(ExitStatus, UnknownFlagIs125) {
  const Finished f = strata({"run", "--no-such-flag", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("--no-such-flag"), std::string::npos) << f.err;
}

class BadFlagIs125 : public testing::TestWithParam<std::vector<std::string>> {};

TEST_P(BadFlagIs125, OneLineOnStderr) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), GetParam().begin(), GetParam().end());
  args.insert(args.end(), {"--", "/bin/true"});
  const Finished f = strata(args);
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
}

INSTANTIATE_TEST_SUITE_P(
    ExitStatus, BadFlagIs125,
    testing::Values(
        std::vector<std::string>{"--env"}, std::vector<std::string>{"--env", "NOEQUALS"},
        std::vector<std::string>{"--uid", "abc"}, std::vector<std::string>{"--uid", "-1"},
        std::vector<std::string>{"--net", "bogus"}, std::vector<std::string>{"--isolation", "bogus"},
        std::vector<std::string>{"--share", "user"}, std::vector<std::string>{"--bind", ":"},
        std::vector<std::string>{"--tmpfs", "relative"}, std::vector<std::string>{"--tmpfs", "/x:abc"},
        std::vector<std::string>{"--bind", "/etc:/a/../b"}, std::vector<std::string>{"--pass-fd", "1"},
        std::vector<std::string>{"--hostname", std::string(65, 'a')},
        std::vector<std::string>{"--share", "uts", "--hostname", "x"},
        std::vector<std::string>{"--isolation", "host", "--bind", "/etc"}));

TEST(ExitStatus, MissingRootfsIs125) {
  const Finished f = strata({"run", "--rootfs", "/nonexistent", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("/nonexistent"), std::string::npos) << f.err;
}

TEST(ExitStatus, MissingBindSourceIs125) {
  const Finished f = strata({"run", "--bind", "/nonexistent:/x", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("/nonexistent"), std::string::npos) << f.err;
}

TEST(ExitStatus, RootfsWithProcSymlinkIs125) {
  const TempDir root;
  copy_probe_into(root);
  ASSERT_EQ(::symlink("/etc", (root / "proc").c_str()), 0);
  const Finished f = strata({"run", "--rootfs", root.path(), "--", "/probe", "pid"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
  EXPECT_NE(f.err.find("symlink"), std::string::npos) << f.err;
}

TEST(ExitStatus, SetupFailureWritesNothingToStdout) {
  const Finished f = probe({"--workdir", "/no/such/dir"}, {"pid"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.out, "");
  expect_one_error_line(f);
}

// ---- --json-status -------------------------------------------------------------------------

TEST(JsonStatus, Exited) {
  const TempDir dir;
  const Finished f = probe({"--json-status", dir / "status.json"}, {"exit", "42"});
  EXPECT_EQ(f.exit_code, 42) << describe(f);
  const auto json = read_json(dir / "status.json");
  EXPECT_EQ(json.value("reason", ""), "exited") << json.dump();
  EXPECT_EQ(json.value("exit_code", -1), 42) << json.dump();
  EXPECT_FALSE(json.contains("signal")) << json.dump();
}

TEST(JsonStatus, Signaled) {
  const TempDir dir;
  const Finished f = probe({"--json-status", dir / "status.json"}, {"kill-self", "15"});
  EXPECT_EQ(f.exit_code, 143) << describe(f);
  const auto json = read_json(dir / "status.json");
  EXPECT_EQ(json.value("schema", ""), "strata.outcome/v1") << json.dump();
  EXPECT_EQ(json.value("reason", ""), "signaled") << json.dump();
  EXPECT_EQ(json.value("signal", -1), 15) << json.dump();
  EXPECT_EQ(json.value("signal_name", ""), "SIGTERM") << json.dump();
  EXPECT_EQ(json.value("exit_code", -1), 143) << json.dump();
}

TEST(JsonStatus, ExecFailed) {
  const TempDir dir;
  const Finished f = strata({"run", "--json-status", dir / "status.json", "--", "/no/such/program"});
  EXPECT_EQ(f.exit_code, 127) << describe(f);
  const auto json = read_json(dir / "status.json");
  EXPECT_EQ(json.value("reason", ""), "exec-failed") << json.dump();
  EXPECT_EQ(json.value("exit_code", -1), 127) << json.dump();
  EXPECT_NE(json.value("error", "").find("/no/such/program"), std::string::npos) << json.dump();
}

TEST(JsonStatus, SetupFailed) {
  const TempDir dir;
  const Finished f = probe({"--json-status", dir / "status.json", "--workdir", "/no/such/dir"}, {"pid"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  const auto json = read_json(dir / "status.json");
  EXPECT_EQ(json.value("reason", ""), "setup-failed") << json.dump();
  EXPECT_EQ(json.value("exit_code", -1), 125) << json.dump();
}

TEST(JsonStatus, LeavesNoTemporaryFiles) {
  const TempDir dir;
  const Finished f = probe({"--json-status", dir / "status.json"}, {"exit", "0"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"status.json"});
}

// ---- --dry-run ---------------------------------------------------------------------------------

TEST(DryRun, PrintsPlanWithoutRunning) {
  const TempDir dir;
  const Finished f = probe({"--dry-run", "--bind", dir.path() + ":/out"}, {"write", "/out/ran"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.err, "");
  EXPECT_NE(f.out.find("namespaces:"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("command: /probe write /out/ran"), std::string::npos) << f.out;
  EXPECT_EQ(f.out.find("ok\n"), std::string::npos) << f.out;
  EXPECT_FALSE(path_exists(dir / "ran")) << "--dry-run ran the command";
}

TEST(DryRun, HostIsolationDoesNotRun) {
  const TempDir dir;
  const Finished f = probe({"--isolation", "host", "--dry-run"}, {"write", dir / "ran"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("isolation: host"), std::string::npos) << f.out;
  EXPECT_FALSE(path_exists(dir / "ran")) << "--dry-run ran the command";
}

// ---- --rootfs ----------------------------------------------------------------------------------

TEST(Rootfs, RunsStaticBinaryFromMinimalRoot) {
  const TempDir root;
  copy_probe_into(root);
  const Finished f = strata({"run", "--rootfs", root.path(), "--", "/probe", "pid"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "2\n");
  EXPECT_EQ(f.err, "");
}

TEST(Rootfs, RootfsIsTheRootAndReadOnly) {
  const TempDir root;
  copy_probe_into(root);
  write_file(root / "marker", "in the rootfs\n");
  const Finished read = strata({"run", "--rootfs", root.path(), "--", "/probe", "read", "/marker"});
  EXPECT_EQ(read.exit_code, 0) << describe(read);
  EXPECT_EQ(read.out, "in the rootfs\n");
  const Finished usr = strata({"run", "--rootfs", root.path(), "--", "/probe", "exists", "/usr"});
  EXPECT_EQ(usr.out, "no\n") << describe(usr);
  const Finished write = strata({"run", "--rootfs", root.path(), "--", "/probe", "write", "/x"});
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  EXPECT_FALSE(path_exists(root / "x"));
}

TEST(Rootfs, RootfsWritableLetsWritesThroughToTheDirectory) {
  const TempDir root;
  copy_probe_into(root);
  const Finished write =
      strata({"run", "--rootfs", root.path(), "--rootfs-writable", "--", "/probe", "write", "/x"});
  EXPECT_EQ(write.exit_code, 0) << describe(write);
  EXPECT_TRUE(path_exists(root / "x"));
  const Finished alone = strata({"run", "--rootfs-writable", "--", "/bin/true"});
  EXPECT_EQ(alone.exit_code, 125) << describe(alone);
  EXPECT_NE(alone.err.find("needs --rootfs"), std::string::npos) << describe(alone);
}

// Runs `strata run --rootfs ROOT -- /probe ARGS...` from a private mount
// namespace in which the host directory `outside` is bind-mounted at ROOT/sub,
// so the host's (and the other tests') mount table is never touched. Exits
// 99 when that set-up fails (no privilege to make a mount namespace).
Finished run_with_submount(const TempDir& root, const std::string& outside,
                           const std::vector<std::string>& probe_args) {
  std::vector<std::string> argv{strata_bin(), "run", "--rootfs", root.path(), "--", "/probe"};
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  const std::string sub = root / "sub";
  Process p = Process::start(argv, {}, [&sub, &outside] {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(outside.c_str(), sub.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      ::_exit(99);
    }
  });
  return p.wait();
}

TEST(Rootfs, SubmountsOfRootfsAreReadOnlyToo) {
  // "--rootfs DIR (a whole tree, mounted read-only)": a filesystem mounted
  // below DIR on the host is part of the tree and must not be writable.
  const TempDir root;
  const TempDir outside;
  copy_probe_into(root);
  ASSERT_EQ(::mkdir((root / "sub").c_str(), 0755), 0);
  const Finished write = run_with_submount(root, outside.path(), {"write", "/sub/x"});
  if (write.exit_code == 99) {
    GTEST_SKIP() << "cannot create a mount namespace with a bind mount (needs root)";
  }
  EXPECT_EQ(write.exit_code, 1) << describe(write);
  EXPECT_EQ(write.out, "error EROFS\n");
  EXPECT_FALSE(path_exists(outside / "x")) << "the workload wrote into a host mount below the rootfs";
  const Finished statfs = run_with_submount(root, outside.path(), {"statfs-ro", "/sub"});
  EXPECT_EQ(statfs.out, "ro\n") << describe(statfs);
}

TEST(ExitStatus, CommandIsLookedUpInWorkloadPath) {
  ASSERT_TRUE(path_exists("/usr/bin/true"));
  const Finished found = strata({"run", "--clear-env", "--env", "PATH=/usr/bin", "--", "true"});
  EXPECT_EQ(found.exit_code, 0) << describe(found);
  const Finished not_found = strata({"run", "--env", "PATH=/nowhere", "--", "true"});
  EXPECT_EQ(not_found.exit_code, 127) << describe(not_found);
  expect_one_error_line(not_found);
}

}  // namespace
}  // namespace strata::test
