// The WebAssembly binary format (the core specification's chapter 5, with the
// threads, memory64, multi-memory, function-references, exception-handling
// and custom-page-sizes encodings): the header, then sections, each an id
// byte and a LEB128 size. The sections strata reports are read whole and must
// end where their size says; the others are skipped by size.
#include "analyze/wasm.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "analyze/wasm_cursor.hpp"

namespace strata::analyze {

namespace {

using wasm_detail::Cursor;

constexpr std::string_view kStep = "read wasm";
constexpr std::string_view kMagic{"\0asm", 4};
constexpr std::size_t kHeader = 8;

// The limits of the JS API (WebAssembly JavaScript Interface, "Limits"),
// which V8, SpiderMonkey and JavaScriptCore enforce: a module beyond them
// runs nowhere, and they keep a hostile file from making strata allocate
// per item of a count it merely claims.
constexpr std::uint64_t kMaxTypes = 1'000'000;
constexpr std::uint64_t kMaxFunctions = 1'000'000;
constexpr std::uint64_t kMaxImports = 100'000;
constexpr std::uint64_t kMaxExports = 100'000;
constexpr std::uint64_t kMaxMemories = 100;
constexpr std::uint64_t kMaxTables = 100'000;
constexpr std::uint64_t kMaxGlobals = 1'000'000;
constexpr std::uint64_t kMaxParams = 1'000;
constexpr std::uint64_t kMaxResults = 1'000;
constexpr std::size_t kMaxCustomNames = 64;

// Pages a memory may have: 2^16 of 64 KiB (4 GiB) with 32-bit indices, 2^48 with 64-bit ones.
constexpr std::uint64_t kMaxPages32 = std::uint64_t{1} << 16;
constexpr std::uint64_t kMaxPages64 = std::uint64_t{1} << 48;

enum SectionId : std::uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
  kTag = 13,
};

constexpr std::array<std::string_view, 14> kSectionNames{
    "custom", "type",  "import",  "function", "table", "memory",     "global",
    "export", "start", "element", "code",     "data",  "data count", "tag"};

// Where each known section must come: the order of the specification, with
// tag (exception handling) between memory and global and data count between
// element and code.
constexpr std::array<int, 14> kSectionRank{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};

// Value and reference types, by their one-byte encoding.
constexpr std::array<std::pair<std::uint8_t, std::string_view>, 17> kSimpleTypes{{{0x7f, "i32"},
                                                                                  {0x7e, "i64"},
                                                                                  {0x7d, "f32"},
                                                                                  {0x7c, "f64"},
                                                                                  {0x7b, "v128"},
                                                                                  {0x70, "funcref"},
                                                                                  {0x6f, "externref"},
                                                                                  {0x6e, "anyref"},
                                                                                  {0x6d, "eqref"},
                                                                                  {0x6c, "i31ref"},
                                                                                  {0x6b, "structref"},
                                                                                  {0x6a, "arrayref"},
                                                                                  {0x69, "exnref"},
                                                                                  {0x71, "nullref"},
                                                                                  {0x72, "nullexternref"},
                                                                                  {0x73, "nullfuncref"},
                                                                                  {0x74, "nullexnref"}}};

std::string_view simple_type(std::uint8_t byte) {
  const auto* it = std::ranges::find(kSimpleTypes, byte, &std::pair<std::uint8_t, std::string_view>::first);
  return it == kSimpleTypes.end() ? std::string_view() : it->second;
}

// The abstract heap types of (ref null? ht), by the byte of their shorthand:
// funcref's 0x70 is "func"; the bottom types have names of their own.
std::string_view heap_type(std::uint8_t byte) {
  constexpr std::array<std::pair<std::uint8_t, std::string_view>, 4> kBottom{
      {{0x71, "none"}, {0x72, "noextern"}, {0x73, "nofunc"}, {0x74, "noexn"}}};
  const auto* bottom = std::ranges::find(kBottom, byte, &std::pair<std::uint8_t, std::string_view>::first);
  if (bottom != kBottom.end()) {
    return bottom->second;
  }
  const std::string_view shorthand = simple_type(byte);
  return shorthand.ends_with("ref") ? shorthand.substr(0, shorthand.size() - 3) : "";
}

class Parser {
 public:
  explicit Parser(std::string_view bytes) : in_(bytes) {}

