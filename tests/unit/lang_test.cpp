// The +venv layer's pure parts: what changes an environment's key and what
// does not, the build scripts' failure lines, the run's variables, and the
// Spec a build runs in.
#include <gtest/gtest.h>

#include <algorithm>

#include "lang/inputs.hpp"
#include "lang/key.hpp"
#include "lang/prepare.hpp"
#include "lang/recipe.hpp"

namespace strata::lang {
namespace {

Inputs python_inputs() {
  Inputs in;
  in.kind = Kind::python;
  in.lockfile = "/project/requirements.txt";
  in.lock_bytes = "demo==1.0\n";
  in.find_links = {LinkDir{.path = "/wheels", .files = {{.name = "demo-1.0-py3-none-any.whl", .size = 900}}}};
  in.interpreter = "python3";
  return in;
}

constexpr std::string_view kLayer = "system:/usr/bin/python3.11:6831736:1745800000.0";

TEST(EnvKey, IsStableAndShort) {
  const std::string key = env_key(python_inputs(), kLayer);
  EXPECT_EQ(key.size(), kKeyDigits);
  EXPECT_EQ(key, env_key(python_inputs(), kLayer));
  EXPECT_TRUE(std::ranges::all_of(key, [](char c) { return std::isxdigit(c) != 0; }));
}

TEST(EnvKey, ChangesWithWhatGetsInstalledAndWhereItRuns) {
  const std::string base = env_key(python_inputs(), kLayer);
  std::vector<Inputs> changed(7, python_inputs());
  changed[0].lock_bytes = "demo==1.1\n";
  changed[1].find_links[0].files[0].size = 901;
  changed[2].find_links[0].files.push_back({.name = "other-2.0-py3-none-any.whl", .size = 10});
  changed[3].find_links[0].files[0].name = "demo-1.0-py3-none-manylinux.whl";
  changed[4].interpreter = "python3.12";
  changed[5].kind = Kind::node;
  changed[6].package_json = "{}";
  for (std::size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(env_key(changed[i], kLayer), base) << i;
  }
  EXPECT_NE(env_key(python_inputs(), "system:/usr/bin/python3.11:6831736:1745800001.0"), base);
  EXPECT_NE(env_key(python_inputs(), "image:sha256:abc"), base);
  EXPECT_NE(env_key(python_inputs(), "rootfs:/srv/root"), base);
}

TEST(EnvKey, IgnoresWhereTheInputsLie) {
  const std::string base = env_key(python_inputs(), kLayer);
  Inputs moved = python_inputs();
  moved.lockfile = "/elsewhere/reqs.txt";
  moved.find_links[0].path = "/other/wheels";
  EXPECT_EQ(env_key(moved, kLayer), base);
}

TEST(EnvKey, FieldsDoNotRunTogether) {
  Inputs a = python_inputs();
  Inputs b = python_inputs();
  a.lock_bytes = "ab";
  a.package_json = "c";
  b.lock_bytes = "a";
  b.package_json = "bc";
  EXPECT_NE(env_key(a, kLayer), env_key(b, kLayer));
}

TEST(BuildFailure, NamesTheStepAndPipsLastError) {
  const std::string log =
      "strata-step: python3 -m venv\n"
      "strata-step: pip install\n"
      "Looking in links: /wheels\n"
      "ERROR: Could not find a version that satisfies the requirement nothere==1.0 (from versions: none)\n"
      "ERROR: No matching distribution found for nothere==1.0\n";
  const BuildFailure f = read_failure(log);
  EXPECT_EQ(f.step, "pip install");
  EXPECT_EQ(f.reason, "ERROR: No matching distribution found for nothere==1.0");
}

TEST(BuildFailure, NpmsFirstErrorLineElseTheLastLine) {
  const BuildFailure npm = read_failure(
      "strata-step: npm ci\nnpm error code EUSAGE\nnpm error `npm ci` can only install packages when your "
      "package.json and package-lock.json are in sync.\nnpm error A complete log of this run can be found "
      "in: /x\n");
  EXPECT_EQ(npm.step, "npm ci");
  EXPECT_EQ(npm.reason.substr(0, 24), "npm error `npm ci` can o");
  const BuildFailure sh = read_failure("strata-step: python3 -m venv\nsh: 1: python3: not found\n\n");
  EXPECT_EQ(sh.step, "python3 -m venv");
  EXPECT_EQ(sh.reason, "sh: 1: python3: not found");
  EXPECT_EQ(read_failure("").reason, "failed without a message");
}

TEST(Recipe, QuotesEveryPathAndInstallsOnlyFromFindLinks) {
  Inputs in = python_inputs();
  in.find_links[0].path = "/it's/wheels";
  const EnvPaths paths = env_paths("/var/lib/strata/envs", "k");
  const Recipe r = python_recipe(in, paths);
  EXPECT_NE(r.script.find("--no-index --find-links '/it'\\''s/wheels'"), std::string::npos) << r.script;
  EXPECT_NE(r.script.find("'python3' -m venv '/var/lib/strata/envs/k'"), std::string::npos);
  EXPECT_EQ(r.summary, "pip install -r requirements.txt");
  ASSERT_EQ(r.files.size(), 1U);
  EXPECT_EQ(r.files[0].first, "/var/lib/strata/envs/k/.strata/requirements.txt");
  EXPECT_FALSE(r.needs_network);
  EXPECT_TRUE(node_recipe(in, paths).needs_network);
}

TEST(Environment, PythonPrependsThePathAndDropsPythonhome) {
  std::vector<std::string> env{"PATH=/usr/bin:/bin", "PYTHONHOME=/opt/py", "VIRTUAL_ENV=/old", "TERM=xterm"};
  apply_environment(Kind::python, "/envs/k", env);
  std::ranges::sort(env);
  EXPECT_EQ(
      env, (std::vector<std::string>{"PATH=/envs/k/bin:/usr/bin:/bin", "TERM=xterm", "VIRTUAL_ENV=/envs/k"}));
  std::vector<std::string> node;
  apply_environment(Kind::node, "/envs/n", node);
  std::ranges::sort(node);
  EXPECT_EQ(node, (std::vector<std::string>{"NODE_PATH=/envs/n/node_modules",
                                            "PATH=/envs/n/node_modules/.bin:/usr/local/bin:/usr/bin:/bin"}));
}

TEST(BuildSpec, KeepsTheLayerAndBindsTheEnvironment) {
  Spec user;
  user.isolation = Isolation::container;
  user.image = "demo";
  user.venv = true;
  user.lang.python_requirements = "requirements.txt";
  user.json_status = "/tmp/status.json";
  user.resources.timeout = std::chrono::seconds(1);
  const EnvPaths paths = env_paths("/envs", "k");
  const Spec spec = build_spec(user, paths, python_inputs(), "true", false);
  EXPECT_EQ(spec.isolation, Isolation::container);
  EXPECT_EQ(spec.image, "demo");
  EXPECT_FALSE(spec.venv);
  EXPECT_FALSE(spec.lang.customized());
  EXPECT_EQ(spec.entrypoint, "");
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/bin/sh", "-c", "true"}));
  EXPECT_EQ(spec.workdir, "/envs/k");
  EXPECT_FALSE(spec.json_status);
  EXPECT_FALSE(spec.resources.timeout);
  EXPECT_EQ(spec.net, NetMode::none);
  ASSERT_EQ(spec.mounts.size(), 2U);
  EXPECT_EQ(spec.mounts[0],
            (MountSpec{.kind = MountKind::bind, .source = "/envs/k", .destination = "/envs/k"}));
  EXPECT_EQ(spec.mounts[1],
            (MountSpec{.kind = MountKind::ro_bind, .source = "/wheels", .destination = "/wheels"}));
  EXPECT_EQ(build_spec(user, paths, python_inputs(), "true", true).net, NetMode::host);
  user.isolation = Isolation::vm;
  EXPECT_EQ(build_spec(user, paths, python_inputs(), "true", true).net, NetMode::user);
}

}  // namespace
}  // namespace strata::lang
