#include "cli/trace_session.hpp"

#include <filesystem>
#include <memory>

#include "analyze/resolve.hpp"
#include "base/version.hpp"
#include "cli/run_flags.hpp"
#include "isolate/plan.hpp"
#include "probe/hw_cpuinfo.hpp"
#include "probe/root.hpp"

namespace strata::cli {

namespace {

// The workload's LD_LIBRARY_PATH: only --env sets one (run keeps PATH, TERM and LANG).
std::vector<std::string> library_path(const Spec& spec) {
  for (const EnvVar& var : spec.env) {
    if (var.name == "LD_LIBRARY_PATH") {
      return analyze::split_list(var.value);
    }
  }
  return {};
}

trace::TraceContext make_context(const Spec& spec, trace::TraceMode mode) {
  trace::TraceContext context;
  context.command = spec.argv;
  context.isolation = std::string(to_string(spec.isolation));
  context.mode = mode;
  const HostFacts host = gather_host_facts();
  context.project = spec.workdir.value_or(spec.image ? "" : host.cwd);
  context.rootfs = spec.rootfs;
  for (const MountSpec& mount : spec.mounts) {
    if (mount.kind != MountKind::tmpfs) {
      context.binds.emplace_back(mount.destination, std::filesystem::absolute(mount.source).string());
    }
  }
  context.static_analysis = !spec.image;
  if (spec.image) {
    context.notes.emplace_back(
        "--image: the programs run are the image's; they were not analyzed statically");
  }
  const auto cpu = probe::hw::parse_cpuinfo(probe::Root::live().read("/proc/cpuinfo").value_or(""));
  context.resolve = analyze::ResolveOptions{.library_path = library_path(spec),
                                            .cpu_level = probe::hw::x86_isa_level(cpu.flags).level,
                                            .cwd = context.project.empty() ? "/" : context.project};
  return context;
}

}  // namespace

void add_traced_run_flags(CLI::App& command, Spec& spec) {
  add_namespace_flags(command, spec);
  add_filesystem_flags(command, spec);
  add_image_flags(command, spec);
  add_process_flags(command, spec);
  add_hardening_flags(command, spec, /*seccomp=*/false);
  add_resource_flags(command, spec);
  command
      .add_option_function<std::string>(
          "--seccomp",
          [](const std::string&) {
            throw CLI::ValidationError("--seccomp",
                                       "not while tracing: the tracing filter replaces the workload's "
                                       "seccomp filter (see strata trace --seccomp-out)");
          },
          "Refused: the tracing filter replaces the workload's filter")
      ->type_name("FILE");
}

Result<TracedWorkload> trace_workload(Spec& spec, trace::TraceMode mode, std::string_view verb) {
  if (spec.argv.empty()) {
    return fail("read the command", "", "no command given (put it after --)");
  }
  if (spec.image && spec.isolation == Isolation::sandbox) {
    spec.isolation = Isolation::container;
  }
  if (auto ok = validate(spec); !ok) {
    return std::unexpected(ok.error());
  }
  auto program = trace::compile_trace_filter(mode);
  if (!program) {
    return std::unexpected(program.error());
  }
  spec.seccomp = SeccompChoice{.kind = SeccompChoice::Kind::program,
                               .path = {},
                               .program = std::make_shared<const SeccompProgram>(std::move(*program)),
                               .program_name = "strata trace's tracing filter"};
  trace::TraceContext context = make_context(spec, mode);
  auto traced = trace::run_traced([&spec, verb] { return run_spec(spec, spec.argv, verb); });
  if (!traced) {
    return std::unexpected(traced.error());
  }
  context.exit_code = traced->exit_code;
  nlohmann::json document = trace::trace_document(traced->log, context, std::string(kVersion));
  return TracedWorkload{
      .traced = std::move(*traced), .context = std::move(context), .document = std::move(document)};
}

}  // namespace strata::cli
