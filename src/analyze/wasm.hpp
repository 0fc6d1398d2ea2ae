// What strata analyze reads from a WebAssembly binary: its imports (and so
// which WASI it was built for), memories, exports and start function. A
// component (the component model's binary, WASI preview2) is recognized by
// its header and not read further. The bytes are untrusted: every length and
// count is checked against the section and the file before use, and a
// malformed file is one Error naming the offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::analyze {

enum class WasmKind { func, table, memory, global, tag };

// Where an import's module name says it comes from.
enum class ImportFamily {
  wasi_preview0,  // "wasi_unstable": the legacy snapshot
  wasi_preview1,  // "wasi_snapshot_preview1"
  wasi_preview2,  // "wasi:cli/...@0.2.0": component-model interfaces
  wasi_threads,   // "wasi": thread-spawn of the wasi-threads proposal
  other,          // "env" and anything else: the embedder or another module must provide it
};

// What a module needs from an engine's WASI, the newest flavour it imports.
enum class Wasi { none, preview0, preview1, preview2 };

// The limits of a memory or table.
struct WasmLimits {
  std::uint64_t initial = 0;  // pages (memories) or elements (tables)
  std::optional<std::uint64_t> max;
  bool shared = false;                // threads: shared memory
  bool is64 = false;                  // memory64 / table64: 64-bit indices
  std::uint32_t page_size_log2 = 16;  // custom-page-sizes proposal; 64 KiB otherwise
};

struct WasmImport {
  std::string module;  // "wasi_snapshot_preview1", "env"
  std::string name;    // "fd_write"
  WasmKind kind = WasmKind::func;
  // func and tag: the signature "(i32 i32) -> i32" ("" when the type section
  // uses GC types strata does not decode); table: the element type; global:
  // "i32" or "mut i32"; memory: "".
  std::string type;
  std::optional<WasmLimits> limits;  // table, memory
};

struct WasmExport {
  std::string name;
  WasmKind kind = WasmKind::func;
  std::uint32_t index = 0;
};

struct WasmMemory {
  WasmLimits limits;
  std::string import;  // "env.memory" when imported, "" when the module defines it
};

struct WasmModule {
  bool component = false;     // a component-model binary: nothing below is read
  std::uint32_t version = 1;  // 1 for a core module; a component's pre-release version (0x0d)
  std::vector<WasmImport> imports;
  std::vector<WasmMemory> memories;  // the memory index space: imported ones first
  std::vector<WasmExport> exports;
  std::optional<std::uint32_t> start;        // the start section's function index
  std::uint32_t functions = 0;               // defined (function section), imports not counted
  std::uint32_t tables = 0;                  // defined
  std::uint32_t globals = 0;                 // defined
  bool signatures = true;                    // false: the type section holds GC types, signatures unknown
  std::vector<std::string> custom_sections;  // distinct names in file order ("name", "producers")
};

// True when `bytes` starts with the "\0asm" magic.
[[nodiscard]] bool is_wasm(std::string_view bytes);

// What the 8-byte header says the file is.
enum class WasmHeader {
  not_wasm,         // no "\0asm" magic
  truncated,        // the magic, then fewer than 8 bytes
  core,             // version 1, layer 0: a core module, which read_wasm reads whole
  component,        // layer 1: a component (WASI preview2)
  unknown_version,  // any other version or layer
};
[[nodiscard]] WasmHeader wasm_header(std::string_view bytes);

// Parses a module. Errors name `name` and say where ("offset 0x1c: import
// section: ...").
[[nodiscard]] Result<WasmModule> read_wasm(std::string_view bytes, const std::string& name);

// "func", "table", "memory", "global", "tag".
[[nodiscard]] std::string_view kind_name(WasmKind kind);

[[nodiscard]] ImportFamily import_family(std::string_view module);
// "preview0", "preview1", "preview2", "threads"; "" for other.
[[nodiscard]] std::string_view family_name(ImportFamily family);

// The newest WASI the module imports; preview2 for a component.
[[nodiscard]] Wasi wasi_of(const WasmModule& module);
// "preview0", "preview1", "preview2"; "" for none.
[[nodiscard]] std::string_view wasi_name(Wasi wasi);

// WASI's application models: a command exports _start (run once), a reactor
// exports _initialize (called once, then its exports). nullopt: neither.
[[nodiscard]] std::optional<std::string_view> wasi_model(const WasmModule& module);

// Proposals beyond WebAssembly 2.0 the module depends on and engines do not
// all support: "threads" (a shared memory or wasi.thread-spawn), "memory64",
// "multi-memory" (more than one memory). Sorted.
[[nodiscard]] std::vector<std::string> wasm_features(const WasmModule& module);

// The most pages a memory of the module may grow to: the largest declared
// maximum, or the format's limit (65536 pages, 4 GiB, for a 32-bit memory;
// 2^48 for a 64-bit one) when a memory declares none. nullopt: no memory.
[[nodiscard]] std::optional<std::uint64_t> memory_max_pages(const WasmModule& module);

}  // namespace strata::analyze
