#include "trace/needs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "analyze/analyze.hpp"
#include "analyze/render.hpp"
#include "trace/classify.hpp"
#include "trace/packages.hpp"
#include "trace/syscalls.hpp"

namespace strata::trace {

namespace {

using nlohmann::json;

struct KernelNeed {
  KernelRelease release{};
  std::string because;
};

// What the executed programs' closures load: canonical paths and names.
struct StaticClosure {
  std::set<std::string> paths;
  std::set<std::string> names;  // DT_NEEDED names and sonames
};

std::string canonical(const probe::Root& root, const std::string& path) {
  if (!root.is_live()) {
    return path;
  }
  std::error_code ec;
  const auto real = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : real.string();
}

StaticClosure static_closure(const probe::Root& root, const analyze::Report& report) {
  StaticClosure out;
  for (const analyze::FileReport& file : report.files) {
    for (const analyze::LoadedObject& object : file.closure.objects) {
      out.paths.insert(canonical(root, object.path));
      if (object.elf && !object.elf->soname.empty()) {
        out.names.insert(object.elf->soname);
      }
    }
    for (const analyze::Dependency& dep : file.closure.dependencies) {
      out.names.insert(dep.name);
    }
  }
  return out;
}

analyze::Report analyze_paths(const probe::Root& root, const TraceContext& context,
                              const std::vector<std::string>& paths) {
  analyze::AnalyzeOptions options{.paths = {}, .resolve = context.resolve};
  for (const std::string& path : paths) {
    options.paths.push_back(host_path(context, path));
  }
  return analyze::analyze(root, options);
}

// A library something must provide by name: it has a SONAME and is no
// language package's file. Modules loaded by their path (Python extensions,
// most plugins) have no SONAME: they belong to what loaded them.
bool needed_by_name(std::string_view path, const std::string& soname, const TraceContext& context) {
  return !soname.empty() && classify_path(path, context.project) != Layer::language_package;
}

// libraries[]: every file mapped executable, and whether only a dlopen explains
// it. `dlopened` gets the sonames of those the system must provide.
json libraries_json(const probe::Root& root, const TraceContext& context, const TraceLog& log,
                    const StaticClosure& closure, std::set<std::string>& dlopened) {
  std::vector<std::string> paths;
  for (const std::string& path : log.libraries) {
    if (!log.executed.contains(path)) {
      paths.push_back(path);
    }
  }
  const analyze::Report libs = analyze_paths(root, context, paths);
  json out = json::array();
  for (const std::string& path : paths) {
    const std::string host = host_path(context, path);
    const auto it = std::ranges::find(libs.files, host, &analyze::FileReport::path);
    const bool elf = it != libs.files.end() && it->elf;
    const std::string soname = elf ? it->elf->soname : "";
    const std::string name = soname.empty() ? std::filesystem::path(path).filename().string() : soname;
    const bool dlopen =
        elf && !closure.paths.contains(canonical(root, host)) && !closure.names.contains(name);
    if (dlopen && needed_by_name(path, soname, context)) {
      dlopened.insert(soname);
    }
    out.push_back(
        {{"path", path}, {"soname", soname.empty() ? json(nullptr) : json(soname)}, {"dlopen", dlopen}});
  }
  return out;
}

KernelNeed kernel_need(const analyze::Report& report, const TraceLog& log) {
  KernelNeed need;
  for (const analyze::FileReport& file : report.files) {
    if (file.min_kernel && file.min_kernel->version > need.release) {
      need = {.release = file.min_kernel->version, .because = "NT_GNU_ABI_TAG of " + file.min_kernel->source};
    }
  }
  for (const auto& [name, count] : log.syscalls) {
    const SyscallFacts* facts = syscall_facts(name);
    if (facts != nullptr && !facts->libc_fallback && count.errors < count.count &&
        facts->since > need.release) {
      need = {.release = facts->since, .because = fmt::format("{} ({})", name, release_string(facts->since))};
    }
  }
  return need;
}

// "unshare(CLONE_NEWUSER)" -> "unshare".
std::string evidence_call(const std::string& evidence) {
  return evidence.substr(0, evidence.find('('));
}

json features_json(const TraceLog& log) {
  json out = json::array();
  for (const auto& [key, use] : log.features) {
    json item{{"feature", key.first}, {"evidence", key.second}, {"count", use.count}, {"ok", use.ok > 0}};
    if (const SyscallFacts* facts = syscall_facts(evidence_call(key.second)); facts != nullptr) {
      item["min_kernel"] = analyze::kernel_string(facts->since);
    }
    if (use.abi) {
      item["abi"] = *use.abi;
    }
    if (use.ok == 0 && !use.first_error.empty()) {
      item["error"] = use.first_error;
    }
    out.push_back(std::move(item));
  }
  return out;
}

struct Packages {
  json python = json::object();
  json node = json::object();
};

Packages packages_json(const probe::Root& root, const TraceContext& context, const TraceLog& log) {
  Packages out;
  PackageIndex index(root);
  for (const auto& [key, count] : log.files) {
    const auto& [path, access] = key;
    if (access != Access::read && access != Access::exec) {
      continue;
    }
    const std::string host = host_path(context, path);
    if (auto owner = index.python_owner(host)) {
      out.python[owner->name] = owner->version.empty() ? json(nullptr) : json(owner->version);
    } else if (auto node = index.node_owner(host)) {
      out.node[node->name] = node->version.empty() ? json(nullptr) : json(node->version);
    }
  }
  return out;
}

json files_json(const TraceContext& context, const TraceLog& log) {
  json out = json::array();
  for (const auto& [key, count] : log.files) {
    out.push_back({{"path", key.first},
                   {"layer", layer_name(classify_path(key.first, context.project))},
                   {"access", access_name(key.second)},
                   {"count", count}});
  }
  return out;
}

json sockets_json(const TraceLog& log) {
  json out = json::array();
  for (const auto& [key, count] : log.sockets) {
    json item{{"call", key.call}, {"family", key.family}, {"count", count.count}, {"errors", count.errors}};
    if (!key.type.empty()) {
      item["type"] = key.type;
    }
    if (!key.address.empty()) {
      item["address"] = key.address;
    }
    out.push_back(std::move(item));
  }
  return out;
}

json syscalls_json(const TraceLog& log) {
  json out = json::object();
  for (const auto& [name, count] : log.syscalls) {
    out[name] = {{"count", count.count}, {"errors", count.errors}};
  }
  return out;
}

json trace_json(const TraceLog& log, const TraceContext& context, json libraries, json features) {
  json executed = json::array();
  for (const auto& [path, count] : log.executed) {
    executed.push_back({{"path", path}, {"count", count}});
  }
  json baseline = json::array();
  if (context.mode == TraceMode::baseline) {
    for (const std::string_view name : baseline_syscalls()) {
      baseline.push_back(name);
    }
  }
  return {{"command", context.command},
          {"isolation", context.isolation},
          {"mode", context.mode == TraceMode::baseline ? "baseline" : "all-syscalls"},
          {"exit_code", context.exit_code},
          {"processes", log.processes},
          {"threads", log.threads},
          {"stops", log.stops},
          {"syscalls", syscalls_json(log)},
          {"baseline", baseline},
          {"baseline_conditional", context.mode == TraceMode::baseline
                                       ? json{{"mmap", "without PROT_EXEC"},
                                              {"clone", "without CLONE_NEW* flags"},
                                              {"open", "with O_DIRECTORY"},
                                              {"openat", "with O_DIRECTORY"}}
                                       : json::object()},
          {"files", files_json(context, log)},
          {"executed", executed},
          {"libraries", std::move(libraries)},
          {"kernel_features", std::move(features)},
          {"sockets", sockets_json(log)},
          {"sysctls", log.sysctls},
          {"notes", context.notes}};
}

}  // namespace

std::string host_path(const TraceContext& context, const std::string& path) {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& bind : context.binds) {
    if (is_under(path, bind.first) && (best == nullptr || bind.first.size() > best->first.size())) {
      best = &bind;
    }
  }
  if (best == nullptr) {
    return path;
  }
  return best->second + path.substr(best->first == "/" ? 0 : best->first.size());
}

