// The +venv layer through the real binary: a Python venv built from wheels
// the test writes itself (these machines reach no Python index), on the host
// and in a sandbox, reused by a second run and rebuilt for a changed lockfile;
// a failed install; a container without python3; strata env ls/rm/prune; and
// a Node environment from a tiny real npm package.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "image_fixtures.hpp"
#include "wheel.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrintVersion =
    "import stratademo, sys; print(stratademo.__version__, sys.prefix == sys.base_prefix)";

class Venv : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run({"/bin/sh", "-c", "python3 -c 'import ensurepip, venv'"}).exit_code != 0) {
      GTEST_SKIP() << "needs python3 with venv and ensurepip (apt-get install python3-venv)";
    }
    fs::create_directory(wheels());
    wheel("stratademo", "1.0");
    wheel("stratademo", "2.0");
    write_file(work_ / "requirements.txt", "stratademo==1.0\n");
  }

  [[nodiscard]] std::string wheels() const { return work_ / "wheels"; }
  void wheel(const std::string& name, const std::string& version) const {
    make_wheel(wheels(), name, version);
  }

  // strata ARGS... with the test's own store, from the work directory.
  [[nodiscard]] Finished with_home(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/env", "-C", work_.path(), "STRATA_HOME=" + home_.path(),
                                  strata_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  [[nodiscard]] Finished python(const std::string& layers, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args{"run", "--isolation", layers, "--find-links", wheels()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", "python", "-c", kPrintVersion});
    return with_home(args);
  }
  [[nodiscard]] nlohmann::json envs() const {
    const Finished f = with_home({"env", "ls", "--json"});
    EXPECT_EQ(f.exit_code, 0) << describe(f);
    return nlohmann::json::parse(f.out, nullptr, false);
  }
  [[nodiscard]] std::size_t env_dirs() const {
    const fs::path dir = home_ / "envs";
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      n += entry.is_directory() ? 1 : 0;
    }
    return n;
  }

  TempDir home_;
  TempDir work_;
};

TEST_F(Venv, HostRunImportsThePackageAndTheSecondRunReuses) {
  const Finished first = python("venv");
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_EQ(first.out, "1.0 False\n");
  EXPECT_NE(first.err.find("preparing python env"), std::string::npos) << first.err;
  const nlohmann::json one = envs();
  ASSERT_EQ(one.size(), 1U) << one.dump();
  EXPECT_EQ(one[0]["kind"], "python");
  EXPECT_EQ(one[0]["lockfile"], work_ / "requirements.txt");
  EXPECT_TRUE(one[0]["complete"].get<bool>());

  const Finished second = python("venv");
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(second.out, "1.0 False\n");
  EXPECT_EQ(second.err.find("preparing"), std::string::npos) << second.err;
  const nlohmann::json still = envs();
  ASSERT_EQ(still.size(), 1U);
  EXPECT_EQ(still[0]["created"], one[0]["created"]);
  EXPECT_EQ(still[0]["key"], one[0]["key"]);
}

TEST_F(Venv, AChangedLockfileGetsANewEnvironment) {
  ASSERT_EQ(python("venv").exit_code, 0);
  write_file(work_ / "requirements.txt", "stratademo==2.0\n");
  const Finished f = python("venv");
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "2.0 False\n");
  EXPECT_EQ(envs().size(), 2U);
}

TEST_F(Venv, SandboxRunUsesTheSandboxsInterpreter) {
  const Finished f = python("sandbox+venv");
  ASSERT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_EQ(f.out, "1.0 False\n");
  const nlohmann::json all = envs();
  ASSERT_EQ(all.size(), 1U);
  // Read-only inside: the workload cannot change the shared environment.
  const std::string dir = all[0]["path"];
  const Finished write = with_home({"run", "--isolation", "sandbox+venv", "--find-links", wheels(), "--",
                                    "/bin/sh", "-c", "touch " + dir + "/x"});
  EXPECT_NE(write.exit_code, 0) << describe(write);
  EXPECT_FALSE(path_exists(dir + "/x"));
}

