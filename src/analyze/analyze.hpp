// strata analyze: what binaries and scripts need from the system that runs
// them. Operands -> files (walk) -> per file: ELF facts and the ld.so
// closure (resolve), a script's interpreter, or a WebAssembly module's
// imports -> Report -> text or strata.needs/v1 JSON (docs/needs.md).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyze/elf_file.hpp"
#include "analyze/resolve.hpp"
#include "analyze/script.hpp"
#include "analyze/versions.hpp"
#include "analyze/wasm.hpp"
#include "base/error.hpp"
#include "probe/root.hpp"

namespace strata::analyze {

struct KernelVersion {
  std::array<std::uint32_t, 3> version{};
  std::string source;  // the object whose NT_GNU_ABI_TAG says so
};

struct FileReport {
  std::string path;           // as named or walked
  std::string resolved_path;  // after symlinks ($ORIGIN's base)
  std::shared_ptr<const ElfInfo> elf;
  Closure closure;
  std::optional<Shebang> shebang;
  std::shared_ptr<const WasmModule> wasm;   // a .wasm file: no closure, no interpreter
  bool interpreter_found = false;           // a script's interpreter, or PT_INTERP
  std::optional<KernelVersion> min_kernel;  // the newest ABI tag in the closure
};

struct AnalyzeOptions {
  std::vector<std::string> paths;  // absolute inside the tree
  ResolveOptions resolve;
};

struct Report {
  std::string target;  // "live" or the --root directory
  std::vector<FileReport> files;
  std::vector<Error> errors;  // unusable input, in the order met
  std::size_t skipped = 0;    // walked files that are neither ELF, WebAssembly nor script
  std::string cache_status;
  std::vector<std::string> default_dirs;
  ResolveOptions resolve;
};

[[nodiscard]] Report analyze(const probe::Root& root, const AnalyzeOptions& options);

// The dependencies not found, over every file.
[[nodiscard]] std::size_t unmet_count(const Report& report);

// 0: everything resolved; 1: something is missing (unmet needs); 2: some
// input was unusable (unreadable, corrupt, neither ELF, WebAssembly nor script).
[[nodiscard]] int exit_code(const Report& report);

// "3.2.0".
[[nodiscard]] std::string kernel_string(const std::array<std::uint32_t, 3>& version);

// Per library named in the file's version needs: the newest version of each family.
[[nodiscard]] VersionMax file_version_max(const ElfInfo& elf);

}  // namespace strata::analyze
