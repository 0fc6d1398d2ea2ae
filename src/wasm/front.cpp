// Spec -> engine choice -> policy check against what the engine can say ->
// the engine's Spec -> build_plan (sandbox or host) -> Plan with its wasm part.
#include "wasm/front.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

#include "base/log.hpp"
#include "base/runtime_dir.hpp"
#include "wasm/command.hpp"

namespace strata::wasm {

namespace {

constexpr std::uint64_t kPageBytes = 64ULL << 10;

// Of the host's /etc the engine sees only what the dynamic loader reads
// (glibc's cache, musl's path file): the rest (passwd, shadow for a root
// caller, the host's configuration) is nothing a module's engine needs, and
// Node's WASI, which is no security boundary, must not be able to reach it.
constexpr std::array<std::string_view, 3> kEtcFiles{
    "/etc/ld.so.cache",
    "/etc/ld-musl-x86_64.path",
    "/etc/ld-musl-aarch64.path",
};

// The sandbox shows these host directories (plan.cpp's system dirs, /etc apart).
constexpr std::array<std::string_view, 7> kSystemDirs{"/usr/",   "/bin/",   "/sbin/",  "/lib/",
                                                      "/lib32/", "/lib64/", "/libx32/"};

std::string absolute(const std::string& path, const std::string& cwd) {
  if (path.starts_with('/') || cwd.empty()) {
    return path;
  }
  return cwd == "/" ? "/" + path : cwd + "/" + path;
}

std::string basename(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirname(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

bool in_system_dirs(const std::string& path) {
  return std::ranges::any_of(kSystemDirs, [&path](std::string_view dir) { return path.starts_with(dir); });
}

// An engine installed outside the system directories (~/.wasmtime/bin,
// /opt/wasmedge/bin) is bound in read-only with its installation: the
// parent of its bin/ directory (which holds its lib/), else its directory.
std::optional<std::string> engine_install_dir(const Candidate& engine) {
  const std::string& binary = engine.real_path.empty() ? engine.engine.path : engine.real_path;
  if (in_system_dirs(binary)) {
    return std::nullopt;
  }
  const std::string dir = dirname(binary);
  return basename(dir) == "bin" && dirname(dir) != "/" ? dirname(dir) : dir;
}

std::string engine_binary(const Candidate& engine) {
  return engine.real_path.empty() || in_system_dirs(engine.engine.path) ? engine.engine.path
                                                                        : engine.real_path;
}

bool is_ancestor_or_same(const std::string& dir, const std::string& path) {
  return path == dir || path.starts_with(dir == "/" ? dir : dir + "/");
}

// The module must be a WASI preview1 command within the memory cap.
Result<> check_module(const Spec& spec, const ModuleInfo& module, const std::string& engine) {
  const std::string& name = spec.argv.front();
  if (auto ok = check_imports(module, name, engine); !ok) {
    return ok;
  }
  if (!module.exports_start) {
    return std::unexpected(
        Error{.step = "check module",
              .path = name,
              .err = 0,
              .detail = "exports no _start function: not a WASI command (a library or reactor)",
              .exit_code = kExitCannotExecute});
  }
  if (spec.wasm.memory_bytes && module.initial_pages &&
      *module.initial_pages > *spec.wasm.memory_bytes / kPageBytes) {
    return fail("check module", name,
                fmt::format("starts with {} pages of linear memory, more than --wasm-memory allows ({})",
                            *module.initial_pages, *spec.wasm.memory_bytes / kPageBytes));
  }
  return {};
}

// Where the sandbox puts the engine and the module, which a user's mount
// must not hide.
Result<> check_destinations(const Spec& spec, const std::vector<std::string>& reserved) {
  for (const auto& mount : spec.mounts) {
    for (const auto& path : reserved) {
      if (is_ancestor_or_same(mount.destination, path)) {
        return fail("check preopen", mount.destination,
                    "would hide " + path + ", where strata shows the engine its module or itself");
      }
    }
  }
  return {};
}

// What the engine's command line cannot say at all: refused.
Result<> check_expressible(const Spec& spec, const Engine& engine, const std::string& cwd) {
  const EngineTraits t = traits(engine.kind);
  if (!spec.mounts.empty() && !t.preopen_anywhere && !t.preopen_same_path) {
    return fail("check flags", "--bind/--ro-bind/--tmpfs",
                engine.name + " cannot preopen a directory (it gives a module its working directory as /)");
  }
  for (const auto& mount : spec.mounts) {
    if (spec.wasm.no_sandbox && !t.preopen_anywhere && absolute(mount.source, cwd) != mount.destination) {
      return fail(
          "check flags", mount.source + ":" + mount.destination,
          engine.name + " preopens a directory only at its own path: with --no-sandbox, bind it there");
    }
  }
  if (!spec.env.empty() && !t.module_env) {
    return fail("check flags", "--env", engine.name + " cannot set a module's environment");
  }
  return {};
}

// Why nothing but the sandbox keeps a module of this engine in its place.
std::string unconfined(const Engine& engine) {
  switch (engine.kind) {
    case EngineKind::node:
      return "node's WASI preopens are not a security boundary (Node.js says so of node:wasi), and without "
             "the "
             "sandbox nothing else confines the module to them";
    case EngineKind::wasm3:
      return "wasm3 gives a module its working directory, and without the sandbox nothing else confines it";
    default:
      return engine.name +
             "'s WASI is uvwasi, which Node.js says is no security boundary, and without the "
             "sandbox nothing else confines the module to its preopens";
  }
}

// What the engine cannot enforce: refused, or with --allow-weaker a line
// for the warning and --dry-run.
Result<std::vector<std::string>> check_weaker(const Spec& spec, const Engine& engine) {
  const EngineTraits t = traits(engine.kind);
  std::vector<std::string> weaker;
  const auto weaken = [&spec, &weaker](const std::string& flag, const std::string& path,
                                       const std::string& why) -> Result<> {
    if (!spec.wasm.allow_weaker) {
      return fail("check " + flag, path, why + "; --allow-weaker runs it anyway");
    }
    weaker.push_back(flag + (path.empty() ? "" : " '" + path + "'") + ": " + why);
    return {};
  };
  Result<> ok;
  if (spec.wasm.memory_bytes && !t.memory_cap) {
    ok = weaken(
        "--wasm-memory", "",
        engine.name + " cannot cap a module's linear memory (--memory caps the engine's whole process)");
  }
  // Without preopens a module has no path to open (wasm3 always gives it
  // its working directory).
  const bool exposed = !spec.mounts.empty() || !t.preopen_same_path;
  if (ok && spec.wasm.no_sandbox && !t.confines && exposed) {
    ok = weaken("--no-sandbox", "", unconfined(engine));
  }
  for (const auto& mount : spec.mounts) {
    if (ok && spec.wasm.no_sandbox && mount.kind == MountKind::ro_bind && !t.read_only_preopens) {
      ok = weaken("--ro-bind", mount.source,
                  engine.name +
                      " cannot make a preopen read-only, and without the sandbox no read-only bind "
                      "does either: the module can write there");
    }
  }
  if (!ok) {
    return std::unexpected(ok.error());
  }
  return weaker;
}

std::string describe_preopen(const MountSpec& mount, const Preopen& preopen, const Engine& engine,
                             bool sandboxed) {
  const bool engine_ro = preopen.read_only && traits(engine.kind).read_only_preopens;
  if (mount.kind == MountKind::tmpfs) {
    return mount.destination + ": a private tmpfs (read-write)";
  }
  std::string who;
  if (mount.kind == MountKind::bind) {
    who = "read-write";
  } else if (sandboxed) {
    who = engine_ro ? "read-only: the sandbox's read-only bind and " + engine.name + "'s own"
                    : "read-only: the sandbox's read-only bind";
  } else {
    who = engine_ro ? "read-only: " + engine.name + "'s own" : "NOT read-only (--allow-weaker)";
  }
  return fmt::format("{} <- {} ({})", preopen.guest, mount.source, who);
}

ModuleCommand module_command(const Spec& spec, const HostFacts& host, const Engine& engine,
                             const std::string& module_path, std::string_view verb) {
  ModuleCommand command;
  command.module = module_path;
  command.name = spec.argv.front();
  command.args.assign(spec.argv.begin() + 1, spec.argv.end());
  command.env = spec.env;
  command.verb = std::string(verb);
  if (spec.wasm.memory_bytes && traits(engine.kind).memory_cap) {
    command.max_pages = static_cast<std::uint32_t>(*spec.wasm.memory_bytes / kPageBytes);
  }
  for (const auto& mount : spec.mounts) {
    // In the sandbox the directory is bound at its destination; on the host
    // the engine opens the source itself.
    const std::string host_path = spec.wasm.no_sandbox ? absolute(mount.source, host.cwd) : mount.destination;
    command.preopens.push_back(
        {.guest = mount.destination, .host = host_path, .read_only = mount.kind == MountKind::ro_bind});
  }
  return command;
}

// The engine's own environment: enough to run. wasm3 builds on uvwasi hand
// theirs to the module, so it gets none.
std::vector<std::string> engine_environment(const Spec& engine_spec, const HostFacts& host, EngineKind kind,
                                            bool sandboxed) {
  if (kind == EngineKind::wasm3) {
    return {};
  }
  if (sandboxed) {
    return build_environment(engine_spec, host);
  }
  std::vector<std::string> out;
  for (const auto& var : host.environ) {
    if (var.name == "PATH" || var.name == "TERM" || var.name == "LANG" || var.name == "HOME") {
      out.push_back(var.name + "=" + var.value);
    }
  }
  return out;
}

// The sandbox's /etc, narrowed to the loader's files.
void narrow_etc(Plan& plan, const std::vector<std::string>& etc_files) {
  auto etc = std::ranges::find_if(
      plan.mounts, [](const MountStep& s) { return s.kind == StepKind::bind && s.destination == "/etc"; });
  if (etc == plan.mounts.end()) {
    return;
  }
  std::vector<MountStep> files;
  files.reserve(etc_files.size());
  for (const auto& file : etc_files) {
    files.push_back(
        MountStep{.kind = StepKind::bind, .source = file, .destination = file, .read_only = true});
  }
  const auto at = plan.mounts.erase(etc);
  plan.mounts.insert(at, files.begin(), files.end());
}

// The Spec strata runs: the engine, with the caller's limits and hardening.
Spec engine_spec(const Spec& spec, const Candidate& engine, const std::string& module_host,
                 const std::string& module_inside) {
  Spec out;
  out.isolation = spec.wasm.no_sandbox ? Isolation::host : Isolation::sandbox;
  out.pty = spec.pty;
  out.rlimits = spec.rlimits;
  out.seccomp = spec.seccomp;
  out.landlock = spec.landlock;
  out.resources = spec.resources;
  out.dry_run = spec.dry_run;
  out.json_status = spec.json_status;
  if (spec.wasm.no_sandbox) {
    return out;
  }
  if (auto dir = engine_install_dir(engine)) {
    out.mounts.push_back({.kind = MountKind::ro_bind, .source = *dir, .destination = *dir, .size = 0});
  }
  out.mounts.push_back(
      {.kind = MountKind::ro_bind, .source = module_host, .destination = module_inside, .size = 0});
  out.mounts.insert(out.mounts.end(), spec.mounts.begin(), spec.mounts.end());
  // wasm3 shows its working directory to the module as /: an empty private one.
  out.workdir = engine.engine.kind == EngineKind::wasm3 ? "/tmp" : "/";
  return out;
}

}  // namespace

WasmHost gather_wasm_host(const HostFacts& host) {
  WasmHost out;
  std::string path;
  for (const auto& var : host.environ) {
    if (var.name == "PATH") {
      path = var.value;
    }
  }
  for (auto& engine : find_engines(path, runtime_cache_dir())) {
    std::array<char, PATH_MAX> real{};
    std::string resolved = ::realpath(engine.path.c_str(), real.data()) != nullptr ? real.data() : "";
    out.engines.push_back({.engine = std::move(engine), .real_path = std::move(resolved)});
  }
  for (std::string_view file : kEtcFiles) {
    struct stat st = {};
    if (::stat(std::string(file).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      out.etc_files.emplace_back(file);
    }
  }
  return out;
}

Result<Candidate> choose_engine(const std::optional<std::string>& requested,
                                const std::vector<Candidate>& engines) {
  if (requested) {
    const auto kind = parse_engine_name(*requested);
    if (!kind) {
      return fail("check --wasm-engine", *requested,
                  "expected one of wasmtime, wasmer, wasmedge, iwasm, wasm3, node, wasm-interp");
    }
    auto it = std::ranges::find_if(engines, [&](const Candidate& c) { return c.engine.kind == *kind; });
    if (it == engines.end()) {
      return fail("check --wasm-engine", *requested, "not found on PATH");
    }
    if (!it->engine.wasi_preview1) {
      return fail("check --wasm-engine", *requested, it->engine.unusable_reason);
    }
    return *it;
  }
  std::vector<std::string> unusable;
  for (const auto& candidate : engines) {
    if (candidate.engine.wasi_preview1) {
      return candidate;
    }
    unusable.push_back(candidate.engine.name + ": " + candidate.engine.unusable_reason);
  }
  std::string found;
  for (const auto& line : unusable) {
    found += (found.empty() ? " (" : "; ") + line;
  }
  return fail(
      "choose a WebAssembly engine", "",
      (unusable.empty() ? "none of wasmtime, wasmer, wasmedge, iwasm, wasm3, node, wasm-interp is on PATH"
                        : "no engine on PATH runs WASI preview1 modules" + found + ")") +
          "; install Node.js >= 20 (Debian: nodejs) or wasmtime");
}

Result<Plan> build_wasm_plan(const Spec& spec, const HostFacts& host, const WasmHost& wasm,
                             const ModuleInfo& module, std::string_view verb) {
  auto engine = choose_engine(spec.wasm.engine, wasm.engines);
  if (!engine) {
    return std::unexpected(engine.error());
  }
  if (auto ok = check_module(spec, module, engine->engine.name); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_expressible(spec, engine->engine, host.cwd); !ok) {
    return std::unexpected(ok.error());
  }
  auto weaker = check_weaker(spec, engine->engine);
  if (!weaker) {
    return std::unexpected(weaker.error());
  }
  const bool sandboxed = !spec.wasm.no_sandbox;
  const std::string module_host = absolute(spec.argv.front(), host.cwd);
  const std::string module_inside = sandboxed ? std::string(kModuleDir) + "/" + basename(module_host) : "";
  if (sandboxed) {
    std::vector<std::string> reserved{module_inside};
    if (auto dir = engine_install_dir(*engine)) {
      reserved.push_back(*dir);
    }
    if (auto ok = check_destinations(spec, reserved); !ok) {
      return std::unexpected(ok.error());
    }
  }
  const ModuleCommand command =
      module_command(spec, host, engine->engine, sandboxed ? module_inside : module_host, verb);
  Spec inner = engine_spec(spec, *engine, module_host, module_inside);
  inner.argv =
      engine_argv(engine->engine.kind, sandboxed ? engine_binary(*engine) : engine->engine.path, command);
  Plan plan = build_plan(inner, host);
  plan.process.env = engine_environment(inner, host, engine->engine.kind, sandboxed);
  if (sandboxed) {
    narrow_etc(plan, wasm.etc_files);
  }
  WasmPlan out{.engine = engine->engine.name,
               .version = engine->engine.version,
               .module = module_host,
               .module_inside = module_inside,
               .preopens = {},
               .env = {},
               .max_pages = command.max_pages,
               .memory_flag = std::string(traits(engine->engine.kind).memory_flag),
               .weaker = std::move(*weaker),
               .command_line = describe_argv(plan.process.argv)};
  for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
    out.preopens.push_back(describe_preopen(spec.mounts[i], command.preopens[i], engine->engine, sandboxed));
  }
  for (const auto& var : spec.env) {
    out.env.push_back(var.name + "=" + var.value);
  }
  plan.wasm = std::move(out);
  return plan;
}

Result<Plan> plan_wasm_run(const Spec& spec, const HostFacts& host, std::string_view verb) {
  const std::string& name = spec.argv.front();
  auto module = read_module(absolute(name, host.cwd), name);
  if (!module) {
    return std::unexpected(module.error());
  }
  auto plan = build_wasm_plan(spec, host, gather_wasm_host(host), *module, verb);
  if (plan) {
    for (const auto& line : plan->wasm->weaker) {
      log::warn("{}: not enforced: {}", verb, line);
    }
  }
  return plan;
}

}  // namespace strata::wasm
