// The Python part of probe_language() on a recorded tree
// (tests/fixtures/probe/lang-python: Debian's dist-packages, a /usr/local copy
// shadowing one of them, a project venv) and on trees made on the fly; plus
// the METADATA, directory-name and pyvenv.cfg parsers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "probe/lang_python.hpp"
#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using namespace test_support;

const fs::path kTree = kFixtures / "lang-python";
constexpr const char* kVenvSite = "/work/app/.venv/lib/python3.11/site-packages";
constexpr const char* kDebianSite = "/usr/lib/python3/dist-packages";
constexpr const char* kLocalSite = "/usr/local/lib/python3.11/dist-packages";

TEST(ProbePythonTree, InterpretersFromFixedDirectories) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/app");
  EXPECT_EQ(keys_with(facts, "python.interpreter."),
            (std::vector<std::string>{"python.interpreter.python3", "python.interpreter.python3.11"}));
  EXPECT_EQ(value(facts, "python.interpreter.python3"),
            (json{{"path", "/usr/bin/python3"}, {"version", "3.11"}, {"target", "/usr/bin/python3.11"}}));
  EXPECT_EQ(value(facts, "python.interpreter.python3.11"),
            (json{{"path", "/usr/bin/python3.11"}, {"version", "3.11"}, {"target", nullptr}}));
  EXPECT_EQ(source(facts, "python.interpreter.python3"), "/usr/bin/python3");
}

TEST(ProbePythonTree, VenvUnderTheProjectDirectory) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/app");
  EXPECT_EQ(value(facts, "python.venv"), (json{{"path", "/work/app/.venv"},
                                               {"home", "/usr/bin"},
                                               {"version", "3.11.2"},
                                               {"include_system_site_packages", false}}));
  EXPECT_EQ(source(facts, "python.venv"), "/work/app/.venv/pyvenv.cfg");
  EXPECT_FALSE(probe_tree(kTree, probe_language, "/").contains("python.venv"));
  EXPECT_FALSE(probe_tree(kTree, probe_language, "/work").contains("python.venv"));
}

TEST(ProbePythonTree, PackagesWithTheVenvFirst) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/app");
  EXPECT_EQ(keys_with(facts, "python.package."),
            (std::vector<std::string>{"python.package.demo-pkg", "python.package.foo-bar",
                                      "python.package.nometa-pkg", "python.package.pyyaml",
                                      "python.package.requests", "python.package.six",
                                      "python.package.zope-interface"}));
  EXPECT_EQ(value(facts, "python.package.requests"),
            (json{{"version", "2.32.3"},
                  {"location", kVenvSite},
                  {"kind", "dist-info"},
                  {"installer", "pip"},
                  {"shadowed", json::array({{{"version", "2.31.0"}, {"location", kLocalSite}},
                                            {{"version", "2.28.1"}, {"location", kDebianSite}}})}}));
  EXPECT_EQ(source(facts, "python.package.requests"),
            std::string(kVenvSite) + "/requests-2.32.3.dist-info/METADATA");
  EXPECT_EQ(value(facts, "python.package.demo-pkg"),
            (json{{"version", "0.1"}, {"location", kVenvSite}, {"kind", "dist-info"}, {"installer", "uv"}}));
}

