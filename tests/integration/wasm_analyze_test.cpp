// `strata analyze` on real WebAssembly modules, built here by wat2wasm (wabt)
// and by clang-19 for wasm32-wasi (wasi-libc, lld), then `strata check` of
// what they need against this machine's manifest with and without a WASI
// engine in its wasm section, and without the section at all.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"
#include "needs_fixtures.hpp"

namespace strata::test {
namespace {

using nlohmann::json;

// The program's path on $PATH, or "" when it is not installed.
std::string which(const std::string& program) {
  const char* env = std::getenv("PATH");
  std::stringstream dirs(env != nullptr ? env : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) {
      return dir + "/" + program;
    }
  }
  return "";
}

// A WASI command writing "hello" with fd_write; one import no engine provides.
constexpr const char* kWat = R"((module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "answer" (func $answer (result i32)))
  (memory (export "memory") 1 16)
  (data (i32.const 16) "hello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 0))))
)";

constexpr const char* kHelloC =
    "#include <stdio.h>\nint main(void) { puts(\"hello from wasm\"); return 0; }\n";

std::optional<std::string> build_wat(const TempDir& dir) {
  const std::string wat2wasm = which("wat2wasm");
  if (wat2wasm.empty()) {
    return "wat2wasm (wabt) is not installed";
  }
  write_file(dir / "m.wat", kWat);
  const Finished f = run({wat2wasm, dir / "m.wat", "-o", dir / "m.wasm"});
  return f.exit_code == 0 ? std::nullopt : std::optional("wat2wasm failed: " + describe(f));
}

std::optional<std::string> build_c(const TempDir& dir) {
  const std::string clang = which("clang-19");
  if (clang.empty()) {
    return "clang-19 is not installed";
  }
  write_file(dir / "hello.c", kHelloC);
  const Finished f = run({clang, "--target=wasm32-wasi", "--sysroot=/usr", "-fuse-ld=lld", "-O1",
                          dir / "hello.c", "-o", dir / "hello.wasm"});
  return f.exit_code == 0
             ? std::nullopt
             : std::optional("clang-19 cannot build for wasm32-wasi (wasi-libc, lld-19?): " + describe(f));
}

bool contains(const json& array, const std::string& item) {
  return std::ranges::find(array, json(item)) != array.end();
}

const json* find_by(const json& array, const std::string& key, const std::string& value) {
  const auto it = std::ranges::find_if(array, [&](const json& j) { return j.value(key, "") == value; });
  return it == array.end() ? nullptr : &*it;
}

// This machine's manifest with exactly these engines ({name, runs WASI}).
json manifest_with_engines(const std::vector<std::pair<std::string, bool>>& engines) {
  json manifest = live_manifest();
  json& language = manifest["layers"]["language"];
  for (auto it = language.begin(); it != language.end();) {
    it = it.key().starts_with("wasm.") ? language.erase(it) : std::next(it);
  }
  json names = json::array();
  for (const auto& [name, wasi] : engines) {
    names.push_back(name);
    set_fact(manifest, "language", "wasm.engine." + name,
             {{"path", "/usr/bin/" + name},
              {"version", nullptr},
              {"wasi_preview1", wasi},
              {"reason", wasi ? json(nullptr) : json("wasi support not compiled in")}});
  }
  set_fact(manifest, "language", "wasm.engines", names);
  return manifest;
}

TEST(AnalyzeWasm, AWatModuleImportsWasiPreview1) {
  TempDir dir;
  if (auto why = build_wat(dir)) {
    GTEST_SKIP() << *why;
  }
  const json doc = analyze_to(dir / "m.wasm", dir / "needs.json");
  ASSERT_EQ(doc["files"].size(), 1U) << doc.dump(2);
  const json& file = doc["files"][0];
  EXPECT_EQ(file["kind"], "wasm");
  const json& wasm = file["wasm"];
  EXPECT_EQ(wasm["wasi"], "preview1");
  EXPECT_EQ(wasm["model"], "command");
  const json* fd_write = find_by(wasm["imports"], "name", "fd_write");
  ASSERT_NE(fd_write, nullptr) << wasm.dump(2);
  EXPECT_EQ((*fd_write)["type"], "(i32 i32 i32 i32) -> i32");
  EXPECT_EQ((*fd_write)["wasi"], "preview1");
  ASSERT_EQ(wasm["memories"].size(), 1U);
  EXPECT_EQ(wasm["memories"][0]["initial_pages"], 1);
  EXPECT_EQ(wasm["memories"][0]["max_pages"], 16);
  EXPECT_NE(find_by(wasm["exports"], "name", "_start"), nullptr);
  EXPECT_NE(find_by(wasm["exports"], "name", "memory"), nullptr);

  const json& needs = doc["needs"]["wasm"];
  EXPECT_EQ(needs["wasi"], "preview1");
  EXPECT_TRUE(contains(needs["imports"], "wasi_snapshot_preview1.fd_write")) << needs.dump();
  EXPECT_EQ(needs["non_wasi_imports"], json{"env.answer"});
  EXPECT_EQ(needs["memory_max_pages"], 16);

  const Finished text = strata({"analyze", dir / "m.wasm"});
  EXPECT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_NE(text.out.find(": WebAssembly module (version 1), WASI preview1, command (exports _start)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("  imports from env (not WASI"), std::string::npos) << text.out;
}

TEST(AnalyzeWasm, AProgramClangBuiltForWasi) {
  TempDir dir;
  if (auto why = build_c(dir)) {
    GTEST_SKIP() << *why;
  }
  const json doc = analyze_to(dir / "hello.wasm", dir / "needs.json");
  const json& wasm = doc["files"][0]["wasm"];
  EXPECT_EQ(wasm["wasi"], "preview1");
  EXPECT_EQ(wasm["model"], "command");
  EXPECT_NE(find_by(wasm["imports"], "name", "fd_write"), nullptr) << wasm.dump(2);
  EXPECT_NE(find_by(wasm["exports"], "name", "_start"), nullptr);
  ASSERT_FALSE(wasm["memories"].empty());
  EXPECT_GE(wasm["memories"][0]["initial_pages"].get<int>(), 1);
  const json& needs = doc["needs"]["wasm"];
  EXPECT_EQ(needs["wasi"], "preview1");
  EXPECT_TRUE(contains(needs["imports"], "wasi_snapshot_preview1.fd_write")) << needs.dump();
  EXPECT_EQ(needs["non_wasi_imports"], json::array());
  // No memory maximum declared: the 32-bit limit.
  EXPECT_TRUE(needs["memory_max_pages"].is_number()) << needs.dump();
}

TEST(AnalyzeWasm, CheckNeedsAWasiEngineOnTheTarget) {
  TempDir dir;
  if (auto why = build_c(dir)) {
    GTEST_SKIP() << *why;
  }
  analyze_to(dir / "hello.wasm", dir / "needs.json");

  write_file(dir / "node.json", manifest_with_engines({{"wasm-interp", false}, {"node", true}}).dump());
  const Finished met = strata({"check", dir / "needs.json", "--target", dir / "node.json"});
  EXPECT_EQ(met.exit_code, 0) << describe(met);

  write_file(dir / "none.json", manifest_with_engines({{"wasm-interp", false}}).dump());
  const Finished unmet = strata({"check", "--json", dir / "needs.json", "--target", dir / "none.json"});
  EXPECT_EQ(unmet.exit_code, 1) << describe(unmet);
  const json report = parse_json(unmet.out);
  ASSERT_EQ(report["unmet"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["unmet"][0]["layer"], "language");
  EXPECT_EQ(report["unmet"][0]["need"], "wasm wasi preview1");
  EXPECT_EQ(report["unmet"][0]["isolation"], "wasm");
  EXPECT_NE(report["unmet"][0]["reason"].get<std::string>().find(
                "install a WASI engine (Node.js >= 20: nodejs; or wasmtime)"),
            std::string::npos);
  EXPECT_EQ(report["verdict"]["layer"], "language");
  EXPECT_EQ(report["verdict"]["isolation"], "wasm");
  EXPECT_EQ(report["verdict"]["steps"], json{"strata run --isolation wasm -- CMD"});

  // A manifest from before the wasm section: not checked, never passed.
  json old = live_manifest();
  for (auto it = old["layers"]["language"].begin(); it != old["layers"]["language"].end();) {
    it = it.key().starts_with("wasm.") ? old["layers"]["language"].erase(it) : std::next(it);
  }
  write_file(dir / "old.json", old.dump());
  const Finished unknown = strata({"check", dir / "needs.json", "--target", dir / "old.json"});
  EXPECT_EQ(unknown.exit_code, 0) << describe(unknown);
  EXPECT_NE(
      unknown.out.find("? wasm wasi preview1: not checked: the target manifest lists no WebAssembly engines"),
      std::string::npos)
      << unknown.out;
}

TEST(AnalyzeWasm, ANonWasiImportIsANote) {
  TempDir dir;
  if (auto why = build_wat(dir)) {
    GTEST_SKIP() << *why;
  }
  analyze_to(dir / "m.wasm", dir / "needs.json");
  write_file(dir / "node.json", manifest_with_engines({{"node", true}}).dump());
  const Finished f = strata({"check", dir / "needs.json", "--target", dir / "node.json"});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  EXPECT_NE(
      f.out.find("~ wasm import env.answer: the module imports env.answer, which no WASI engine provides: "
                 "link it into the module"),
      std::string::npos)
      << f.out;
}

TEST(AnalyzeWasm, TheLiveProbeListsItsEngines) {
  const json manifest = live_manifest();
  const json& language = manifest["layers"]["language"];
  ASSERT_TRUE(language.contains("wasm.engines")) << language.dump(2);
  for (const json& name : language["wasm.engines"]["value"]) {
    const std::string key = "wasm.engine." + name.get<std::string>();
    ASSERT_TRUE(language.contains(key)) << key;
    EXPECT_TRUE(language[key]["value"]["wasi_preview1"].is_boolean());
    EXPECT_TRUE(language[key]["value"]["path"].get<std::string>().starts_with("/"));
  }
}

TEST(AnalyzeWasm, AComponentAndAMalformedModule) {
  TempDir dir;
  write_file(dir / "c.wasm", std::string("\0asm\x0d\0\x01\0", 8));
  const json doc = analyze_to(dir / "c.wasm", dir / "c.json");
  EXPECT_EQ(doc["files"][0]["wasm"]["component"], true);
  EXPECT_EQ(doc["needs"]["wasm"]["wasi"], "preview2");

  write_file(dir / "bad.wasm", std::string("\0asm\x01\0\0\0\x02\x05\x01", 11));
  const Finished f = strata({"analyze", dir / "bad.wasm"});
  EXPECT_EQ(f.exit_code, 2) << describe(f);
  EXPECT_EQ(f.err,
            "strata: analyze: read wasm '" + (dir / "bad.wasm") +
                "': offset 0x8: import section of 5 bytes ends at 0xf, past the end of the file (0xb)\n");
}

}  // namespace
}  // namespace strata::test
