// The WebAssembly reader of strata analyze on modules assembled byte by byte
// here: every kind of import, memory limits, exports and start, a component's
// header, and the malformed files it must refuse with the offset; then the
// JSON, text and needs aggregate a module gives.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "analyze/render.hpp"
#include "analyze/wasi_preview1.hpp"
#include "analyze/wasm.hpp"
#include "analyze/wasm_render.hpp"

namespace strata::analyze {
namespace {

using nlohmann::json;

std::string leb(std::uint64_t value) {
  std::string out;
  do {
    auto byte = static_cast<std::uint8_t>(value & 0x7fU);
    value >>= 7U;
    if (value != 0) {
      byte |= 0x80U;
    }
    out += static_cast<char>(byte);
  } while (value != 0);
  return out;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (const int b : list) {
    out += static_cast<char>(b);
  }
  return out;
}

std::string name(std::string_view text) {
  return leb(text.size()) + std::string(text);
}

std::string section(int id, const std::string& body) {
  return bytes({id}) + leb(body.size()) + body;
}

const std::string kHeader("\0asm\x01\0\0\0", 8);

// (i32 i32 i32 i32) -> i32 and (i32) -> ().
const std::string kTypes =
    section(1, leb(2) + bytes({0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f}) + bytes({0x60, 1, 0x7f, 0}));

std::string import_func(std::string_view module, std::string_view field, int type) {
  return name(module) + name(field) + bytes({0x00}) + leb(static_cast<std::uint64_t>(type));
}

WasmModule read_ok(const std::string& module) {
  auto out = read_wasm(module, "test.wasm");
  EXPECT_TRUE(out.has_value()) << out.error().message();
  return out.value_or(WasmModule{});
}

std::string read_error(const std::string& module) {
  auto out = read_wasm(module, "test.wasm");
  EXPECT_FALSE(out.has_value());
  return out ? std::string() : out.error().message();
}

TEST(AnalyzeWasm, AHeaderAloneIsAnEmptyModule) {
  EXPECT_TRUE(is_wasm(kHeader));
  const WasmModule m = read_ok(kHeader);
  EXPECT_FALSE(m.component);
  EXPECT_EQ(m.version, 1U);
  EXPECT_TRUE(m.imports.empty());
  EXPECT_TRUE(m.memories.empty());
  EXPECT_FALSE(m.start);
  EXPECT_EQ(wasi_of(m), Wasi::none);
  EXPECT_FALSE(wasi_model(m));
  EXPECT_FALSE(memory_max_pages(m));
}

TEST(AnalyzeWasm, ImportsOfEachKind) {
  const std::string imports = leb(6) + import_func("wasi_snapshot_preview1", "fd_write", 0) +
                              import_func("wasi_snapshot_preview1", "proc_exit", 1) + name("env") +
                              name("table") + bytes({0x01, 0x70, 0x00, 0x01}) + name("env") + name("memory") +
                              bytes({0x02, 0x01, 0x01, 0x02}) + name("env") + name("counter") +
                              bytes({0x03, 0x7f, 0x01}) + name("env") + name("oops") +
                              bytes({0x04, 0x00, 0x01});
  const WasmModule m = read_ok(kHeader + kTypes + section(2, imports));
  ASSERT_EQ(m.imports.size(), 6U);
  EXPECT_EQ(m.imports[0].module, "wasi_snapshot_preview1");
  EXPECT_EQ(m.imports[0].name, "fd_write");
  EXPECT_EQ(m.imports[0].kind, WasmKind::func);
  EXPECT_EQ(m.imports[0].type, "(i32 i32 i32 i32) -> i32");
  EXPECT_EQ(m.imports[1].type, "(i32) -> ()");
  EXPECT_EQ(m.imports[2].kind, WasmKind::table);
  EXPECT_EQ(m.imports[2].type, "funcref");
  ASSERT_TRUE(m.imports[2].limits);
  EXPECT_EQ(m.imports[2].limits->initial, 1U);
  EXPECT_EQ(m.imports[3].kind, WasmKind::memory);
  EXPECT_EQ(m.imports[3].limits->max, 2U);
  EXPECT_EQ(m.imports[4].kind, WasmKind::global);
  EXPECT_EQ(m.imports[4].type, "mut i32");
  EXPECT_EQ(m.imports[5].kind, WasmKind::tag);
  EXPECT_EQ(m.imports[5].type, "(i32) -> ()");
  ASSERT_EQ(m.memories.size(), 1U);
  EXPECT_EQ(m.memories[0].import, "env.memory");
  EXPECT_EQ(wasi_of(m), Wasi::preview1);
  EXPECT_EQ(import_family("env"), ImportFamily::other);
}

TEST(AnalyzeWasm, WasiFlavoursByModuleName) {
  const WasmModule p0 =
      read_ok(kHeader + kTypes + section(2, leb(1) + import_func("wasi_unstable", "fd_write", 0)));
  EXPECT_EQ(wasi_of(p0), Wasi::preview0);
  const WasmModule both = read_ok(kHeader + kTypes +
                                  section(2, leb(2) + import_func("wasi_unstable", "fd_write", 0) +
                                                 import_func("wasi_snapshot_preview1", "fd_read", 0)));
  EXPECT_EQ(wasi_of(both), Wasi::preview1);
  EXPECT_EQ(import_family("wasi:cli/environment@0.2.0"), ImportFamily::wasi_preview2);
  EXPECT_EQ(import_family("wasi"), ImportFamily::wasi_threads);
  EXPECT_EQ(wasi_name(Wasi::preview0), "preview0");
}

TEST(AnalyzeWasm, MemoryLimits) {
  const WasmModule bounded = read_ok(kHeader + section(5, leb(1) + bytes({0x01, 0x02, 0x10})));
  ASSERT_EQ(bounded.memories.size(), 1U);
  EXPECT_EQ(bounded.memories[0].limits.initial, 2U);
  EXPECT_EQ(bounded.memories[0].limits.max, 16U);
  EXPECT_EQ(memory_max_pages(bounded), 16U);
  EXPECT_TRUE(wasm_features(bounded).empty());

  const WasmModule open = read_ok(kHeader + section(5, leb(1) + bytes({0x00, 0x01})));
  EXPECT_FALSE(open.memories[0].limits.max);
  EXPECT_EQ(memory_max_pages(open), 65536U);

  // Unbounded, shared (flags 3) and 64-bit (flags 4, u64 sizes) memories.
  const WasmModule three =
      read_ok(kHeader +
              section(5, leb(3) + bytes({0x00, 0x01}) + bytes({0x03, 0x01, 0x04}) + bytes({0x04}) + leb(3)));
  ASSERT_EQ(three.memories.size(), 3U);
  EXPECT_TRUE(three.memories[1].limits.shared);
  EXPECT_TRUE(three.memories[2].limits.is64);
  EXPECT_EQ(three.memories[2].limits.initial, 3U);
  EXPECT_EQ(memory_max_pages(three), std::uint64_t{1} << 48U);
  EXPECT_EQ(wasm_features(three), (std::vector<std::string>{"memory64", "multi-memory", "threads"}));
}

TEST(AnalyzeWasm, BadMemoryLimitsAreRefused) {
  EXPECT_NE(read_error(kHeader + section(5, leb(1) + bytes({0x01, 0x04, 0x02}))).find("maximum 2 below"),
            std::string::npos);
  EXPECT_NE(read_error(kHeader + section(5, leb(1) + bytes({0x02, 0x01}))).find("shared memory without"),
            std::string::npos);
  EXPECT_NE(
      read_error(kHeader + section(5, leb(1) + bytes({0x00}) + leb(65537))).find("more than 65536 pages"),
      std::string::npos);
  EXPECT_NE(read_error(kHeader + section(5, leb(1) + bytes({0x10, 0x01}))).find("unknown limits flags 0x10"),
            std::string::npos);
}

TEST(AnalyzeWasm, ExportsStartAndTheWasiModel) {
  const std::string functions = section(3, leb(2) + leb(1) + leb(1));
  const std::string memory = section(5, leb(1) + bytes({0x00, 0x01}));
  const std::string exports =
      section(7, leb(2) + name("_start") + bytes({0x00, 0x01}) + name("memory") + bytes({0x02, 0x00}));
  const WasmModule m = read_ok(kHeader + kTypes + functions + memory + exports + section(8, leb(0)));
  EXPECT_EQ(m.functions, 2U);
  ASSERT_EQ(m.exports.size(), 2U);
  EXPECT_EQ(m.exports[0].name, "_start");
  EXPECT_EQ(m.exports[0].kind, WasmKind::func);
  EXPECT_EQ(m.exports[0].index, 1U);
  EXPECT_EQ(m.exports[1].kind, WasmKind::memory);
  EXPECT_EQ(m.start, 0U);
  EXPECT_EQ(wasi_model(m), "command");

  const WasmModule reactor =
      read_ok(kHeader + kTypes + functions + section(7, leb(1) + name("_initialize") + bytes({0x00, 0x00})));
  EXPECT_EQ(wasi_model(reactor), "reactor");
  EXPECT_FALSE(reactor.start);
}

TEST(AnalyzeWasm, CustomSectionsAreNamedAndSkipped) {
  const WasmModule m = read_ok(kHeader + section(0, name("name") + bytes({1, 2, 3})) + kTypes +
                               section(0, name("producers")) + section(0, name("name")));
  EXPECT_EQ(m.custom_sections, (std::vector<std::string>{"name", "producers"}));
}

TEST(AnalyzeWasm, AComponentIsRecognizedAndNotReadFurther) {
  const std::string component = std::string("\0asm\x0d\0\x01\0", 8) + bytes({0x07, 0xff, 0xff});
  const WasmModule m = read_ok(component);
  EXPECT_TRUE(m.component);
  EXPECT_EQ(m.version, 0x0dU);
  EXPECT_EQ(wasi_of(m), Wasi::preview2);
  EXPECT_EQ(wasm_json(m), (json{{"component", true}, {"version", 13}, {"wasi", "preview2"}}));
}

TEST(AnalyzeWasm, GcTypesLeaveSignaturesUnknown) {
  // A rec group (0x4e) of one struct type, then a function import of type 0.
  const std::string types = section(1, leb(1) + bytes({0x4e, 0x01, 0x5f, 0x00}));
  const WasmModule m = read_ok(kHeader + types + section(2, leb(1) + import_func("env", "f", 0)));
  EXPECT_FALSE(m.signatures);
  ASSERT_EQ(m.imports.size(), 1U);
  EXPECT_EQ(m.imports[0].type, "");
}

TEST(AnalyzeWasm, ReferenceTypesInSignatures) {
  // (ref null extern) -> (ref 0)
  const std::string types = section(1, leb(1) + bytes({0x60, 1, 0x63, 0x6f, 1, 0x64, 0x00}));
  const WasmModule m = read_ok(kHeader + types + section(2, leb(1) + import_func("env", "f", 0)));
  EXPECT_EQ(m.imports[0].type, "((ref null extern)) -> (ref 0)");
}

TEST(AnalyzeWasm, BadMagicAndVersion) {
  const std::string not_wasm = std::string("\0asn\x01\0\0\0", 8);
  EXPECT_FALSE(is_wasm(not_wasm));
  EXPECT_NE(read_error(not_wasm).find("no \\0asm magic"), std::string::npos);
  EXPECT_EQ(read_error(std::string("\0asm\x02\0\0\0", 8)),
            "read wasm 'test.wasm': offset 0x4: version 0x00000002 is neither a module (1) nor a component "
            "(layer 1)");
  EXPECT_EQ(read_error(std::string("\0asm\x01", 5)),
            "read wasm 'test.wasm': truncated: 5 bytes, the header alone has 8");
}

TEST(AnalyzeWasm, TheHeaderSaysWhatTheFileIs) {
  EXPECT_EQ(wasm_header("#!/bin/sh\n"), WasmHeader::not_wasm);
  EXPECT_EQ(wasm_header(std::string("\0asm\x01", 5)), WasmHeader::truncated);
  EXPECT_EQ(wasm_header(std::string("\0asm\x01\0\0\0", 8)), WasmHeader::core);
  EXPECT_EQ(wasm_header(std::string("\0asm\x0d\0\x01\0", 8)), WasmHeader::component);
  EXPECT_EQ(wasm_header(std::string("\0asm\x02\0\0\0", 8)), WasmHeader::unknown_version);
}

TEST(AnalyzeWasm, TheWasiPreview1ListIsTheWitxOne) {
  EXPECT_EQ(kWasiPreview1Functions.size(), 46U);
  EXPECT_TRUE(is_wasi_preview1_function("fd_write"));
  EXPECT_TRUE(is_wasi_preview1_function("sock_shutdown"));
  EXPECT_FALSE(is_wasi_preview1_function("sock_open")) << "WasmEdge's extension, not preview1";
  EXPECT_FALSE(is_wasi_preview1_function(""));
}

TEST(AnalyzeWasm, TruncatedAndOversizedLeb128) {
  // A section size whose continuation bit promises a byte the file lacks.
  EXPECT_EQ(read_error(kHeader + bytes({0x01, 0x80, 0x80})),
            "read wasm 'test.wasm': offset 0x9: a section size (LEB128) runs past the end of the file (0xb)");
  // Six bytes for a u32.
  EXPECT_NE(
      read_error(kHeader + bytes({0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})).find("longer than 5 bytes"),
      std::string::npos);
  // Five bytes whose last one sets bits above 32.
  EXPECT_NE(read_error(kHeader + bytes({0x01, 0x80, 0x80, 0x80, 0x80, 0x10})).find("does not fit in 32 bits"),
            std::string::npos);
  // Zero-padded but within five bytes is fine (the format allows it).
  EXPECT_TRUE(read_wasm(kHeader + bytes({0x01, 0x81, 0x80, 0x80, 0x80, 0x00, 0x00}), "x").has_value());
}

TEST(AnalyzeWasm, ASectionPastTheEndOfTheFile) {
  EXPECT_EQ(
      read_error(kHeader + bytes({0x01, 100, 0x01, 0x60})),
      "read wasm 'test.wasm': offset 0x8: type section of 100 bytes ends at 0x6e, past the end of the file "
      "(0xc)");
}

TEST(AnalyzeWasm, ContentsMustStayInsideTheirSection) {
  // The import's name claims 9 bytes; the section has 3 left.
  const std::string message = read_error(kHeader + section(2, leb(1) + bytes({9, 'a', 'b', 'c'})));
  EXPECT_EQ(message,
            "read wasm 'test.wasm': offset 0xb: import section: an import's module name of 9 bytes runs past "
            "the end of the section (0xf)");
  // A section whose contents end early.
  EXPECT_NE(read_error(kHeader + section(8, leb(0) + bytes({0x00}))).find("1 byte left over"),
            std::string::npos);
}

TEST(AnalyzeWasm, MalformedContentsAreRefused) {
  EXPECT_NE(read_error(kHeader + section(2, leb(1) + name("env") + name("\xff"))).find("not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(
      read_error(kHeader + section(2, leb(1) + import_func("env", "f", 0))).find("type index 0 out of range"),
      std::string::npos);
  EXPECT_NE(read_error(kHeader + section(2, leb(200000))).find("200000 imports: more than the 100000"),
            std::string::npos);
  EXPECT_NE(read_error(kHeader + section(2, leb(1) + name("env") + name("x") + bytes({0x07})))
                .find("unknown import kind 0x07"),
            std::string::npos);
  EXPECT_NE(read_error(kHeader + section(1, leb(1) + bytes({0x61}))).find("unknown type form 0x61"),
            std::string::npos);
  EXPECT_NE(
      read_error(kHeader + section(1, leb(1) + bytes({0x60, 1, 0x01, 0}))).find("unknown value type 0x01"),
      std::string::npos);
  EXPECT_NE(read_error(kHeader + section(14, "")).find("unknown section id 14"), std::string::npos);
}

TEST(AnalyzeWasm, SectionsOutOfOrderOrRepeated) {
  EXPECT_NE(read_error(kHeader + section(7, leb(0)) + section(2, leb(0))).find("import section out of order"),
            std::string::npos);
  EXPECT_NE(read_error(kHeader + kTypes + kTypes).find("type section out of order"), std::string::npos);
  // Custom sections go anywhere; tag (13) sits between memory and global.
  EXPECT_TRUE(read_wasm(kHeader + section(0, name("a")) + section(5, leb(0)) + section(13, leb(0)) +
                            section(6, leb(0)),
                        "x")
                  .has_value());
}

// A preview1 command with an env import, analyzed as a Report.
Report report_of(const WasmModule& module) {
  FileReport file{.path = "/app.wasm", .resolved_path = "/app.wasm"};
  file.wasm = std::make_shared<const WasmModule>(module);
  file.interpreter_found = true;
  Report report{.target = "live"};
  report.files.push_back(std::move(file));
  return report;
}

WasmModule command_module() {
  const std::string imports = leb(3) + import_func("wasi_snapshot_preview1", "fd_write", 0) +
                              import_func("wasi_snapshot_preview1", "proc_exit", 1) +
                              import_func("env", "foo", 1);
  const std::string functions = section(3, leb(1) + leb(1));
  const std::string memory = section(5, leb(1) + bytes({0x01, 0x02, 0x10}));
  const std::string exports = section(7, leb(1) + name("_start") + bytes({0x00, 0x03}));
  return read_ok(kHeader + kTypes + section(2, imports) + functions + memory + exports);
}

TEST(AnalyzeWasmRender, NeedsAggregate) {
  const Report report = report_of(command_module());
  const json needs = needs_json(report);
  ASSERT_TRUE(needs.contains("wasm")) << needs.dump(2);
  EXPECT_EQ(needs["wasm"],
            (json{{"modules", 1},
                  {"wasi", "preview1"},
                  {"imports", {"wasi_snapshot_preview1.fd_write", "wasi_snapshot_preview1.proc_exit"}},
                  {"non_wasi_imports", {"env.foo"}},
                  {"memory_max_pages", 16},
                  {"features", json::array()}}));
  EXPECT_EQ(exit_code(report), 0);
  EXPECT_FALSE(needs_json(Report{}).contains("wasm"));
}

TEST(AnalyzeWasmRender, FileJsonAndText) {
  const Report report = report_of(command_module());
  const json doc = to_json(report, "test");
  const json& file = doc["files"][0];
  EXPECT_EQ(file["kind"], "wasm");
  EXPECT_EQ(file["wasm"]["wasi"], "preview1");
  EXPECT_EQ(file["wasm"]["model"], "command");
  EXPECT_EQ(file["wasm"]["imports"][0], (json{{"module", "wasi_snapshot_preview1"},
                                              {"name", "fd_write"},
                                              {"kind", "func"},
                                              {"type", "(i32 i32 i32 i32) -> i32"},
                                              {"wasi", "preview1"}}));
  EXPECT_EQ(file["wasm"]["imports"][2]["wasi"], nullptr);
  EXPECT_EQ(file["wasm"]["memories"][0], (json{{"initial_pages", 2},
                                               {"max_pages", 16},
                                               {"shared", false},
                                               {"memory64", false},
                                               {"imported", nullptr}}));
  EXPECT_EQ(file["wasm"]["exports"][0], (json{{"name", "_start"}, {"kind", "func"}, {"index", 3}}));
  EXPECT_EQ(file["wasm"]["start"], nullptr);

  const std::string text = to_text(report);
  EXPECT_NE(text.find("/app.wasm: WebAssembly module (version 1), WASI preview1, command (exports _start)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("  imports from wasi_snapshot_preview1 (WASI preview1): fd_write (i32 i32 i32 i32) -> i32, "
                "proc_exit (i32) -> ()\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  imports from env (not WASI"), std::string::npos) << text;
  EXPECT_NE(text.find("  memory 0: 2 pages (128 KiB) initial, max 16 pages (1 MiB)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  exports: _start (func 3)\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace strata::analyze
