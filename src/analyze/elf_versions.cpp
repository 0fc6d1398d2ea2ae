// .gnu.version_r: which versions of which library's symbols the object
// binds to (what `objdump -p` prints under "Version References").
#include <gelf.h>

#include "analyze/elf_internal.hpp"

namespace strata::analyze::detail {

namespace {

// A hostile file can chain entries in a loop; a real one has a few dozen.
constexpr std::size_t kMaxEntries = 4096;

Result<> read_aux(Elf* handle, Elf_Data* data, std::size_t strtab, std::size_t offset, unsigned count,
                  VersionNeed& need, const std::string& name) {
  for (unsigned i = 0; i < count && i < kMaxEntries; ++i) {
    GElf_Vernaux aux;
    if (gelf_getvernaux(data, static_cast<int>(offset), &aux) == nullptr) {
      return fail("read ELF", name, "corrupt version needs (.gnu.version_r): " + elf_error());
    }
    if (const char* version = elf_strptr(handle, strtab, aux.vna_name); version != nullptr) {
      need.versions.emplace_back(version);
    }
    if (aux.vna_next == 0) {
      break;
    }
    offset += aux.vna_next;
  }
  return {};
}

}  // namespace

Result<> read_version_needs(Elf* handle, ElfInfo& elf, const std::string& name) {
  for (Elf_Scn* scn = elf_nextscn(handle, nullptr); scn != nullptr; scn = elf_nextscn(handle, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_GNU_verneed) {
      continue;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) {
      return fail("read ELF", name, "unreadable .gnu.version_r: " + elf_error());
    }
    std::size_t offset = 0;
    for (std::size_t i = 0; i < sh.sh_info && i < kMaxEntries; ++i) {
      GElf_Verneed entry;
      if (gelf_getverneed(data, static_cast<int>(offset), &entry) == nullptr) {
        return fail("read ELF", name, "corrupt version needs (.gnu.version_r): " + elf_error());
      }
      const char* file = elf_strptr(handle, sh.sh_link, entry.vn_file);
      VersionNeed need{.file = file == nullptr ? "" : file, .versions = {}};
      if (auto ok = read_aux(handle, data, sh.sh_link, offset + entry.vn_aux, entry.vn_cnt, need, name);
          !ok) {
        return ok;
      }
      elf.version_needs.push_back(std::move(need));
      if (entry.vn_next == 0) {
        break;
      }
      offset += entry.vn_next;
    }
  }
  return {};
}

}  // namespace strata::analyze::detail
