// Helpers shared by the ELF reader's files (elf_file.cpp, elf_versions.cpp,
// elf_notes.cpp); not part of the module's interface.
#pragma once

#include <gelf.h>

#include <string>

#include "analyze/elf_file.hpp"

namespace strata::analyze::detail {

// .gnu.version_r into elf.version_needs.
[[nodiscard]] Result<> read_version_needs(Elf* handle, ElfInfo& elf, const std::string& name);
// SHT_NOTE sections (else PT_NOTE segments) into isa_needed and linux_abi_tag.
void read_notes(Elf* handle, ElfInfo& elf);

// A one-line reason from libelf's last error.
[[nodiscard]] std::string elf_error();

}  // namespace strata::analyze::detail
