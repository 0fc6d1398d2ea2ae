// A bounds-checked reader of the parts of a WebAssembly binary strata needs:
// the import, memory and export sections.
#include "wasm/module.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "base/unique_fd.hpp"

namespace strata::wasm {

namespace {

constexpr std::uint64_t kMaxModuleBytes = 1ULL << 30;

// The functions of wasi_snapshot_preview1 (WASI's witx, 2020-12 and final).
constexpr std::array<std::string_view, 46> kPreview1{
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
};

constexpr std::string_view kPreview1Module = "wasi_snapshot_preview1";

// A cursor over untrusted bytes: every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  [[nodiscard]] bool done() const { return pos_ >= bytes_.size(); }
  [[nodiscard]] bool ok() const { return ok_; }

  std::uint8_t byte() {
    if (pos_ >= bytes_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }

  // Unsigned LEB128 of at most `bits` (32 or 64) bits.
  std::uint64_t leb(unsigned bits) {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < bits; shift += 7) {
      const std::uint8_t b = byte();
      if (!ok_) {
        return 0;
      }
      if (shift + 7 > bits && (b & 0x7fU) >> (bits - shift) != 0) {
        ok_ = false;  // more bits than the type holds
        return 0;
      }
      value |= static_cast<std::uint64_t>(b & 0x7fU) << shift;
      if ((b & 0x80U) == 0) {
        return value;
      }
    }
    ok_ = false;  // a continuation bit on the last byte the type allows
    return 0;
  }

  void set_failed() { ok_ = false; }

  std::uint32_t u32() { return static_cast<std::uint32_t>(leb(32)); }

  std::string_view take(std::uint64_t n) {
    if (!ok_ || n > bytes_.size() - pos_) {
      ok_ = false;
      return {};
    }
    const std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string_view name() { return take(u32()); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// limits: a flags byte (bit 0: a maximum follows; bit 2: 64-bit), the
// minimum, the maximum. Returns the minimum.
std::uint64_t limits(Reader& r) {
  const std::uint8_t flags = r.byte();
  if (flags > 0x07) {
    r.set_failed();
    return 0;
  }
  const unsigned bits = (flags & 0x04U) != 0 ? 64 : 32;
  const std::uint64_t min = r.leb(bits);
  if ((flags & 0x01U) != 0) {
    r.leb(bits);
  }
  return min;
}

void read_imports(Reader& r, ModuleInfo& info) {
  const std::uint32_t count = r.u32();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    Import import{.module = std::string(r.name()), .name = std::string(r.name())};
    switch (r.byte()) {
      case 0x00:
        import.kind = ImportKind::function;
        r.u32();
        break;
      case 0x01:
        import.kind = ImportKind::table;
        r.byte();
        limits(r);
        break;
      case 0x02: {
        import.kind = ImportKind::memory;
        const std::uint64_t min = limits(r);
        if (!info.initial_pages) {
          info.initial_pages = min;
        }
        break;
      }
      case 0x03:
        import.kind = ImportKind::global;
        r.byte();
        r.byte();
        break;
      case 0x04:
        import.kind = ImportKind::tag;
        r.byte();
        r.u32();
        break;
      default:
        r.set_failed();
        break;
    }
    if (r.ok()) {
      info.imports.push_back(std::move(import));
    }
  }
}

void read_memories(Reader& r, ModuleInfo& info) {
  const std::uint32_t count = r.u32();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    const std::uint64_t min = limits(r);
    if (!info.initial_pages) {
      info.initial_pages = min;
    }
  }
}

void read_exports(Reader& r, ModuleInfo& info) {
  const std::uint32_t count = r.u32();
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    const std::string_view name = r.name();
    const std::uint8_t kind = r.byte();
    r.u32();
    if (r.ok() && kind == 0x00 && name == "_start") {
      info.exports_start = true;
    }
  }
}

std::string_view describe(ImportKind kind) {
  switch (kind) {
    case ImportKind::function:
      return "function";
    case ImportKind::table:
      return "table";
    case ImportKind::memory:
      return "memory";
    case ImportKind::global:
      return "global";
    case ImportKind::tag:
      return "tag";
  }
  return "?";
}

}  // namespace

Result<ModuleInfo> parse_module(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 8 || bytes.substr(0, 4) != kMagic) {
    return std::unexpected(Error{.step = "read module",
                                 .path = name,
                                 .err = 0,
                                 .detail = "not a WebAssembly module (no \\0asm magic)",
                                 .exit_code = kExitCannotExecute});
  }
  const std::string_view version = bytes.substr(4, 4);
  if (version != std::string_view("\x01\x00\x00\x00", 4)) {
    const bool component = version.substr(2) == std::string_view("\x01\x00", 2);
    return std::unexpected(
        Error{.step = "read module",
              .path = name,
              .err = 0,
              .detail = component ? "a component (WASI preview2); strata runs core modules (WASI preview1)"
                                  : "an unknown WebAssembly binary version",
              .exit_code = kExitCannotExecute});
  }
  ModuleInfo info;
  Reader r(bytes.substr(8));
  while (!r.done() && r.ok()) {
    const std::uint8_t id = r.byte();
    Reader section(r.take(r.u32()));
    if (!r.ok()) {
      break;
    }
    switch (id) {
      case 2:
        read_imports(section, info);
        break;
      case 5:
        read_memories(section, info);
        break;
      case 7:
        read_exports(section, info);
        break;
      default:
        break;
    }
    if (!section.ok()) {
      return fail("read module", name, "section " + std::to_string(id) + " is malformed");
    }
  }
  if (!r.ok()) {
    return fail("read module", name, "truncated (a section runs past the end of the file)");
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
         std::string_view(magic.data(), magic.size()) == kMagic;
}

Result<> check_imports(const ModuleInfo& info, const std::string& name, std::string_view engine) {
  for (const auto& import : info.imports) {
    const bool preview1 = import.kind == ImportKind::function && import.module == kPreview1Module &&
                          std::ranges::find(kPreview1, import.name) != kPreview1.end();
    if (preview1) {
      continue;
    }
    std::string detail = "imports ";
    if (import.kind != ImportKind::function) {
      detail += describe(import.kind);
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
