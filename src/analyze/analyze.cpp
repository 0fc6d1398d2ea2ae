#include "analyze/analyze.hpp"

#include <fmt/format.h>

#include "analyze/input.hpp"
#include "analyze/walk.hpp"

namespace strata::analyze {

namespace {

std::optional<KernelVersion> newest_abi_tag(const Closure& closure) {
  std::optional<KernelVersion> best;
  for (const LoadedObject& object : closure.objects) {
    if (object.elf->linux_abi_tag && (!best || *object.elf->linux_abi_tag > best->version)) {
      best = KernelVersion{.version = *object.elf->linux_abi_tag, .source = object.path};
    }
  }
  return best;
}

// One file: an ELF gets its closure, a WebAssembly module its imports, a
// script its interpreter; anything else is an error when named, a skip when
// walked (a directory holds data too).
Result<std::optional<FileReport>> analyze_file(const probe::Root& root, const std::string& prefix,
                                               Resolver& resolver, const Operand& operand) {
  auto file = read_input(root, prefix, operand.path);
  if (!file) {
    return std::unexpected(file.error());
  }
  FileReport report{.path = operand.path, .resolved_path = file->path};
  if (is_elf(file->bytes)) {
    auto elf = read_elf(std::span<char>(file->bytes), operand.path);
    if (!elf) {
      return std::unexpected(elf.error());
    }
    report.elf = std::make_shared<const ElfInfo>(std::move(*elf));
    report.interpreter_found = !report.elf->interpreter || root.exists(*report.elf->interpreter);
    report.closure = resolver.resolve(file->path, report.elf);
    report.min_kernel = newest_abi_tag(report.closure);
    return report;
  }
  if (is_wasm(file->bytes)) {
    auto wasm = read_wasm(file->bytes, operand.path);
    if (!wasm) {
      return std::unexpected(wasm.error());
    }
    report.wasm = std::make_shared<const WasmModule>(std::move(*wasm));
    report.interpreter_found = true;  // an engine runs it: strata check judges that
    return report;
  }
  if (auto shebang = parse_shebang(file->bytes)) {
    report.interpreter_found = root.exists(shebang->interpreter);
    report.shebang = std::move(shebang);
    return report;
  }
  if (operand.walked) {
    return std::nullopt;
  }
  return fail("analyze", operand.path, "neither an ELF file, a WebAssembly module nor a script (no #! line)");
}

}  // namespace

Report analyze(const probe::Root& root, const AnalyzeOptions& options) {
  const std::string prefix = host_prefix(root);
  Resolver resolver(root, prefix, options.resolve);
  Report report{.target = root.is_live() ? "live" : root.path(),
                .cache_status = resolver.cache_status(),
                .default_dirs = resolver.default_dirs(),
                .resolve = options.resolve};
  WalkResult walked = walk(root, options.paths);
  report.errors = std::move(walked.errors);
  for (const Operand& operand : walked.files) {
    auto file = analyze_file(root, prefix, resolver, operand);
    if (!file) {
      report.errors.push_back(file.error());
    } else if (*file) {
      report.files.push_back(std::move(**file));
    } else {
      ++report.skipped;
    }
  }
  return report;
}

std::size_t unmet_count(const Report& report) {
  std::size_t count = 0;
  for (const FileReport& file : report.files) {
    count += file.interpreter_found ? 0 : 1;
    for (const Dependency& dep : file.closure.dependencies) {
      count += dep.via == Via::not_found ? 1 : 0;
    }
  }
  return count;
}

int exit_code(const Report& report) {
  if (!report.errors.empty()) {
    return 2;
  }
  return unmet_count(report) == 0 ? 0 : 1;
}

std::string kernel_string(const std::array<std::uint32_t, 3>& version) {
  return fmt::format("{}.{}.{}", version[0], version[1], version[2]);
}

VersionMax file_version_max(const ElfInfo& elf) {
  VersionMax max;
  for (const VersionNeed& need : elf.version_needs) {
    merge_max(max, max_versions(need.versions));
  }
  return max;
}

}  // namespace strata::analyze
