// Text: per file a header line, the dependency tree in the manner of
// lddtree with the reason for each library, then the symbol versions, the
// ISA level and the minimum kernel.
#include <fmt/format.h>

#include <set>

#include "analyze/render.hpp"
#include "analyze/wasm_render.hpp"

namespace strata::analyze {

namespace {

std::string reason(const Dependency& dep) {
  const std::string hwcaps = dep.hwcaps.empty() ? "" : fmt::format(" (glibc-hwcaps {})", dep.hwcaps);
  switch (dep.via) {
    case Via::path:
      return "found at the path DT_NEEDED names";
    case Via::rpath:
      return fmt::format("found via RPATH {}{}", dep.entry, hwcaps);
    case Via::ld_library_path:
      return fmt::format("found via LD_LIBRARY_PATH {}{}", dep.entry, hwcaps);
    case Via::runpath:
      return fmt::format("found via RUNPATH {}{}", dep.entry, hwcaps);
    case Via::cache:
      return "found in ld.so.cache" + hwcaps;
    case Via::default_dirs:
      return "found in the default directories" + hwcaps;
    case Via::loaded:
      return "already loaded";
    case Via::not_found:
      break;
  }
  return fmt::format("NOT FOUND (searched: {})", fmt::join(dep.searched, "; "));
}

void tree(const Closure& closure, std::size_t object, int depth, std::set<std::size_t>& shown,
          std::string& out) {
  for (const Dependency& dep : closure.dependencies) {
    if (dep.requester != object) {
      continue;
    }
    const std::string indent(static_cast<std::size_t>(depth) * 2 + 2, ' ');
    const std::string where = dep.path.empty() ? "" : " => " + dep.path;
    out += fmt::format("{}{}{} ({})\n", indent, dep.name, where, reason(dep));
    for (const Skipped& s : dep.skipped) {
      out += fmt::format("{}  skipped {}: {}\n", indent, s.path, s.reason);
    }
    if (dep.via != Via::loaded && dep.object && shown.insert(*dep.object).second) {
      tree(closure, *dep.object, depth + 1, shown, out);
    }
  }
}

std::string elf_text(const FileReport& file) {
  const ElfInfo& elf = *file.elf;
  std::string out = fmt::format("{}: {} {} {}, {}", file.path, class_name(elf.elf_class),
                                machine_name(elf.machine), type_name(elf.type), linking(elf));
  if (elf.interpreter) {
    out += fmt::format(", interpreter {}{}", *elf.interpreter, file.interpreter_found ? "" : " (NOT FOUND)");
  }
  out += "\n";
  std::set<std::size_t> shown{0};
  tree(file.closure, 0, 0, shown, out);
  for (const VersionNeed& need : elf.version_needs) {
    std::vector<std::string> max;
    for (const auto& [family, number] : max_versions(need.versions)) {
      max.push_back(fmt::format("{}_{}", family, number));
    }
    out += fmt::format("  versions from {}: {} (max {})\n", need.file, fmt::join(need.versions, " "),
                       max.empty() ? "none" : fmt::format("{}", fmt::join(max, " ")));
  }
  const int level = isa_level(elf);
  out += fmt::format("  ISA level: {}\n", level > 0 ? "x86-64-v" + std::to_string(level) : "not marked");
  if (file.min_kernel) {
    out += fmt::format("  minimum kernel: {} (ABI tag of {})\n", kernel_string(file.min_kernel->version),
                       file.min_kernel->source);
  }
  return out;
}

}  // namespace

std::string to_text(const Report& report) {
  std::string out;
  for (const FileReport& file : report.files) {
    if (file.shebang) {
      out += fmt::format("{}: script, interpreter {}{}{}\n", file.path, file.shebang->interpreter,
                         file.shebang->argument.empty() ? "" : " " + file.shebang->argument,
                         file.interpreter_found ? "" : " (NOT FOUND)");
    } else if (file.wasm) {
      out += wasm_text(file);
    } else {
      out += elf_text(file);
    }
  }
  if (report.skipped > 0) {
    out +=
        fmt::format("({} walked files are neither ELF, WebAssembly nor scripts: skipped)\n", report.skipped);
  }
  return out;
}

}  // namespace strata::analyze