json trace_document(const TraceLog& log, const TraceContext& context, const std::string& generator) {
  auto opened =
      context.rootfs ? probe::Root::open(*context.rootfs) : Result<probe::Root>(probe::Root::live());
  const probe::Root root = opened ? std::move(*opened) : probe::Root::live();
  std::vector<std::string> executed;
  if (context.static_analysis) {
    for (const auto& [path, count] : log.executed) {
      executed.push_back(path);
    }
  }
  analyze::Report report = analyze_paths(root, context, executed);
  report.target = context.rootfs.value_or("live");
  json doc = analyze::to_json(report, generator);
  json& needs = doc["needs"];
  std::set<std::string> dlopened;
  json libraries = context.static_analysis
                       ? libraries_json(root, context, log, static_closure(root, report), dlopened)
                       : json::array();
  const KernelNeed kernel = kernel_need(report, log);
  if (kernel.release != KernelRelease{}) {
    needs["min_kernel"] = analyze::kernel_string(kernel.release);
    needs["min_kernel_because"] = kernel.because;
  }
  json syscalls = json::array();
  for (const auto& [name, count] : log.syscalls) {
    syscalls.push_back(name);
  }
  needs["syscalls"] = syscalls;
  json features = features_json(log);
  needs["kernel_features"] = features;
  needs["dlopen"] = dlopened;
  Packages packages = packages_json(root, context, log);
  needs["python_packages"] = std::move(packages.python);
  needs["node_packages"] = std::move(packages.node);
  needs["sysctls"] = log.sysctls;
  doc["command"] = context.command;
  doc["trace"] = trace_json(log, context, std::move(libraries), std::move(features));
  return doc;
}

}  // namespace strata::trace
