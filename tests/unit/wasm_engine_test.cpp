// Engine discovery against stand-in engines (small shell scripts on a
// private PATH) and a tree on disk for --root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/engine.hpp"
#include "wasm/module.hpp"

namespace strata::wasm {
namespace {

namespace fs = std::filesystem;

class EngineDir {
 public:
  EngineDir() : path_(fs::path(::testing::TempDir()) / ("strata-engines-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~EngineDir() { fs::remove_all(path_); }
  EngineDir(const EngineDir&) = delete;
  EngineDir& operator=(const EngineDir&) = delete;

  void script(const std::string& relative, const std::string& body) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(file, fs::perms::owner_all);
  }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

const Engine* find(const std::vector<Engine>& engines, EngineKind kind) {
  for (const auto& engine : engines) {
    if (engine.kind == kind) {
      return &engine;
    }
  }
  return nullptr;
}

TEST(WasmEngine, NamesRoundTrip) {
  for (EngineKind kind : {EngineKind::wasmtime, EngineKind::wasmer, EngineKind::wasmedge, EngineKind::iwasm,
                          EngineKind::wasm3, EngineKind::node, EngineKind::wasm_interp}) {
    EXPECT_EQ(parse_engine_name(engine_name(kind)), kind);
  }
  EXPECT_EQ(engine_name(EngineKind::wasm_interp), "wasm-interp");
  EXPECT_FALSE(parse_engine_name("v8"));
}

TEST(WasmEngine, FoundOnPathInPreferenceOrderAndAsked) {
  EngineDir dir;
  dir.script("bin/node", "echo v22.1.0");
  dir.script("bin/wasmtime", "echo 'wasmtime 25.0.1 (abc 2024-09-24)'");
  dir.script("other/wasmtime", "echo 'wasmtime 1.0.0'");
  const auto engines = find_engines(".:relative:" + dir.str() + "/bin:" + dir.str() + "/other", "");
  ASSERT_EQ(engines.size(), 2U);
  EXPECT_EQ(engines[0].kind, EngineKind::wasmtime);
  EXPECT_EQ(engines[0].path, dir.str() + "/bin/wasmtime") << "the first on PATH";
  EXPECT_EQ(engines[0].version, "wasmtime 25.0.1 (abc 2024-09-24)");
  EXPECT_TRUE(engines[0].wasi_preview1);
  EXPECT_EQ(engines[1].kind, EngineKind::node);
  EXPECT_EQ(engines[1].name, "node");
  EXPECT_EQ(engines[1].version, "v22.1.0");
  EXPECT_TRUE(engines[1].wasi_preview1);
}

TEST(WasmEngine, AnOldNodeIsFoundButCannotRunWasi) {
  EngineDir dir;
  dir.script("node", "echo v18.19.1");
  const auto engines = find_engines(dir.str(), "");
  const Engine* node = find(engines, EngineKind::node);
  ASSERT_NE(node, nullptr);
  EXPECT_FALSE(node->wasi_preview1);
  EXPECT_NE(node->unusable_reason.find("needs Node.js >= 20"), std::string::npos) << node->unusable_reason;
}

TEST(WasmEngine, WasmInterpWithoutWasiSaysSo) {
  EngineDir dir;
  dir.script("wasm-interp",
             "if [ \"$1\" = --wasi ]; then echo 'wasi support not compiled in' >&2; exit 1; fi; echo 1.0.32");
  const auto engines = find_engines(dir.str(), "");
  const Engine* interp = find(engines, EngineKind::wasm_interp);
  ASSERT_NE(interp, nullptr);
  EXPECT_EQ(interp->version, "1.0.32");
  EXPECT_FALSE(interp->wasi_preview1);
  EXPECT_EQ(interp->unusable_reason, "wasi support not compiled in");
}

TEST(WasmEngine, WasmInterpWithWasiIsTriedOnAMinimalCommand) {
  EngineDir dir;
  const std::string copy = dir.str() + "/probe.wasm";
  dir.script("bin/wasm-interp",
             "if [ \"$1\" = --wasi ]; then exec /bin/cp \"$2\" " + copy + "; fi; echo 1.0.35");
  const auto engines = find_engines(dir.str() + "/bin", "");
  const Engine* interp = find(engines, EngineKind::wasm_interp);
  ASSERT_NE(interp, nullptr);
  EXPECT_TRUE(interp->wasi_preview1) << interp->unusable_reason;
  std::ifstream in(copy, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto module = parse_module(bytes.str(), "probe");
  ASSERT_TRUE(module) << module.error().message();
  EXPECT_TRUE(module->exports_start);
  EXPECT_EQ(module->initial_pages, 1U);
  EXPECT_TRUE(module->imports.empty());
}

TEST(WasmEngine, AnEngineThatHangsIsKilledAndReported) {
  EngineDir dir;
  dir.script("wasmer", "exec /bin/sleep 30");
  const auto engines = find_engines(dir.str(), "");
  const Engine* wasmer = find(engines, EngineKind::wasmer);
  ASSERT_NE(wasmer, nullptr);
  EXPECT_FALSE(wasmer->wasi_preview1);
  EXPECT_NE(wasmer->unusable_reason.find("did not answer within 2 s"), std::string::npos);
}

TEST(WasmEngine, UnderARootByNameOnly) {
  EngineDir root;
  root.script("usr/bin/node", "exit 1");
  root.script("usr/local/bin/wasmtime", "exit 1");
  root.script("bin/wasm-interp", "exit 1");
  fs::create_directories(root.str() + "/usr/bin/wasmer");  // a directory is no engine
  const auto engines = find_engines_in_root(root.str());
  ASSERT_EQ(engines.size(), 3U);
  EXPECT_EQ(engines[0].kind, EngineKind::wasmtime);
  EXPECT_EQ(engines[0].path, "/usr/local/bin/wasmtime");
  EXPECT_TRUE(engines[0].version.empty());
  EXPECT_EQ(engines[1].kind, EngineKind::node);
  EXPECT_EQ(engines[1].path, "/usr/bin/node");
  EXPECT_TRUE(engines[1].wasi_preview1);
  EXPECT_EQ(engines[2].kind, EngineKind::wasm_interp);
  EXPECT_FALSE(engines[2].wasi_preview1);
  EXPECT_FALSE(engines[2].unusable_reason.empty());
  EXPECT_TRUE(find_engines_in_root("/nonexistent").empty());
}

TEST(WasmEngine, ARootsSymlinksStayInside) {
  EngineDir root;
  fs::create_directories(root.str() + "/usr/bin");
  // Absolute inside the root, so it must resolve to ROOT/opt/node, not /opt/node.
  root.script("opt/node", "exit 1");
  fs::create_symlink("/opt/node", root.str() + "/usr/bin/node");
  fs::create_symlink("/bin/sh", root.str() + "/usr/bin/wasm3");  // /bin/sh of the root: absent
  const auto engines = find_engines_in_root(root.str());
  ASSERT_EQ(engines.size(), 1U);
  EXPECT_EQ(engines[0].kind, EngineKind::node);
}

}  // namespace
}  // namespace strata::wasm
