// libFuzzer target for the ELF reader of `strata analyze` (headers, dynamic
// section, version needs, notes) and the shebang parser: any bytes give a
// value or an Error, never a crash, a hang or a read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "analyze/elf_file.hpp"
#include "analyze/script.hpp"
#include "analyze/versions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (auto elf = strata::analyze::read_elf(std::span<char>(bytes), "fuzz")) {
    (void)strata::analyze::linking(*elf);
    (void)strata::analyze::isa_level(*elf);
    for (const auto& need : elf->version_needs) {
      (void)strata::analyze::max_versions(need.versions);
    }
  }
  (void)strata::analyze::parse_shebang(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