TEST(ProbePythonTree, NamesAndVersionsFromTheHeaders) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/app");
  // "Name: Foo_Bar" with CRLF line ends, normalized per PEP 503.
  EXPECT_EQ(value(facts, "python.package.foo-bar"),
            (json{{"version", "1.0"}, {"location", kDebianSite}, {"kind", "dist-info"}}));
  // Version after a continuation line; the body's "Version: 9.9.9" is not a
  // header. Its six.egg-info beside the dist-info (as Debian ships some) is
  // the same copy, not a shadowed one.
  EXPECT_EQ(
      value(facts, "python.package.six"),
      (json{
          {"version", "1.16.0"}, {"location", kDebianSite}, {"kind", "dist-info"}, {"installer", "debian"}}));
  // An egg-info that is a file (distutils) and one that is a directory.
  EXPECT_EQ(value(facts, "python.package.pyyaml"),
            (json{{"version", "6.0"}, {"location", kDebianSite}, {"kind", "egg-info"}}));
  EXPECT_EQ(source(facts, "python.package.pyyaml"), std::string(kDebianSite) + "/PyYAML-6.0.egg-info");
  EXPECT_EQ(value(facts, "python.package.zope-interface"),
            (json{{"version", "5.5.2"}, {"location", kDebianSite}, {"kind", "egg-info"}}));
  EXPECT_EQ(source(facts, "python.package.zope-interface"),
            std::string(kDebianSite) + "/zope.interface-5.5.2.egg-info/PKG-INFO");
  // No METADATA at all: the directory's name.
  EXPECT_EQ(value(facts, "python.package.nometa-pkg"),
            (json{{"version", "0.3"}, {"location", kDebianSite}, {"kind", "dist-info"}}));
  EXPECT_EQ(source(facts, "python.package.nometa-pkg"),
            std::string(kDebianSite) + "/nometa_pkg-0.3.dist-info");
}

TEST(ProbePythonTree, WithoutAVenvUsrLocalWins) {
  const Facts facts = probe_tree(kTree, probe_language, "/");
  EXPECT_EQ(value(facts, "python.package.requests"),
            (json{{"version", "2.31.0"},
                  {"location", kLocalSite},
                  {"kind", "dist-info"},
                  {"installer", "pip"},
                  {"shadowed", json::array({{{"version", "2.28.1"}, {"location", kDebianSite}}})}}));
  EXPECT_FALSE(facts.contains("python.package.demo-pkg"));
}

TEST(ProbePythonTree, VirtualEnvIsIgnoredOutsideTheLiveMachine) {
  const char* saved = std::getenv("VIRTUAL_ENV");
  const std::string before = saved != nullptr ? saved : "";
  ASSERT_EQ(::setenv("VIRTUAL_ENV", "/work/app/.venv", 1), 0);
  const Facts facts = probe_tree(kTree, probe_language, "/");
  if (saved != nullptr) {
    EXPECT_EQ(::setenv("VIRTUAL_ENV", before.c_str(), 1), 0);
  } else {
    EXPECT_EQ(::unsetenv("VIRTUAL_ENV"), 0);
  }
  EXPECT_FALSE(facts.contains("python.venv"));
}

TEST(ProbePythonTree, BareInterpreterVersionFromItsStdlib) {
  const TempTree tree;
  tree.write("usr/local/bin/python3", "");
  tree.write("usr/local/lib/python3.12/os.py", "");
  tree.link("usr/bin/python3.99", "python3.99-missing");  // dangling: runs nothing
  tree.write("work/venv/pyvenv.cfg", "home = /opt/py/bin\nversion_info = 3.13.1.final.0\n");
  tree.link("work/venv/bin/python3", "/usr/local/bin/python3");
  tree.link("work/venv/bin/python3.13", "/opt/py/bin/python3.13");
  tree.write("opt/py/bin/python3.13", "");
  const Facts facts = probe_tree(tree.path(), probe_language, "/work");
  EXPECT_EQ(keys_with(facts, "python.interpreter."),
            (std::vector<std::string>{"python.interpreter.python3", "python.interpreter.python3.13"}));
  // The system's python3 keeps its path; the venv adds only what it lacks.
  EXPECT_EQ(value(facts, "python.interpreter.python3"),
            (json{{"path", "/usr/local/bin/python3"}, {"version", "3.12"}, {"target", nullptr}}));
  EXPECT_EQ(value(facts, "python.interpreter.python3.13"), (json{{"path", "/work/venv/bin/python3.13"},
                                                                 {"version", "3.13"},
                                                                 {"target", "/opt/py/bin/python3.13"}}));
  EXPECT_EQ(value(facts, "python.venv"), (json{{"path", "/work/venv"},
                                               {"home", "/opt/py/bin"},
                                               {"version", "3.13.1"},
                                               {"include_system_site_packages", false}}));
}