  // The sections after the header; the module so far and the first problem.
  void sections() {
    int last_rank = 0;
    in_.seek(kHeader);
    while (in_.ok() && !in_.at_end()) {
      const std::size_t start = in_.pos();
      in_.where("");
      const std::uint8_t id = in_.byte("a section id");
      const std::uint32_t size = in_.u32("a section size");
      if (!in_.ok()) {
        return;
      }
      if (id >= kSectionNames.size()) {
        in_.fail(start, fmt::format("unknown section id {}", id));
        return;
      }
      const std::string name = fmt::format("{} section", kSectionNames.at(id));
      if (size > in_.end() - in_.pos()) {
        in_.fail(start, fmt::format("{} of {} bytes ends at 0x{:x}, past the end of the file (0x{:x})", name,
                                    size, in_.pos() + size, in_.end()));
        return;
      }
      if (id != kCustom) {
        if (kSectionRank.at(id) <= last_rank) {
          in_.fail(start,
                   fmt::format("{} out of order (a second one, or after a section it must precede)", name));
          return;
        }
        last_rank = kSectionRank.at(id);
      }
      const std::size_t file_end = in_.end();
      const std::size_t section_end = in_.pos() + size;
      in_.limit(section_end);
      in_.where(name);
      if (section(id) && in_.ok() && in_.pos() != section_end) {
        const std::size_t left = section_end - in_.pos();
        in_.fail(in_.pos(), fmt::format("{} byte{} left over before the section's end (0x{:x})", left,
                                        left == 1 ? "" : "s", section_end));
      }
      in_.limit(file_end);
      in_.seek(section_end);
    }
  }

  [[nodiscard]] const std::optional<std::string>& error() const { return in_.error(); }
  WasmModule module;

 private:
  // Reads one section; true when it was read whole (so its size is checked).
  bool section(std::uint8_t id) {
    switch (id) {
      case kCustom:
        custom();
        return false;
      case kType:
        return types();
      case kImport:
        imports();
        return true;
      case kFunction:
        functions();
        return true;
      case kTable:
        module.tables = in_.count("tables", kMaxTables);
        return false;
      case kMemory:
        memories();
        return true;
      case kGlobal:
        module.globals = in_.count("globals", kMaxGlobals);
        return false;
      case kExport:
        exports();
        return true;
      case kStart:
        module.start = in_.u32("the start function index");
        return true;
      default:
        return false;
    }
  }

  void custom() {
    std::string name = in_.name("the custom section's name");
    if (in_.ok() && module.custom_sections.size() < kMaxCustomNames &&
        std::ranges::find(module.custom_sections, name) == module.custom_sections.end()) {
      module.custom_sections.push_back(std::move(name));
    }
  }

  // A value type: one byte, or (ref null? heaptype) of function references and GC.
  std::string value_type(std::string_view what) {
    const std::size_t start = in_.pos();
    const std::uint8_t b = in_.byte(what);
    if (!in_.ok()) {
      return {};
    }
    if (b == 0x63 || b == 0x64) {
      const std::int64_t heap = in_.s33("a heap type");
      const std::string prefix = b == 0x63 ? "ref null " : "ref ";
      if (heap >= 0) {
        return fmt::format("({}{})", prefix, heap);
      }
      const std::string_view abstract = heap < -0x40 ? "" : heap_type(static_cast<std::uint8_t>(heap & 0x7f));
      if (in_.ok() && abstract.empty()) {
        in_.fail(start, fmt::format("unknown heap type {}", heap));
        return {};
      }
      return fmt::format("({}{})", prefix, abstract);
    }
    const std::string_view simple = simple_type(b);
    if (simple.empty()) {
      in_.fail(start, fmt::format("unknown value type 0x{:02x}", b));
      return {};
    }
    return std::string(simple);
  }

