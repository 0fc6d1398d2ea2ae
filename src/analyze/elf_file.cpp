#include "analyze/elf_file.hpp"

#include <fmt/format.h>
#include <gelf.h>

#include <memory>

#include "analyze/elf_internal.hpp"

namespace strata::analyze {

namespace {

constexpr std::string_view kStep = "read ELF";

using ElfPtr = std::unique_ptr<Elf, decltype(&elf_end)>;

bool libelf_ready() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

// The ends of the program and section header tables and of every section's
// contents must lie inside the file: a cut-off download or a truncated copy
// is reported as such instead of as whatever libelf trips on first.
Result<> check_extent(Elf* handle, const GElf_Ehdr& eh, std::size_t size, const std::string& name) {
  const auto beyond = [&](std::uint64_t offset, std::uint64_t length, std::string_view what) -> Result<> {
    if (offset > size || length > size - offset) {
      return fail(std::string(kStep), name,
                  fmt::format("truncated: {} ends at byte {}, the file has {}", what, offset + length, size));
    }
    return {};
  };
  if (auto ok = beyond(eh.e_phoff, std::uint64_t{eh.e_phnum} * eh.e_phentsize, "the program headers"); !ok) {
    return ok;
  }
  std::size_t sections = 0;
  if (eh.e_shoff != 0 && elf_getshdrnum(handle, &sections) != 0) {
    return fail(std::string(kStep), name, "corrupt section header table: " + detail::elf_error());
  }
  if (auto ok = beyond(eh.e_shoff, std::uint64_t{sections} * eh.e_shentsize, "the section headers"); !ok) {
    return ok;
  }
  for (Elf_Scn* scn = elf_nextscn(handle, nullptr); scn != nullptr; scn = elf_nextscn(handle, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) {
      return fail(std::string(kStep), name, "corrupt section header: " + detail::elf_error());
    }
    if (sh.sh_type != SHT_NOBITS) {
      if (auto ok = beyond(sh.sh_offset, sh.sh_size, fmt::format("section {}", elf_ndxscn(scn))); !ok) {
        return ok;
      }
    }
  }
  return {};
}

Result<> read_program_headers(Elf* handle, ElfInfo& elf, const std::string& name) {
  std::size_t count = 0;
  if (elf_getphdrnum(handle, &count) != 0) {
    return fail(std::string(kStep), name, "corrupt program headers: " + detail::elf_error());
  }
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(handle, static_cast<int>(i), &ph) == nullptr) {
      return fail(std::string(kStep), name, "corrupt program header: " + detail::elf_error());
    }
    if (ph.p_type == PT_DYNAMIC) {
      elf.dynamic_section = true;
    } else if (ph.p_type == PT_INTERP) {
      Elf_Data* data =
          elf_getdata_rawchunk(handle, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_BYTE);
      if (data == nullptr || data->d_buf == nullptr) {
        return fail(std::string(kStep), name, "PT_INTERP outside the file");
      }
      const std::string_view text(static_cast<const char*>(data->d_buf), data->d_size);
      elf.interpreter = std::string(text.substr(0, text.find('\0')));
    }
  }
  return {};
}

void add_dynamic_entry(Elf* handle, std::size_t strtab, const GElf_Dyn& dyn, ElfInfo& elf) {
  const auto text = [&]() -> std::optional<std::string> {
    const char* s = elf_strptr(handle, strtab, dyn.d_un.d_val);
    return s == nullptr ? std::nullopt : std::optional<std::string>(s);
  };
  switch (dyn.d_tag) {
    case DT_NEEDED:
      if (auto s = text()) {
        elf.needed.push_back(std::move(*s));
      }
      break;
    case DT_RPATH:
      elf.rpath = text();
      break;
    case DT_RUNPATH:
      elf.runpath = text();
      break;
    case DT_SONAME:
      elf.soname = text().value_or("");
      break;
    case DT_FLAGS_1:
      elf.pie = (dyn.d_un.d_val & DF_1_PIE) != 0;
      elf.nodeflib = (dyn.d_un.d_val & DF_1_NODEFLIB) != 0;
      break;
    default:
      break;
  }
}

