// --isolation wasm: the policy in each engine's own flags.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "wasm/command.hpp"
#include "wasm/node_runner.hpp"

namespace strata::wasm {
namespace {

using Argv = std::vector<std::string>;

ModuleCommand command() {
  ModuleCommand c;
  c.module = "/run/wasm/tool.wasm";
  c.name = "tool.wasm";
  c.args = {"cat", "/data/in.txt"};
  c.env = {{.name = "GREETING", .value = "hello world"}, {.name = "EMPTY", .value = ""}};
  c.preopens = {{.guest = "/data", .host = "/data", .read_only = true},
                {.guest = "/out", .host = "/srv/out", .read_only = false}};
  c.max_pages = 256;
  return c;
}

TEST(WasmCommand, Wasmtime) {
  EXPECT_EQ(engine_argv(EngineKind::wasmtime, "/usr/bin/wasmtime", command()),
            (Argv{"/usr/bin/wasmtime", "run", "-W", "max-memory-size=16777216", "--dir", "/data::/data",
                  "--dir", "/srv/out::/out", "--env", "GREETING=hello world", "--env", "EMPTY=", "--",
                  "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, Wasmer) {
  EXPECT_EQ(
      engine_argv(EngineKind::wasmer, "wasmer", command()),
      (Argv{"wasmer", "run", "--mapdir", "/data:/data", "--mapdir", "/out:/srv/out", "--env",
            "GREETING=hello world", "--env", "EMPTY=", "--", "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, WasmEdgeSaysReadOnlyAndCapsPages) {
  EXPECT_EQ(engine_argv(EngineKind::wasmedge, "wasmedge", command()),
            (Argv{"wasmedge", "--memory-page-limit", "256", "--dir", "/data:/data:readonly", "--dir",
                  "/out:/srv/out", "--env", "GREETING=hello world", "--env", "EMPTY=", "--",
                  "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, Iwasm) {
  EXPECT_EQ(engine_argv(EngineKind::iwasm, "iwasm", command()),
            (Argv{"iwasm", "--map-dir=/data::/data", "--map-dir=/out::/srv/out", "--env=GREETING=hello world",
                  "--env=EMPTY=", "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, Wasm3TakesOnlyTheModuleAndItsArguments) {
  ModuleCommand c = command();
  c.env.clear();
  c.preopens.clear();
  c.max_pages.reset();
  EXPECT_EQ(engine_argv(EngineKind::wasm3, "wasm3", c),
            (Argv{"wasm3", "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, WasmInterpPreopensAtTheirOwnPath) {
  ModuleCommand c = command();
  c.preopens.pop_back();
  EXPECT_EQ(engine_argv(EngineKind::wasm_interp, "wasm-interp", c),
            (Argv{"wasm-interp", "--wasi", "--dir=/data", "--env=GREETING=hello world", "--env=EMPTY=", "--",
                  "/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
}

TEST(WasmCommand, NodeRunsStratasRunnerWithTheConfigurationLast) {
  const Argv argv = engine_argv(EngineKind::node, "/usr/bin/node", command());
  ASSERT_EQ(argv.size(), 7U);
  EXPECT_EQ(argv[0], "/usr/bin/node");
  EXPECT_EQ(argv[1], "--no-warnings");
  EXPECT_EQ(argv[2], "--wasm-max-mem-pages=256");
  EXPECT_EQ(argv[3], "-e");
  EXPECT_EQ(argv[4], node_runner_script());
  EXPECT_EQ(argv[5], "--");
  const auto config = nlohmann::json::parse(argv[6]);
  EXPECT_EQ(config["module"], "/run/wasm/tool.wasm");
  EXPECT_EQ(config["name"], "tool.wasm");
  EXPECT_EQ(config["verb"], "run");
  EXPECT_EQ(config["args"], nlohmann::json::array({"/run/wasm/tool.wasm", "cat", "/data/in.txt"}));
  EXPECT_EQ(config["env"], (nlohmann::json{{"GREETING", "hello world"}, {"EMPTY", ""}}));
  EXPECT_EQ(config["preopens"], (nlohmann::json{{"/data", "/data"}, {"/out", "/srv/out"}}));
  EXPECT_EQ(config["maxPages"], 256);
}

TEST(WasmCommand, NodeWithoutACapOrEnvironment) {
  ModuleCommand c = command();
  c.max_pages.reset();
  c.env = {{.name = "A", .value = "1"}, {.name = "A", .value = "2"}};
  const Argv argv = engine_argv(EngineKind::node, "node", c);
  ASSERT_EQ(argv.size(), 6U);
  const auto config = nlohmann::json::parse(argv[5]);
  EXPECT_FALSE(config.contains("maxPages"));
  EXPECT_EQ(config["env"], (nlohmann::json{{"A", "2"}})) << "a later --env wins, as in the sandbox";
}

TEST(WasmCommand, TheRunnerHandlesTheFailuresStrataNamesItself) {
  const std::string_view script = node_runner_script();
  for (std::string_view needle : {"version: 'preview1'", "returnOnExit: true", "WebAssembly.Module.imports",
                                  "which node does not provide", "trapped", "process.exitCode"}) {
    EXPECT_NE(script.find(needle), std::string_view::npos) << needle;
  }
}

TEST(WasmCommand, WhatEachEngineCanSay) {
  EXPECT_TRUE(traits(EngineKind::wasmedge).read_only_preopens);
  for (EngineKind kind : {EngineKind::wasmtime, EngineKind::wasmer, EngineKind::iwasm, EngineKind::node}) {
    EXPECT_FALSE(traits(kind).read_only_preopens) << engine_name(kind);
    EXPECT_TRUE(traits(kind).preopen_anywhere) << engine_name(kind);
  }
  EXPECT_FALSE(traits(EngineKind::node).confines) << "Node.js: node:wasi is not a security boundary";
  EXPECT_TRUE(traits(EngineKind::node).memory_cap);
  EXPECT_FALSE(traits(EngineKind::wasmer).memory_cap);
  EXPECT_FALSE(traits(EngineKind::wasm3).module_env);
  EXPECT_FALSE(traits(EngineKind::wasm3).preopen_same_path);
  EXPECT_TRUE(traits(EngineKind::wasm_interp).preopen_same_path);
  EXPECT_FALSE(traits(EngineKind::wasm_interp).preopen_anywhere);
}

TEST(WasmCommand, DescribeQuotesWordsAndNamesTheRunner) {
  EXPECT_EQ(describe_argv({"node", "-e", std::string(node_runner_script()), "--", "{\"a\": 1}", "it's"}),
            "node -e <strata's node:wasi runner, " + std::to_string(node_runner_script().size()) +
                " bytes> -- '{\"a\": 1}' 'it'\\''s'");
  EXPECT_EQ(describe_argv({"wasmtime", "run", "--dir", "/a::/b"}), "wasmtime run --dir /a::/b");
}

}  // namespace
}  // namespace strata::wasm
