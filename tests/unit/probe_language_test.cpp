// probe_language() on the running machine: a venv made by `python3 -m venv`
// holding a hand-made distribution, found under the project directory and
// through $VIRTUAL_ENV, and a local package installed by `npm install`
// (offline). Each skips when the machine lacks the tool.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using namespace test_support;

// Sets (or, with nullopt, removes) an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(std::string name, const std::optional<std::string>& to) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
      old_ = old;
    }
    set(to);
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;
  ~EnvVar() { set(old_); }

 private:
  void set(const std::optional<std::string>& to) const {
    const int rc = to ? ::setenv(name_.c_str(), to->c_str(), 1) : ::unsetenv(name_.c_str());
    EXPECT_EQ(rc, 0) << name_;
  }

  std::string name_;
  std::optional<std::string> old_;
};

bool run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

// A venv in <dir>/.venv made by the system's python3 (not a pyenv shim), with
// demo_pkg 0.1 written by hand; returns its site-packages or nullopt.
std::optional<std::string> make_venv(const TempTree& dir) {
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (!run_quietly(python + " -m venv --without-pip '" + dir.path().string() + "/.venv'")) {
    return std::nullopt;
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir.path().string() + "/.venv/lib", ec)) {
    std::string site = entry.path().string() + "/site-packages";
    if (fs::is_directory(site)) {
      dir.write(site.substr(dir.path().string().size() + 1) + "/demo_pkg-0.1.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: demo_pkg\nVersion: 0.1\n\nA demo.\n");
      return site;
    }
  }
  return std::nullopt;
}

TEST(ProbeLanguageLive, VenvUnderTheWorkingDirectory) {
  const TempTree dir;
  const auto site = make_venv(dir);
  if (!site) {
    GTEST_SKIP() << "python3 -m venv failed (python3-venv missing?)";
  }
  const EnvVar no_venv("VIRTUAL_ENV", std::nullopt);
  const Facts facts = probe_language(Root::live(), dir.path().string());
  const json venv = value(facts, "python.venv");
  EXPECT_EQ(venv["path"], dir.path().string() + "/.venv");
  EXPECT_TRUE(venv["version"].is_string()) << venv;
  EXPECT_EQ(venv["include_system_site_packages"], false);
  EXPECT_EQ(value(facts, "python.package.demo-pkg"),
            (json{{"version", "0.1"}, {"location", *site}, {"kind", "dist-info"}}));
}

TEST(ProbeLanguageLive, VenvNamedByVirtualEnv) {
  const TempTree dir;
  const auto site = make_venv(dir);
  if (!site) {
    GTEST_SKIP() << "python3 -m venv failed (python3-venv missing?)";
  }
  const EnvVar active("VIRTUAL_ENV", dir.path().string() + "/.venv/");
  const Facts facts = probe_language(Root::live(), "/");
  EXPECT_EQ(value(facts, "python.venv")["path"], dir.path().string() + "/.venv");
  EXPECT_EQ(value(facts, "python.package.demo-pkg")["version"], "0.1");
}

TEST(ProbeLanguageLive, NpmInstallsALocalPackage) {
  if (!run_quietly("command -v npm")) {
    GTEST_SKIP() << "npm is not installed";
  }
  const TempTree dir;
  dir.write("app/package.json", R"({"name": "app", "version": "1.0.0"})");
  dir.write("app/localpkg/package.json", R"({"name": "localpkg", "version": "1.4.2"})");
  dir.write("app/localpkg/index.js", "module.exports = 1;\n");
  const std::string app = dir.path().string() + "/app";
  if (!run_quietly("cd '" + app + "' && npm install --offline --no-audit --no-fund ./localpkg")) {
    GTEST_SKIP() << "npm could not install a local package offline";
  }
  const Facts facts = probe_language(Root::live(), app);
  EXPECT_EQ(value(facts, "node.project"), (json{{"name", "app"}, {"version", "1.0.0"}}));
  const json lockfile = value(facts, "node.lockfile");
  EXPECT_EQ(lockfile["path"], app + "/package-lock.json");
  // npm 7 and 8 write version 2, npm 9 and later 3.
  EXPECT_TRUE(lockfile["lockfileVersion"].is_number_integer() && lockfile["lockfileVersion"] >= 2)
      << lockfile;
  // `npm install ./dir` links the directory; the version is its own.
  const json localpkg = value(facts, "node.package.localpkg");
  EXPECT_EQ(localpkg["version"], "1.4.2");
  EXPECT_EQ(localpkg["location"], app + "/node_modules");
  EXPECT_EQ(localpkg["dev"], false);
}

}  // namespace
}  // namespace strata::probe
