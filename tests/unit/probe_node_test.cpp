// The Node part of probe_language() on a recorded tree
// (tests/fixtures/probe/lang-node: node and npm under /usr, global packages,
// and projects under /work: a v3 lockfile with a workspace link, no lockfile,
// npm's hidden lockfile beside a stale project one, a v1 lockfile, and
// broken files).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "probe/lang_node.hpp"
#include "probe/layers.hpp"
#include "probe_support.hpp"

namespace strata::probe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using namespace test_support;

const fs::path kTree = kFixtures / "lang-node";

TEST(ProbeNodeTree, InterpreterNpmAndGlobals) {
  const Facts facts = probe_tree(kTree, probe_language, "/");
  EXPECT_EQ(value(facts, "node.interpreter"), (json{{"path", "/usr/bin/node"}, {"version", "20.20.2"}}));
  EXPECT_EQ(source(facts, "node.interpreter"), "/usr/include/node/node_version.h");
  EXPECT_EQ(value(facts, "npm.version"), "10.8.2");
  EXPECT_EQ(source(facts, "npm.version"), "/usr/lib/node_modules/npm/package.json");
  EXPECT_EQ(keys_with(facts, "node.global."),
            (std::vector<std::string>{"node.global.@vue/cli", "node.global.broken", "node.global.corepack",
                                      "node.global.npm"}));
  EXPECT_EQ(value(facts, "node.global.@vue/cli"),
            (json{{"version", "5.0.8"}, {"location", "/usr/local/lib/node_modules"}}));
  EXPECT_EQ(
      value(facts, "node.global.corepack"),
      (json{{"version", "0.31.0"},
            {"location", "/usr/local/lib/node_modules"},
            {"shadowed", json::array({{{"version", "0.29.4"}, {"location", "/usr/lib/node_modules"}}})}}));
  EXPECT_EQ(value(facts, "node.global.broken"), (json{{"version", nullptr},
                                                      {"location", "/usr/local/lib/node_modules"},
                                                      {"error", "package.json is not JSON"}}));
  EXPECT_TRUE(keys_with(facts, "node.package.").empty());
  EXPECT_FALSE(facts.contains("node.project"));
  EXPECT_FALSE(facts.contains("node.lockfile"));
}

TEST(ProbeNodeTree, LockfileV3AgainstNodeModules) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/app");
  EXPECT_EQ(value(facts, "node.project"), (json{{"name", "app"}, {"version", "1.0.0"}}));
  EXPECT_EQ(value(facts, "node.lockfile"),
            (json{{"path", "/work/app/package-lock.json"}, {"lockfileVersion", 3}}));
  // not-installed is in the lockfile but not in node_modules.
  EXPECT_EQ(keys_with(facts, "node.package."),
            (std::vector<std::string>{"node.package.@types/node", "node.package.debug",
                                      "node.package.debug/node_modules/ms", "node.package.left-pad",
                                      "node.package.ms", "node.package.util"}));
  const std::string modules = "/work/app/node_modules";
  EXPECT_EQ(value(facts, "node.package.@types/node"),
            (json{{"version", "20.11.5"}, {"location", modules}, {"dev", true}}));
  EXPECT_EQ(value(facts, "node.package.ms"),
            (json{{"version", "2.1.3"}, {"location", modules}, {"dev", false}}));
  EXPECT_EQ(value(facts, "node.package.debug/node_modules/ms"),
            (json{{"version", "2.1.2"}, {"location", modules + "/debug/node_modules"}, {"dev", false}}));
  EXPECT_EQ(value(facts, "node.package.util"),
            (json{{"version", "0.2.0"}, {"location", modules}, {"dev", false}, {"link", "packages/util"}}));
  EXPECT_EQ(source(facts, "node.package.left-pad"), "/work/app/package-lock.json");
}

TEST(ProbeNodeTree, WithoutALockfileEachPackageJson) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/scan");
  EXPECT_FALSE(facts.contains("node.lockfile"));
  EXPECT_EQ(keys_with(facts, "node.package."),
            (std::vector<std::string>{"node.package.@babel/core", "node.package.half-written",
                                      "node.package.jest", "node.package.lodash"}));
  const std::string modules = "/work/scan/node_modules";
  EXPECT_EQ(value(facts, "node.package.@babel/core"),
            (json{{"version", "7.24.0"}, {"location", modules}, {"dev", false}}));
  EXPECT_EQ(value(facts, "node.package.jest"),
            (json{{"version", "29.7.0"}, {"location", modules}, {"dev", true}}));
  // Not listed in package.json: whether it is a dev dependency is unknown.
  EXPECT_EQ(value(facts, "node.package.half-written"),
            (json{{"version", nullptr}, {"location", modules}, {"error", "package.json is not JSON"}}));
  EXPECT_EQ(source(facts, "node.package.lodash"), modules + "/lodash/package.json");
}