TEST_F(Venv, ConcurrentRunsBuildOnce) {
  std::vector<Process> runs;
  for (int i = 0; i < 2; ++i) {
    runs.push_back(Process::start({"/usr/bin/env", "-C", work_.path(), "STRATA_HOME=" + home_.path(),
                                   strata_bin(), "run", "--isolation", "venv", "--find-links", wheels(), "--",
                                   "python", "-c", kPrintVersion}));
  }
  std::size_t builds = 0;
  for (Process& p : runs) {
    const Finished f = p.wait(std::chrono::seconds(120));
    ASSERT_EQ(f.exit_code, 0) << describe(f);
    EXPECT_EQ(f.out, "1.0 False\n");
    builds += f.err.find("preparing python env") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(builds, 1U);
  EXPECT_EQ(envs().size(), 1U);
}

TEST_F(Venv, DryRunSaysWhichEnvironmentWithoutMakingIt) {
  const Finished dry = python("venv", {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_NE(dry.out.find("venv: python env "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("(create: pip install -r requirements.txt)"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("VIRTUAL_ENV=" + fs::weakly_canonical(home_.path()).string() + "/envs/"),
            std::string::npos)
      << dry.out;
  EXPECT_FALSE(path_exists(home_ / "envs") && env_dirs() > 0);
  ASSERT_EQ(python("venv").exit_code, 0);
  const Finished again = python("venv", {"--dry-run"});
  EXPECT_NE(again.out.find("(reuse)"), std::string::npos) << again.out;
}

TEST_F(Venv, AFailedInstallIsOneLineAndLeavesNothing) {
  write_file(work_ / "requirements.txt", "nothere==1.0\n");
  const Finished f = python("venv");
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(f.err.substr(f.err.rfind('\n', f.err.size() - 2) + 1),
            "strata: run: pip install '" + (work_ / "requirements.txt") +
                "': ERROR: No matching distribution found for nothere==1.0\n")
      << f.err;
  EXPECT_EQ(env_dirs(), 0U);
  EXPECT_EQ(envs().size(), 0U);
}

TEST_F(Venv, FindsTheLockfileOrSaysWhatToGive) {
  ASSERT_EQ(with_home({"run", "--isolation", "venv", "--find-links", wheels(), "--", "python", "-c",
                       "import stratademo"})
                .exit_code,
            0);
  fs::remove(work_ / "requirements.txt");
  const Finished none = with_home({"run", "--isolation", "venv", "--", "true"});
  EXPECT_EQ(none.exit_code, 125);
  EXPECT_NE(none.err.find("strata: run: find lockfile '"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("--requirements FILE or --npm-lock FILE"), std::string::npos) << none.err;
  const Finished without =
      with_home({"run", "--isolation", "sandbox", "--find-links", wheels(), "--", "true"});
  EXPECT_EQ(without.exit_code, 125);
  EXPECT_NE(without.err.find("need a +venv layer"), std::string::npos) << without.err;
}

TEST_F(Venv, AContainerBuildUsesTheImagesInterpreterNotTheHosts) {
  // builtin:busybox has no python3: the build runs in the container (the
  // host's python3 would have succeeded) and fails there, cleanly.
  const Finished f = python("container+venv", {"--image", "builtin:busybox"});
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_NE(f.err.find("strata: run: python3 -m venv '"), std::string::npos) << f.err;
  EXPECT_NE(f.err.find("python3: not found"), std::string::npos) << f.err;
  EXPECT_EQ(env_dirs(), 0U);
  // A successful container+venv build, in an image with python3: layered_test.cpp.
}

TEST_F(Venv, EnvLsRmPrune) {
  ASSERT_EQ(python("venv").exit_code, 0);
  const std::string key = envs()[0]["key"];
  const Finished rm = with_home({"env", "rm", key.substr(0, 12)});
  ASSERT_EQ(rm.exit_code, 0) << describe(rm);
  EXPECT_EQ(rm.out, "removed " + key + "\n");
  EXPECT_EQ(envs().size(), 0U);
  EXPECT_EQ(with_home({"env", "rm", "0000"}).exit_code, 125);

  ASSERT_EQ(python("venv").exit_code, 0);
  fs::create_directory(home_ / "envs/deadbeef");  // a build that died
  const Finished text = with_home({"env", "ls"});
  EXPECT_NE(text.out.find("(incomplete"), std::string::npos) << text.out;
  const Finished prune = with_home({"env", "prune", "--json"});
  ASSERT_EQ(prune.exit_code, 0) << describe(prune);
  EXPECT_EQ(nlohmann::json::parse(prune.out)["removed"], 1);
  EXPECT_EQ(envs().size(), 1U);
  EXPECT_EQ(with_home({"env", "prune", "--older-than", "1h"}).out, "removed 0 environments, 0 bytes\n");
  ASSERT_EQ(with_home({"env", "prune", "--all"}).exit_code, 0);
  EXPECT_EQ(envs().size(), 0U);
}

TEST(VenvNode, NpmCiAndRequireThroughNodePath) {
  if (!have_tool("npm") || !have_tool("node")) {
    GTEST_SKIP() << "needs node and npm";
  }
  TempDir home;
  TempDir work;
  write_file(work / "package.json",
             R"({"name": "strata-venv-test", "version": "1.0.0", "dependencies": {"is-number": "7.0.0"}})");
  Process lock = Process::start({"/usr/bin/env", "-C", work.path(), "npm", "install", "--package-lock-only",
                                 "--no-audit", "--no-fund"});
  if (lock.wait(std::chrono::seconds(90)).exit_code != 0) {
    GTEST_SKIP() << "the npm registry is unreachable (npm install --package-lock-only failed)";
  }
  for (const std::string layers : {"sandbox+venv", "venv"}) {
    Process p = Process::start(
        {"/usr/bin/env", "-C", work.path(), "STRATA_HOME=" + home.path(), strata_bin(), "run", "--isolation",
         layers, "--", "node", "-e",
         "console.log(require('is-number')(5), process.env.NODE_PATH.endsWith('/node_modules'))"});
    const Finished f = p.wait(std::chrono::seconds(120));
    ASSERT_EQ(f.exit_code, 0) << layers << ": " << describe(f);
    EXPECT_EQ(f.out, "true true\n") << layers;
  }
}

}  // namespace
}  // namespace strata::test
