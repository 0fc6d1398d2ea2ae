// strata.needs/v1: see docs/needs.md. Keys are stable; a change of meaning
// is a new schema version.
#include <set>

#include "analyze/render.hpp"
#include "analyze/wasm_render.hpp"

namespace strata::analyze {

namespace {

using nlohmann::json;

std::string level_name(int level) {
  return "x86-64-v" + std::to_string(level);
}

json dependency_json(const Closure& closure, const Dependency& dep) {
  json out{{"name", dep.name},
           {"requested_by", closure.objects[dep.requester].path},
           {"found", dep.via != Via::not_found},
           {"via", via_name(dep.via)},
           {"path", dep.path.empty() ? json(nullptr) : json(dep.path)}};
  if (!dep.entry.empty()) {
    out["entry"] = dep.entry;
  }
  if (!dep.hwcaps.empty()) {
    out["hwcaps"] = dep.hwcaps;
  }
  if (dep.via == Via::not_found) {
    out["searched"] = dep.searched;
  }
  if (!dep.skipped.empty()) {
    json skipped = json::array();
    for (const Skipped& s : dep.skipped) {
      skipped.push_back({{"path", s.path}, {"reason", s.reason}});
    }
    out["skipped"] = skipped;
  }
  return out;
}

json elf_json(const FileReport& file) {
  const ElfInfo& elf = *file.elf;
  json out{{"kind", "elf"},
           {"class", class_name(elf.elf_class)},
           {"machine", machine_name(elf.machine)},
           {"type", type_name(elf.type)},
           {"linking", linking(elf)},
           {"interpreter", elf.interpreter ? json(*elf.interpreter) : json(nullptr)},
           {"rpath", elf.rpath ? json(*elf.rpath) : json(nullptr)},
           {"runpath", elf.runpath ? json(*elf.runpath) : json(nullptr)},
           {"isa_level", isa_level(elf) > 0 ? json(level_name(isa_level(elf))) : json(nullptr)},
           {"min_kernel", file.min_kernel ? json(kernel_string(file.min_kernel->version)) : json(nullptr)},
           {"min_kernel_source", file.min_kernel ? json(file.min_kernel->source) : json(nullptr)}};
  json needed = json::array();
  for (const Dependency& dep : file.closure.dependencies) {
    needed.push_back(dependency_json(file.closure, dep));
  }
  out["needed"] = needed;
  json versions = json::object();
  for (const VersionNeed& need : elf.version_needs) {
    versions[need.file] = {{"versions", need.versions}, {"max", max_versions(need.versions)}};
  }
  out["symbol_versions"] = versions;
  return out;
}

json file_json(const FileReport& file) {
  if (file.wasm) {
    return {{"kind", "wasm"},
            {"path", file.path},
            {"resolved_path", file.resolved_path},
            {"wasm", wasm_json(*file.wasm)}};
  }
  json out =
      file.elf
          ? elf_json(file)
          : json{{"kind", "script"},
                 {"interpreter", file.shebang->interpreter},
                 {"argument", file.shebang->argument.empty() ? json(nullptr) : json(file.shebang->argument)}};
  out["path"] = file.path;
  out["resolved_path"] = file.resolved_path;
  out["interpreter_found"] = file.interpreter_found;
  return out;
}

}  // namespace

json needs_json(const Report& report) {
  VersionMax versions;
  int level = 0;
  std::optional<KernelVersion> kernel;
  std::set<std::string> libraries;
  std::set<std::string> missing;
  std::set<std::string> interpreters;
  std::set<std::string> machines;
  json hwcaps = json::object();
  for (const FileReport& file : report.files) {
    if (file.shebang) {
      interpreters.insert(file.shebang->interpreter);
      continue;
    }
    if (!file.elf) {
      continue;  // WebAssembly: the "wasm" key below
    }
    merge_max(versions, file_version_max(*file.elf));
    level = std::max(level, isa_level(*file.elf));
    if (file.min_kernel && (!kernel || file.min_kernel->version > kernel->version)) {
      kernel = file.min_kernel;
    }
    machines.insert(machine_name(file.elf->machine));
    if (file.elf->interpreter) {
      interpreters.insert(*file.elf->interpreter);
    }
    for (const Dependency& dep : file.closure.dependencies) {
      (dep.via == Via::not_found ? missing : libraries).insert(dep.name);
      if (!dep.hwcaps.empty()) {
        hwcaps[dep.name] = dep.hwcaps;
      }
    }
  }
  const auto glibc = versions.find("GLIBC");
  json out{{"glibc", glibc == versions.end() ? json(nullptr) : json(glibc->second)},
           {"symbol_versions", versions},
           {"isa_level", level > 0 ? json(level_name(level)) : json(nullptr)},
           {"min_kernel", kernel ? json(kernel_string(kernel->version)) : json(nullptr)},
           {"machines", machines},
           {"interpreters", interpreters},
           {"libraries", libraries},
           {"hwcaps", hwcaps},
           {"missing", missing}};
  if (json wasm = wasm_needs(report); !wasm.is_null()) {
    out["wasm"] = std::move(wasm);
  }
  return out;
}

json to_json(const Report& report, const std::string& generator) {
  json files = json::array();
  for (const FileReport& file : report.files) {
    files.push_back(file_json(file));
  }
  json errors = json::array();
  for (const Error& error : report.errors) {
    errors.push_back({{"path", error.path}, {"message", error.message()}});
  }
  return {{"schema", kNeedsSchema},
          {"generator", generator},
          {"target", report.target},
          {"resolution",
           {{"cpu_level",
             report.resolve.cpu_level > 0 ? json(level_name(report.resolve.cpu_level)) : json(nullptr)},
            {"library_path", report.resolve.library_path},
            {"cache", report.cache_status},
            {"default_dirs", report.default_dirs}}},
          {"files", files},
          {"errors", errors},
          {"skipped", report.skipped},
          {"needs", needs_json(report)}};
}

}  // namespace strata::analyze