Result<> read_dynamic(Elf* handle, ElfInfo& elf, const std::string& name) {
  for (Elf_Scn* scn = elf_nextscn(handle, nullptr); scn != nullptr; scn = elf_nextscn(handle, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_DYNAMIC) {
      continue;
    }
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr) {
      return fail(std::string(kStep), name, "unreadable .dynamic: " + detail::elf_error());
    }
    const std::size_t entry_size = gelf_fsize(handle, ELF_T_DYN, 1, EV_CURRENT);
    const std::size_t entries = entry_size == 0 ? 0 : data->d_size / entry_size;
    for (std::size_t i = 0; i < entries; ++i) {
      GElf_Dyn dyn;
      if (gelf_getdyn(data, static_cast<int>(i), &dyn) == nullptr || dyn.d_tag == DT_NULL) {
        break;
      }
      add_dynamic_entry(handle, sh.sh_link, dyn, elf);
    }
    return {};
  }
  if (elf.dynamic_section) {
    return fail(std::string(kStep), name, "PT_DYNAMIC without a .dynamic section (section headers stripped)");
  }
  return {};
}

}  // namespace

namespace detail {

std::string elf_error() {
  const char* message = elf_errmsg(-1);
  return message == nullptr ? "unknown libelf error" : message;
}

}  // namespace detail

bool is_elf(std::string_view bytes) {
  return bytes.starts_with(
      "\x7f"
      "ELF");
}

Result<ElfInfo> read_elf(std::span<char> image, const std::string& name) {
  if (!libelf_ready()) {
    return fail(std::string(kStep), name, "libelf refuses EV_CURRENT");
  }
  if (image.size() < EI_NIDENT || !is_elf(std::string_view(image.data(), image.size()))) {
    return fail(std::string(kStep), name, "not an ELF file");
  }
  const ElfPtr handle(elf_memory(image.data(), image.size()), &elf_end);
  GElf_Ehdr eh;
  if (!handle || elf_kind(handle.get()) != ELF_K_ELF || gelf_getehdr(handle.get(), &eh) == nullptr) {
    return fail(std::string(kStep), name, "corrupt ELF header: " + detail::elf_error());
  }
  ElfInfo elf{.elf_class = eh.e_ident[EI_CLASS],
              .data = eh.e_ident[EI_DATA],
              .machine = eh.e_machine,
              .type = eh.e_type};
  if (auto ok = check_extent(handle.get(), eh, image.size(), name); !ok) {
    return std::unexpected(ok.error());
  }
  for (auto step : {&read_program_headers, &read_dynamic, &detail::read_version_needs}) {
    if (auto ok = step(handle.get(), elf, name); !ok) {
      return std::unexpected(ok.error());
    }
  }
  detail::read_notes(handle.get(), elf);
  return elf;
}

std::string class_name(int elf_class) {
  return elf_class == ELFCLASS64   ? "ELF64"
         : elf_class == ELFCLASS32 ? "ELF32"
                                   : fmt::format("class {}", elf_class);
}

std::string machine_name(int machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "aarch64";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390";
    default:
      return fmt::format("machine {}", machine);
  }
}

std::string type_name(int type) {
  switch (type) {
    case ET_EXEC:
      return "executable";
    case ET_DYN:
      return "shared object";
    case ET_REL:
      return "relocatable";
    case ET_CORE:
      return "core";
    default:
      return fmt::format("type {}", type);
  }
}

std::string linking(const ElfInfo& elf) {
  if (elf.interpreter || !elf.needed.empty()) {
    return "dynamic";
  }
  return elf.type == ET_DYN && elf.pie ? "static-pie" : "static";
}

int isa_level(const ElfInfo& elf) {
  if (!elf.isa_needed) {
    return 0;
  }
  for (int level = 4; level >= 1; --level) {
    if ((*elf.isa_needed & (1U << (level - 1))) != 0) {
      return level;
    }
  }
  return 0;
}

}  // namespace strata::analyze