  std::vector<std::string> result_list(std::string_view what, std::uint64_t max) {
    const std::uint32_t n = in_.count(what, max);
    std::vector<std::string> out;
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      out.push_back(value_type("a value type"));
    }
    return out;
  }

  // "(i32 i32) -> i32"; GC's rec/sub/struct/array end the decoding (false).
  bool types() {
    const std::uint32_t n = in_.count("types", kMaxTypes);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      const std::size_t start = in_.pos();
      const std::uint8_t form = in_.byte("a type's form");
      if (form == 0x4e || form == 0x50 || form == 0x4f || form == 0x5f || form == 0x5e) {
        module.signatures = false;
        types_.clear();
        return false;
      }
      if (in_.ok() && form != 0x60) {
        in_.fail(start, fmt::format("unknown type form 0x{:02x} (0x60 is a function type)", form));
        return false;
      }
      const auto params = result_list("parameters", kMaxParams);
      const auto results = result_list("results", kMaxResults);
      types_.push_back(
          fmt::format("({}) -> {}", fmt::join(params, " "),
                      results.size() == 1 ? results.front() : fmt::format("({})", fmt::join(results, " "))));
    }
    return true;
  }

  std::string signature(std::size_t at, std::uint32_t index) {
    if (!module.signatures) {
      return {};
    }
    if (index >= types_.size()) {
      in_.fail(at, fmt::format("type index {} out of range ({} types)", index, types_.size()));
      return {};
    }
    return types_[index];
  }

  WasmLimits limits(bool memory) {
    const std::size_t start = in_.pos();
    WasmLimits out;
    const std::uint8_t flags = in_.byte("the limits' flags");
    if (!in_.ok()) {
      return out;
    }
    if (flags > 0x0f) {
      in_.fail(start, fmt::format("unknown limits flags 0x{:02x}", flags));
      return out;
    }
    out.is64 = (flags & 0x04U) != 0;
    out.shared = (flags & 0x02U) != 0;
    const int bits = out.is64 ? 64 : 32;
    out.initial = in_.uleb(bits, "the initial size");
    if ((flags & 0x01U) != 0) {
      out.max = in_.uleb(bits, "the maximum size");
    }
    if ((flags & 0x08U) != 0) {
      out.page_size_log2 = in_.u32("the page size");
    }
    if (!in_.ok()) {
      return out;
    }
    if (out.max && *out.max < out.initial) {
      in_.fail(start, fmt::format("maximum {} below the initial size {}", *out.max, out.initial));
    } else if (out.shared && !out.max) {
      in_.fail(start, "a shared memory without a maximum");
    } else if (memory && out.page_size_log2 == 16 &&
               std::max(out.initial, out.max.value_or(0)) > (out.is64 ? kMaxPages64 : kMaxPages32)) {
      in_.fail(start, fmt::format("more than {} pages", out.is64 ? kMaxPages64 : kMaxPages32));
    }
    return out;
  }

  void add_memory(const WasmLimits& limits, std::string import, std::size_t at) {
    if (module.memories.size() >= kMaxMemories) {
      in_.fail(at, fmt::format("more than the {} memories engines accept", kMaxMemories));
      return;
    }
    module.memories.push_back({.limits = limits, .import = std::move(import)});
  }

  void import_desc(WasmImport& item, std::size_t at) {
    const std::size_t start = in_.pos();
    const std::uint8_t kind = in_.byte("the import's kind");
    switch (kind) {
      case 0x00:
        item.kind = WasmKind::func;
        item.type = signature(start, in_.u32("a type index"));
        return;
      case 0x01:
        item.kind = WasmKind::table;
        item.type = value_type("the table's element type");
        item.limits = limits(false);
        return;
      case 0x02:
        item.kind = WasmKind::memory;
        item.limits = limits(true);
        add_memory(*item.limits, item.module + "." + item.name, at);
        return;
      case 0x03: {
        item.kind = WasmKind::global;
        item.type = value_type("the global's type");
        const std::uint8_t mut = in_.byte("the global's mutability");
        if (in_.ok() && mut > 1) {
          in_.fail(in_.pos() - 1, fmt::format("global mutability 0x{:02x} is neither 0 nor 1", mut));
        }
        item.type = (mut == 1 ? "mut " : "") + item.type;
        return;
      }
      case 0x04: {
        item.kind = WasmKind::tag;
        const std::uint8_t attribute = in_.byte("the tag's attribute");
        if (in_.ok() && attribute != 0) {
          in_.fail(in_.pos() - 1,
                   fmt::format("tag attribute 0x{:02x} (only 0, exception, exists)", attribute));
        }
        item.type = signature(start, in_.u32("a type index"));
        return;
      }
      default:
        if (in_.ok()) {
          in_.fail(start, fmt::format("unknown import kind 0x{:02x}", kind));
        }
    }
  }

  void imports() {
    const std::uint32_t n = in_.count("imports", kMaxImports);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      const std::size_t start = in_.pos();
      WasmImport item;
      item.module = in_.name("an import's module name");
      item.name = in_.name("an import's name");
      import_desc(item, start);
      if (in_.ok()) {
        module.imports.push_back(std::move(item));
      }
    }
  }

  void functions() {
    module.functions = in_.count("functions", kMaxFunctions);
    for (std::uint32_t i = 0; i < module.functions && in_.ok(); ++i) {
      (void)in_.u32("a function's type index");
    }
  }

  void memories() {
    const std::uint32_t n = in_.count("memories", kMaxMemories);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      const std::size_t start = in_.pos();
      const WasmLimits defined = limits(true);
      if (in_.ok()) {
        add_memory(defined, "", start);
      }
    }
  }

  void exports() {
    const std::uint32_t n = in_.count("exports", kMaxExports);
    for (std::uint32_t i = 0; i < n && in_.ok(); ++i) {
      WasmExport item;
      item.name = in_.name("an export's name");
      const std::size_t at = in_.pos();
      const std::uint8_t kind = in_.byte("the export's kind");
      item.index = in_.u32("the export's index");
      if (in_.ok() && kind > 0x04) {
        in_.fail(at, fmt::format("unknown export kind 0x{:02x}", kind));
      }
      if (in_.ok()) {
        item.kind = static_cast<WasmKind>(kind);
        module.exports.push_back(std::move(item));
      }
    }
  }

  Cursor in_;
  std::vector<std::string> types_;
};

