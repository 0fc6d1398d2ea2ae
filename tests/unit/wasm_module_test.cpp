// The module reader: imports, initial memory, _start; malformed input refused.
#include <gtest/gtest.h>

#include <fstream>

#include "wasm/module.hpp"

namespace strata::wasm {
namespace {

std::string bytes(std::initializer_list<unsigned char> list) {
  return {list.begin(), list.end()};
}

const std::string kHeader = bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});

std::string name(std::string_view text) {
  return static_cast<char>(text.size()) + std::string(text);
}

std::string section(unsigned char id, const std::string& content) {
  return std::string(1, static_cast<char>(id)) + static_cast<char>(content.size()) + content;
}

// (type (func))
// (import "wasi_snapshot_preview1" "fd_write" (func (type 0)))
// (import "env" "memory" (memory 2))
// (memory 1)
// (export "_start" (func 0))
std::string sample() {
  std::string imports = bytes({0x02}) + name("wasi_snapshot_preview1") + name("fd_write") +
                        bytes({0x00, 0x00}) + name("env") + name("memory") + bytes({0x02, 0x00, 0x02});
  std::string memory = bytes({0x01, 0x00, 0x01});
  std::string exports = bytes({0x01}) + name("_start") + bytes({0x00, 0x00});
  return kHeader + section(1, bytes({0x01, 0x60, 0x00, 0x00})) + section(2, imports) + section(5, memory) +
         section(0, name("custom") + "xyz") + section(7, exports);
}

TEST(WasmModule, ReadsImportsMemoryAndStart) {
  auto info = parse_module(sample(), "m.wasm");
  ASSERT_TRUE(info) << info.error().message();
  ASSERT_EQ(info->imports.size(), 2U);
  EXPECT_EQ(info->imports[0].module, "wasi_snapshot_preview1");
  EXPECT_EQ(info->imports[0].name, "fd_write");
  EXPECT_EQ(info->imports[0].kind, analyze::WasmKind::func);
  EXPECT_EQ(info->imports[1].kind, analyze::WasmKind::memory);
  EXPECT_EQ(info->initial_pages, 2U) << "the imported memory comes first";
  EXPECT_TRUE(info->exports_start);
}

TEST(WasmModule, AnEmptyModuleIsNoCommand) {
  auto info = parse_module(kHeader, "m.wasm");
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->imports.empty());
  EXPECT_FALSE(info->initial_pages);
  EXPECT_FALSE(info->exports_start);
}

TEST(WasmModule, RefusesWhatIsNotACoreModule) {
  auto text = parse_module("#!/bin/sh\necho hi\n", "script.wasm");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().exit_code, kExitCannotExecute);
  EXPECT_NE(text.error().message().find("not a WebAssembly module"), std::string::npos);
  auto component = parse_module(bytes({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}), "c.wasm");
  ASSERT_FALSE(component);
  EXPECT_NE(component.error().message().find("a component (WASI preview2)"), std::string::npos);
}

TEST(WasmModule, RefusesTruncatedAndMalformedSections) {
  const std::string good = sample();
  for (std::size_t cut = 9; cut < good.size(); ++cut) {
    auto info = parse_module(good.substr(0, cut), "m.wasm");
    // A cut that falls between sections leaves a valid (smaller) module.
    if (info) {
      continue;
    }
    EXPECT_NE(info.error().message().find("m.wasm"), std::string::npos);
  }
  EXPECT_FALSE(parse_module(kHeader + bytes({0x02, 0x05, 0xff, 0xff, 0xff, 0xff, 0x7f}), "m.wasm"))
      << "a count that overflows u32";
  EXPECT_FALSE(parse_module(kHeader + bytes({0x02, 0x03, 0x01, 0x09, 0x00}), "m.wasm"))
      << "a name past the end";
  EXPECT_FALSE(parse_module(kHeader + bytes({0x05, 0x02, 0x01, 0x10}), "m.wasm")) << "unknown limits flags";
  EXPECT_FALSE(parse_module(kHeader + bytes({0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), "m.wasm"))
      << "a LEB128 longer than 5 bytes";
}

TEST(WasmModule, AMalformedModuleSaysWhereAsAnalyzeDoes) {
  auto imports = parse_module(kHeader + bytes({0x02, 0x03, 0x01, 0x09, 0x00}), "m.wasm");
  ASSERT_FALSE(imports);
  EXPECT_EQ(imports.error().exit_code, kExitFailure);
  EXPECT_EQ(imports.error().message(),
            "read module 'm.wasm': offset 0xb: import section: an import's module name of 9 bytes runs past "
            "the end of the section (0xd)");
  auto unknown = parse_module(bytes({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}), "v2.wasm");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().exit_code, kExitCannotExecute);
  EXPECT_EQ(unknown.error().message(), "read module 'v2.wasm': an unknown WebAssembly binary version");
}

TEST(WasmModule, OnlyPreview1FunctionsPass) {
  ModuleInfo info;
  info.imports = {{.module = "wasi_snapshot_preview1", .name = "fd_write", .kind = analyze::WasmKind::func},
                  {.module = "wasi_snapshot_preview1", .name = "proc_exit", .kind = analyze::WasmKind::func}};
  EXPECT_TRUE(check_imports(info, "m.wasm", "node"));
  info.imports.push_back({.module = "env", .name = "missing_function", .kind = analyze::WasmKind::func});
  auto missing = check_imports(info, "m.wasm", "node");
  ASSERT_FALSE(missing);
  EXPECT_EQ(
      missing.error().message(),
      "check module 'm.wasm': imports env.missing_function, which node does not provide (it is not part "
      "of WASI preview1)");
  info.imports.back() = {
      .module = "wasi_snapshot_preview1", .name = "sock_open", .kind = analyze::WasmKind::func};
  EXPECT_FALSE(check_imports(info, "m.wasm", "wasmedge"))
      << "WasmEdge's socket extension would open the network";
  info.imports.back() = {.module = "env", .name = "memory", .kind = analyze::WasmKind::memory};
  auto memory = check_imports(info, "m.wasm", "node");
  ASSERT_FALSE(memory);
  EXPECT_NE(memory.error().message().find("imports memory env.memory"), std::string::npos);
  info.imports.back() = {.module = "wasi_unstable", .name = "fd_write", .kind = analyze::WasmKind::func};
  EXPECT_NE(check_imports(info, "m.wasm", "node").error().message().find("preview0"), std::string::npos);
}

TEST(WasmModule, LooksLikeAModuleByNameOrMagic) {
  EXPECT_TRUE(looks_like_module("hello.wasm", "/nonexistent"));
  EXPECT_FALSE(looks_like_module("ls", "/nonexistent"));
  EXPECT_FALSE(looks_like_module("", "/"));
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/strata-magic-module") << kHeader;
  std::ofstream(dir + "/strata-not-a-module") << "#!/bin/sh\n";
  EXPECT_TRUE(looks_like_module("strata-magic-module", dir));
  EXPECT_TRUE(looks_like_module(dir + "/strata-magic-module", "/"));
  EXPECT_FALSE(looks_like_module("strata-not-a-module", dir));
  EXPECT_FALSE(looks_like_module("/dev/null", "/")) << "not a regular file";
}

TEST(WasmModule, ReadModuleSaysNotFoundAs127) {
  auto missing = read_module("/nonexistent/x.wasm", "x.wasm");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().exit_code, kExitNotFound);
  EXPECT_EQ(missing.error().message(), "read module 'x.wasm': No such file or directory");
}

}  // namespace
}  // namespace strata::wasm
