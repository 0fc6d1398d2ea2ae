// ELF notes: the x86 ISA level a binary was linked to need
// (GNU_PROPERTY_X86_ISA_1_NEEDED in NT_GNU_PROPERTY_TYPE_0, written by
// `ld -z x86-64-v3`) and the oldest kernel a library supports
// (NT_GNU_ABI_TAG: glibc's libc.so.6 carries "Linux 3.2.0").
#include <gelf.h>

#include <cstring>
#include <string_view>

#include "analyze/elf_internal.hpp"

namespace strata::analyze::detail {

namespace {

// libelf converts a note's header but copies its name and descriptor as
// they are, so the descriptor is in the file's byte order.
std::uint32_t word(const unsigned char* p, int data) {
  if (data == ELFDATA2MSB) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  }
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

void read_properties(const unsigned char* desc, std::size_t size, ElfInfo& elf) {
  // Properties are padded to 8 bytes in ELF64 objects, 4 in ELF32 ones.
  const std::size_t align = elf.elf_class == ELFCLASS64 ? 8 : 4;
  std::size_t pos = 0;
  while (size - pos >= 8) {
    const std::uint32_t type = word(desc + pos, elf.data);
    const std::uint32_t length = word(desc + pos + 4, elf.data);
    pos += 8;
    if (length > size - pos) {
      return;
    }
    if (type == GNU_PROPERTY_X86_ISA_1_NEEDED && length >= 4) {
      elf.isa_needed = word(desc + pos, elf.data);
    }
    const std::size_t padded = (std::size_t{length} + align - 1) / align * align;
    if (padded > size - pos) {
      return;
    }
    pos += padded;
  }
}

void read_note_data(Elf_Data* data, ElfInfo& elf) {
  std::size_t offset = 0;
  while (offset < data->d_size) {
    GElf_Nhdr header;
    std::size_t name_offset = 0;
    std::size_t desc_offset = 0;
    const std::size_t next = gelf_getnote(data, offset, &header, &name_offset, &desc_offset);
    if (next == 0 || next <= offset) {
      return;
    }
    const auto* base = static_cast<const unsigned char*>(data->d_buf);
    const std::string_view owner(reinterpret_cast<const char*>(base + name_offset), header.n_namesz);
    if (owner == std::string_view("GNU\0", 4)) {
      if (header.n_type == NT_GNU_PROPERTY_TYPE_0) {
        read_properties(base + desc_offset, header.n_descsz, elf);
      } else if (header.n_type == NT_GNU_ABI_TAG && header.n_descsz >= 16 &&
                 word(base + desc_offset, elf.data) == ELF_NOTE_OS_LINUX) {
        elf.linux_abi_tag =
            std::array{word(base + desc_offset + 4, elf.data), word(base + desc_offset + 8, elf.data),
                       word(base + desc_offset + 12, elf.data)};
      }
    }
    offset = next;
  }
}

}  // namespace

void read_notes(Elf* handle, ElfInfo& elf) {
  bool sections = false;
  for (Elf_Scn* scn = elf_nextscn(handle, nullptr); scn != nullptr; scn = elf_nextscn(handle, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_NOTE) {
      continue;
    }
    sections = true;
    if (Elf_Data* data = elf_getdata(scn, nullptr); data != nullptr && data->d_buf != nullptr) {
      read_note_data(data, elf);
    }
  }
  std::size_t count = 0;
  if (sections || elf_getphdrnum(handle, &count) != 0) {
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(handle, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_NOTE) {
      continue;
    }
    const Elf_Type type = ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR;
    Elf_Data* data = elf_getdata_rawchunk(handle, static_cast<int64_t>(ph.p_offset), ph.p_filesz, type);
    if (data != nullptr && data->d_buf != nullptr) {
      read_note_data(data, elf);
    }
  }
}

}  // namespace strata::analyze::detail