// The header's version and layer, two little-endian u16s after the magic.
std::pair<std::uint32_t, std::uint32_t> version_and_layer(std::string_view bytes) {
  const auto u16 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8U);
  };
  return {u16(4), u16(6)};
}

}  // namespace

bool is_wasm(std::string_view bytes) {
  return bytes.starts_with(kMagic);
}

WasmHeader wasm_header(std::string_view bytes) {
  if (!is_wasm(bytes)) {
    return WasmHeader::not_wasm;
  }
  if (bytes.size() < kHeader) {
    return WasmHeader::truncated;
  }
  const auto [version, layer] = version_and_layer(bytes);
  if (layer == 1) {  // the component model: a version of its own, layer 1
    return WasmHeader::component;
  }
  return layer == 0 && version == 1 ? WasmHeader::core : WasmHeader::unknown_version;
}

Result<WasmModule> read_wasm(std::string_view bytes, const std::string& name) {
  const std::string step(kStep);
  switch (wasm_header(bytes)) {
    case WasmHeader::not_wasm:
      return fail(step, name, "not a WebAssembly binary (no \\0asm magic)");
    case WasmHeader::truncated:
      return fail(step, name,
                  fmt::format("truncated: {} bytes, the header alone has {}", bytes.size(), kHeader));
    case WasmHeader::component: {
      WasmModule component;
      component.component = true;
      component.version = version_and_layer(bytes).first;
      return component;
    }
    case WasmHeader::unknown_version: {
      const auto [version, layer] = version_and_layer(bytes);
      return fail(
          step, name,
          fmt::format("offset 0x4: version 0x{:08x} is neither a module (1) nor a component (layer 1)",
                      version | (layer << 16U)));
    }
    case WasmHeader::core:
      break;
  }
  Parser parser(bytes);
  parser.sections();
  if (parser.error()) {
    return fail(step, name, *parser.error());
  }
  return std::move(parser.module);
}

