// strata.toml with the real binary: the file's command, env and mounts seen
// from inside the default sandbox, flags over the file, -f from elsewhere,
// and the one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace strata::test {
namespace {

// `strata ARGS...` with DIR as its working directory.
Finished strata_in(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/env", "-C", dir, strata_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// What the workload reports: a variable, a file through a ro-bind, whether
// that bind is writable, and the hostname.
constexpr const char* kReport =
    R"(command = ["/bin/sh", "-c", "echo \"$GREETING\"; cat /data/msg; if touch /data/new 2>/dev/null; )"
    R"(then echo writable; else echo read-only; fi; hostname"]
hostname = "from-file"

[env]
GREETING = "hello from the file"

[[mounts]]
type = "ro-bind"
source = "data"
destination = "/data"
)";

void make_project(const std::string& dir, const std::string& toml) {
  std::filesystem::create_directories(dir + "/data");
  write_file(dir + "/data/msg", "the data\n");
  write_file(dir + "/strata.toml", toml);
}

TEST(EnvFile, CommandEnvAndRoBindFromTheFile) {
  TempDir dir;
  make_project(dir.path(), kReport);
  const Finished f = strata_in(dir.path(), {"run"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello from the file\nthe data\nread-only\nfrom-file\n") << describe(f);
  EXPECT_FALSE(path_exists(dir / "data/new"));
}

TEST(EnvFile, FlagsOverrideTheFile) {
  TempDir dir;
  make_project(dir.path(), kReport);
  // A scalar flag replaces, --env adds after the file's (so it wins), and
  // the command line's command replaces the file's.
  const Finished f =
      strata_in(dir.path(), {"run", "--hostname", "from-flag", "--env", "GREETING=from the flag", "--",
                             "/bin/sh", "-c", "echo \"$GREETING\"; hostname; cat /data/msg"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "from the flag\nfrom-flag\nthe data\n") << describe(f);
}

TEST(EnvFile, FileElsewhereResolvesPathsAgainstItsDirectory) {
  TempDir dir;
  TempDir cwd;
  make_project(dir / "project", kReport);
  const Finished f = strata_in(cwd.path(), {"run", "-f", dir / "project/strata.toml"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "hello from the file\nthe data\nread-only\nfrom-file\n") << describe(f);
  const Finished by_long_name = strata_in(cwd.path(), {"run", "--file=" + (dir / "project/strata.toml")});
  EXPECT_EQ(by_long_name.out, f.out) << describe(by_long_name);
}

TEST(EnvFile, DryRunSaysWhereSettingsCameFrom) {
  TempDir dir;
  make_project(dir.path(), kReport + std::string("\n[resources]\nmemory = \"256m\"\n"));
  const Finished f = strata_in(dir.path(), {"run", "--dry-run", "--memory", "512m"});
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(f.out.find("environment file: " + (dir / "strata.toml") + "\n"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("from the file: command env hostname mounts resources.memory\n"), std::string::npos)
      << f.out;
  EXPECT_NE(f.out.find("from flags (over the file): --memory\n"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("hostname: from-file\n"), std::string::npos) << f.out;
}

TEST(EnvFile, BadKeyIsOneLineWithFileLineAndKey) {
  TempDir dir;
  write_file(dir / "strata.toml", "command = [\"/bin/true\"]\n\n[resources]\nmemory = \"5x\"\n");
  const Finished f = strata_in(dir.path(), {"run"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.err,
            "strata: run: strata.toml:4: key 'resources.memory': expected a size like 512m, not '5x'\n");
  EXPECT_EQ(f.out, "");
  // --no-file ignores it.
  const Finished ignored = strata_in(dir.path(), {"run", "--no-file", "--", "/bin/true"});
  EXPECT_EQ(ignored.exit_code, 0) << describe(ignored);
}

TEST(EnvFile, SyntaxErrorGivesLineAndColumn) {
  TempDir dir;
  write_file(dir / "strata.toml", "command = [\"/bin/true\"]\nhostname = \n");
  const Finished f = strata_in(dir.path(), {"run"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.err.rfind("strata: run: strata.toml:2:", 0), 0U) << describe(f);
  EXPECT_NE(f.err.find("invalid TOML"), std::string::npos) << describe(f);
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << describe(f);
}

TEST(EnvFile, MissingFileGivenWithFlagIsAnError) {
  TempDir dir;
  const Finished f = strata_in(dir.path(), {"run", "-f", "nowhere.toml", "--", "/bin/true"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.err, "strata: run: read environment file 'nowhere.toml': No such file or directory\n");
  const Finished both = strata_in(dir.path(), {"run", "-f", "x.toml", "--no-file", "--", "/bin/true"});
  EXPECT_EQ(both.exit_code, 125) << describe(both);
}

TEST(EnvFile, NoFileAndNoCommandIsStillAnError) {
  TempDir dir;
  const Finished f = strata_in(dir.path(), {"run"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
}

TEST(EnvFile, TraceAndAdviseReadTheFileToo) {
  TempDir dir;
  write_file(dir / "strata.toml", "command = [\"/bin/true\"]\nhostnmae = \"x\"\n");
  for (const char* verb : {"trace", "advise"}) {
    const Finished f = strata_in(dir.path(), {verb});
    EXPECT_EQ(f.exit_code, 125) << describe(f);
    EXPECT_EQ(f.err, std::string("strata: ") + verb +
                         ": strata.toml:2: key 'hostnmae': unknown key (see docs/strata-toml.md)\n");
  }
}

}  // namespace
}  // namespace strata::test
