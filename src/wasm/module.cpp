// Run's view of a module, from analyze's reader (one bounds-checked reader
// and LEB128 decoder for analyze, check and run), and its import policy.
#include "wasm/module.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "analyze/wasi_preview1.hpp"
#include "base/unique_fd.hpp"

namespace strata::wasm {

namespace {

constexpr std::uint64_t kMaxModuleBytes = 1ULL << 30;

Error not_runnable(const std::string& name, std::string detail) {
  return Error{.step = "read module",
               .path = name,
               .err = 0,
               .detail = std::move(detail),
               .exit_code = kExitCannotExecute};
}

}  // namespace

Result<ModuleInfo> parse_module(std::string_view bytes, const std::string& name) {
  switch (analyze::wasm_header(bytes)) {
    case analyze::WasmHeader::not_wasm:
    case analyze::WasmHeader::truncated:
      return std::unexpected(not_runnable(name, "not a WebAssembly module (no \\0asm magic)"));
    case analyze::WasmHeader::component:
      return std::unexpected(
          not_runnable(name, "a component (WASI preview2); strata runs core modules (WASI preview1)"));
    case analyze::WasmHeader::unknown_version:
      return std::unexpected(not_runnable(name, "an unknown WebAssembly binary version"));
    case analyze::WasmHeader::core:
      break;
  }
  auto module = analyze::read_wasm(bytes, name);
  if (!module) {
    return fail("read module", name, module.error().detail);
  }
  ModuleInfo info{.imports = std::move(module->imports),
                  .initial_pages = std::nullopt,
                  .exports_start = analyze::wasi_model(*module) == "command"};
  if (!module->memories.empty()) {
    info.initial_pages = module->memories.front().limits.initial;  // imported memories come first
  }
  return info;
}

Result<ModuleInfo> read_module(const std::string& path, const std::string& name) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    auto error = fail_errno("read module", name);
    if (errno == ENOENT || errno == ENOTDIR) {
      error.error().exit_code = kExitNotFound;
    }
    return error;
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno("read module", name);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("read module", name, "not a regular file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxModuleBytes) {
    return fail("read module", name, "larger than 1 GiB");
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("read module", name);
    }
    if (n == 0) {
      break;
    }
    have += static_cast<std::size_t>(n);
  }
  bytes.resize(have);
  return parse_module(bytes, name);
}

bool looks_like_module(const std::string& word, const std::string& cwd) {
  if (word.ends_with(".wasm")) {
    return true;
  }
  if (word.empty()) {
    return false;
  }
  const std::string path = word.front() == '/' || cwd.empty() ? word : cwd + "/" + word;
  // Only a regular file is opened: a device or FIFO named like the command
  // must neither hang strata nor see an open.
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  std::array<char, 4> magic{};
  return ::pread(fd.get(), magic.data(), magic.size(), 0) == 4 &&
         analyze::is_wasm(std::string_view(magic.data(), magic.size()));
}

Result<> check_imports(const ModuleInfo& info, const std::string& name, std::string_view engine) {
  for (const auto& import : info.imports) {
    const bool preview1 = import.kind == analyze::WasmKind::func &&
                          import.module == analyze::kWasiPreview1Module &&
                          analyze::is_wasi_preview1_function(import.name);
    if (preview1) {
      continue;
    }
    std::string detail = "imports ";
    if (import.kind != analyze::WasmKind::func) {
      detail += analyze::kind_name(import.kind);
      detail += ' ';
    }
    detail += import.module;
    detail += '.';
    detail += import.name;
    detail += ", which ";
    detail += engine;
    detail += " does not provide (";
    detail += import.module == "wasi_unstable" ? "WASI preview0 (wasi_unstable); strata runs preview1 modules"
                                               : "it is not part of WASI preview1";
    detail += ')';
    return fail("check module", name, std::move(detail));
  }
  return {};
}

}  // namespace strata::wasm