std::string_view kind_name(WasmKind kind) {
  constexpr std::array<std::string_view, 5> kNames{"func", "table", "memory", "global", "tag"};
  return kNames.at(static_cast<std::size_t>(kind));
}

ImportFamily import_family(std::string_view module) {
  if (module == "wasi_snapshot_preview1") {
    return ImportFamily::wasi_preview1;
  }
  if (module == "wasi_unstable") {
    return ImportFamily::wasi_preview0;
  }
  if (module.starts_with("wasi:")) {
    return ImportFamily::wasi_preview2;
  }
  if (module == "wasi") {
    return ImportFamily::wasi_threads;
  }
  return ImportFamily::other;
}

std::string_view family_name(ImportFamily family) {
  switch (family) {
    case ImportFamily::wasi_preview0:
      return "preview0";
    case ImportFamily::wasi_preview1:
      return "preview1";
    case ImportFamily::wasi_preview2:
      return "preview2";
    case ImportFamily::wasi_threads:
      return "threads";
    case ImportFamily::other:
      break;
  }
  return "";
}

Wasi wasi_of(const WasmModule& module) {
  if (module.component) {
    return Wasi::preview2;
  }
  Wasi out = Wasi::none;
  for (const WasmImport& item : module.imports) {
    switch (import_family(item.module)) {
      case ImportFamily::wasi_preview2:
        return Wasi::preview2;
      case ImportFamily::wasi_preview1:
        out = Wasi::preview1;
        break;
      case ImportFamily::wasi_preview0:
        out = out == Wasi::none ? Wasi::preview0 : out;
        break;
      default:
        break;
    }
  }
  return out;
}

std::string_view wasi_name(Wasi wasi) {
  switch (wasi) {
    case Wasi::preview0:
      return "preview0";
    case Wasi::preview1:
      return "preview1";
    case Wasi::preview2:
      return "preview2";
    case Wasi::none:
      break;
  }
  return "";
}

std::optional<std::string_view> wasi_model(const WasmModule& module) {
  const auto exported = [&](std::string_view name) {
    return std::ranges::any_of(
        module.exports, [&](const WasmExport& e) { return e.kind == WasmKind::func && e.name == name; });
  };
  if (exported("_start")) {
    return "command";
  }
  if (exported("_initialize")) {
    return "reactor";
  }
  return std::nullopt;
}

std::vector<std::string> wasm_features(const WasmModule& module) {
  std::set<std::string> out;
  for (const WasmMemory& memory : module.memories) {
    if (memory.limits.shared) {
      out.insert("threads");
    }
    if (memory.limits.is64) {
      out.insert("memory64");
    }
  }
  if (std::ranges::any_of(module.imports, [](const WasmImport& i) {
        return import_family(i.module) == ImportFamily::wasi_threads;
      })) {
    out.insert("threads");
  }
  if (module.memories.size() > 1) {
    out.insert("multi-memory");
  }
  return {out.begin(), out.end()};
}

std::optional<std::uint64_t> memory_max_pages(const WasmModule& module) {
  std::optional<std::uint64_t> out;
  for (const WasmMemory& memory : module.memories) {
    const std::uint64_t max = memory.limits.max.value_or(memory.limits.is64 ? kMaxPages64 : kMaxPages32);
    out = std::max(out.value_or(0), max);
  }
  return out;
}

}  // namespace strata::analyze