TEST(ProbePythonTree, Lib64LinkIsNotListedTwice) {
  const TempTree tree;
  tree.write("usr/lib/python3.12/site-packages/attrs-23.2.0.dist-info/METADATA",
             "Name: attrs\nVersion: 23.2.0\n");
  tree.link("usr/lib64", "lib");
  const Facts facts = probe_tree(tree.path(), probe_language, "/");
  EXPECT_EQ(value(facts, "python.package.attrs"), (json{{"version", "23.2.0"},
                                                        {"location", "/usr/lib/python3.12/site-packages"},
                                                        {"kind", "dist-info"}}));
}

TEST(ProbePythonTree, HeadersPastTheFirstRead) {
  const TempTree tree;
  const std::string filler = "Classifier: " + std::string(200, 'x') + "\n";
  std::string metadata = "Metadata-Version: 2.1\nName: late\n";
  for (int i = 0; i < 40; ++i) {
    metadata += filler;
  }
  metadata += "Version: 4.5.6\n\nbody\n";
  tree.write("usr/lib/python3/dist-packages/late-0.0.dist-info/METADATA", metadata);
  const Facts facts = probe_tree(tree.path(), probe_language, "/");
  EXPECT_EQ(value(facts, "python.package.late")["version"], "4.5.6");
}

TEST(ProbePythonTree, EmptyTreeHasNoPythonFacts) {
  const TempTree tree;
  const Facts facts = probe_tree(tree.path(), probe_language, "/");
  EXPECT_TRUE(keys_with(facts, "python.").empty());
}

TEST(ProbePythonParsers, NormalizedNames) {
  EXPECT_EQ(lang::normalize_python_name("Foo_Bar"), "foo-bar");
  EXPECT_EQ(lang::normalize_python_name("zope.interface"), "zope-interface");
  EXPECT_EQ(lang::normalize_python_name("A--b__C._-d"), "a-b-c-d");
  EXPECT_EQ(lang::normalize_python_name("PyYAML"), "pyyaml");
}

TEST(ProbePythonParsers, DistHeaders) {
  using lang::DistHeaders;
  EXPECT_EQ(lang::parse_dist_headers("Metadata-Version: 2.1\nName: x\nVersion: 1\n"),
            (DistHeaders{"x", "1"}));
  EXPECT_EQ(lang::parse_dist_headers("name:  spaced  \r\nVERSION:2.0\r\n"), (DistHeaders{"spaced", "2.0"}));
  EXPECT_EQ(lang::parse_dist_headers("Name: a\n\nVersion: 9\n"), (DistHeaders{"a", ""}));
  EXPECT_EQ(lang::parse_dist_headers("Summary: s\n Name: continued\nName: b\nVersion: 3\n"),
            (DistHeaders{"b", "3"}));
  EXPECT_EQ(lang::parse_dist_headers(""), (DistHeaders{}));
  EXPECT_EQ(lang::parse_dist_headers("garbage without colon\n"), (DistHeaders{}));
}

TEST(ProbePythonParsers, DirectoryNames) {
  using lang::DistHeaders;
  EXPECT_EQ(lang::dist_dir_headers("Foo_Bar-1.0.dist-info"), (DistHeaders{"Foo_Bar", "1.0"}));
  EXPECT_EQ(lang::dist_dir_headers("pkg-2.1-py3.11.egg-info"), (DistHeaders{"pkg", "2.1"}));
  EXPECT_EQ(lang::dist_dir_headers("cryptography.egg-info"), (DistHeaders{"cryptography", ""}));
}

TEST(ProbePythonParsers, PyvenvCfg) {
  using lang::VenvConfig;
  EXPECT_EQ(
      lang::parse_pyvenv_cfg("home = /usr/bin\ninclude-system-site-packages = True\nversion = 3.11.2\n"),
      (VenvConfig{"/usr/bin", "3.11.2", true}));
  EXPECT_EQ(lang::parse_pyvenv_cfg("home=/x\nversion_info = 3.12.1.final.0\n"),
            (VenvConfig{"/x", "3.12.1", false}));
  EXPECT_EQ(lang::parse_pyvenv_cfg("version = 3.11.4\nversion_info = 3.11.2\n").version, "3.11.4");
  EXPECT_EQ(lang::parse_pyvenv_cfg("no equals here\n"), VenvConfig{});
}

}  // namespace
}  // namespace strata::probe
