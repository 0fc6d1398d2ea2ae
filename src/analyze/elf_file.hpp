// What strata analyze reads from one ELF file: class, machine, how it is
// linked, what it needs from the dynamic loader (DT_NEEDED, RPATH/RUNPATH),
// the symbol versions it requires and its notes (x86 ISA level, ABI tag).
// The bytes are untrusted: libelf bounds-checks what it converts and every
// table strata walks itself is checked against the file's size first.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::analyze {

// One Elfxx_Verneed: the versions required from the library `file`.
struct VersionNeed {
  std::string file;                   // "libc.so.6"
  std::vector<std::string> versions;  // "GLIBC_2.34", "GLIBC_2.2.5" (file order)
};

struct ElfInfo {
  int elf_class = 0;                       // ELFCLASS32 / ELFCLASS64
  int data = 0;                            // ELFDATA2LSB / ELFDATA2MSB
  int machine = 0;                         // EM_X86_64 ...
  int type = 0;                            // ET_EXEC, ET_DYN ...
  std::optional<std::string> interpreter;  // PT_INTERP
  bool dynamic_section = false;            // has PT_DYNAMIC
  bool pie = false;                        // DF_1_PIE
  bool nodeflib = false;                   // DF_1_NODEFLIB: no cache, no default dirs
  std::string soname;
  std::vector<std::string> needed;   // DT_NEEDED in order
  std::optional<std::string> rpath;  // DT_RPATH, colon-separated as written
  std::optional<std::string> runpath;
  std::vector<VersionNeed> version_needs;                     // .gnu.version_r
  std::optional<std::uint32_t> isa_needed;                    // GNU_PROPERTY_X86_ISA_1_NEEDED bits
  std::optional<std::array<std::uint32_t, 3>> linux_abi_tag;  // NT_GNU_ABI_TAG for Linux
};

// True when `bytes` starts with the ELF magic.
[[nodiscard]] bool is_elf(std::string_view bytes);

// Parses an ELF image. libelf may convert data in place, hence a mutable
// buffer. Errors name `name` and say what is wrong ("truncated: ...").
[[nodiscard]] Result<ElfInfo> read_elf(std::span<char> image, const std::string& name);

// "ELF64", "ELF32".
[[nodiscard]] std::string class_name(int elf_class);
// "x86-64", "i386", "aarch64" ...; "machine N" otherwise.
[[nodiscard]] std::string machine_name(int machine);
// "executable", "shared object", "relocatable", "core".
[[nodiscard]] std::string type_name(int type);
// "dynamic", "static-pie" or "static".
[[nodiscard]] std::string linking(const ElfInfo& elf);
// The psABI level (1..4) the ISA bits need; 0 without the note.
[[nodiscard]] int isa_level(const ElfInfo& elf);

}  // namespace strata::analyze