TEST(ProbeNodeTree, HiddenLockfileOfTheInstalledTree) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/hidden");
  EXPECT_EQ(value(facts, "node.project"), (json{{"name", "hidden"}, {"version", "2.0.0"}}));
  EXPECT_EQ(value(facts, "node.lockfile"),
            (json{{"path", "/work/hidden/package-lock.json"}, {"lockfileVersion", 3}}));
  // The project lockfile says chalk 5.2.0; node_modules holds 5.3.0.
  EXPECT_EQ(keys_with(facts, "node.package."), (std::vector<std::string>{"node.package.chalk"}));
  EXPECT_EQ(value(facts, "node.package.chalk"),
            (json{{"version", "5.3.0"}, {"location", "/work/hidden/node_modules"}, {"dev", false}}));
  EXPECT_EQ(source(facts, "node.package.chalk"), "/work/hidden/node_modules/.package-lock.json");
}

TEST(ProbeNodeTree, LockfileV1NestedDependencies) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/v1");
  EXPECT_EQ(value(facts, "node.lockfile"),
            (json{{"path", "/work/v1/package-lock.json"}, {"lockfileVersion", 1}}));
  EXPECT_EQ(keys_with(facts, "node.package."),
            (std::vector<std::string>{"node.package.express", "node.package.express/node_modules/qs",
                                      "node.package.mocha"}));
  EXPECT_EQ(
      value(facts, "node.package.express/node_modules/qs"),
      (json{
          {"version", "6.7.0"}, {"location", "/work/v1/node_modules/express/node_modules"}, {"dev", false}}));
  EXPECT_EQ(value(facts, "node.package.mocha"),
            (json{{"version", "8.4.0"}, {"location", "/work/v1/node_modules"}, {"dev", true}}));
}

TEST(ProbeNodeTree, BrokenProjectFilesBecomeErrors) {
  const Facts facts = probe_tree(kTree, probe_language, "/work/broken");
  EXPECT_EQ(value(facts, "node.project"), (json{{"error", "package.json is not JSON"}}));
  EXPECT_EQ(value(facts, "node.lockfile"), (json{{"path", "/work/broken/package-lock.json"},
                                                 {"lockfileVersion", nullptr},
                                                 {"error", "not a JSON object"}}));
  EXPECT_EQ(value(facts, "node.package.ok"),
            (json{{"version", "1.0.0"}, {"location", "/work/broken/node_modules"}}));
}

TEST(ProbeNodeTree, BrokenLockfileBesideAHiddenOne) {
  const TempTree tree;
  tree.write("app/package-lock.json", R"({"lockfileVersion": 3, "packages": {"node_modules/x": {)");
  tree.write("app/node_modules/.package-lock.json",
             R"({"lockfileVersion": 3, "packages": {"node_modules/x": {"version": "1.0.0"}}})");
  tree.write("app/node_modules/x/package.json", R"({"name": "x", "version": "1.0.0"})");
  auto root = Root::open(tree.path().string());
  ASSERT_TRUE(root.has_value());
  const Facts facts = probe_language(*root, "/app");
  EXPECT_EQ(value(facts, "node.lockfile"),
            (json{{"path", "/app/package-lock.json"}, {"lockfileVersion", nullptr}, {"error", "not JSON"}}));
  EXPECT_EQ(value(facts, "node.package.x"),
            (json{{"version", "1.0.0"}, {"location", "/app/node_modules"}, {"dev", false}}));
}

TEST(ProbeNodeParsers, VersionHeader) {
  EXPECT_EQ(
      lang::parse_node_version_header(
          "#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 19\n#define NODE_PATCH_VERSION 0\n"),
      "18.19.0");
  EXPECT_EQ(lang::parse_node_version_header("#define NODE_MAJOR_VERSION 18\n#define NODE_MINOR_VERSION 19\n"),
            std::nullopt);
  EXPECT_EQ(lang::parse_node_version_header("#define NODE_MAJOR_VERSIONX 1\n#define NODE_MAJOR_VERSION\t7\n"
                                            "#define NODE_MINOR_VERSION 0\n#define NODE_PATCH_VERSION 3\n"),
            "7.0.3");
  EXPECT_EQ(lang::parse_node_version_header(""), std::nullopt);
}

}  // namespace
}  // namespace strata::probe
