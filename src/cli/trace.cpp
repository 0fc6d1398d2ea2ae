// strata trace: run a command (as `strata run` would) under ptrace with a
// seccomp filter that stops only on the calls that say what it needs, then
// write what it needed as a strata.needs/v1 document (docs/needs.md).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/log.hpp"
#include "base/version.hpp"
#include "cli/run_flags.hpp"
#include "cli/verbs.hpp"
#include "isolate/plan.hpp"
#include "probe/hw_cpuinfo.hpp"
#include "probe/root.hpp"
#include "trace/filter.hpp"
#include "trace/needs.hpp"
#include "trace/profile.hpp"
#include "trace/render.hpp"
#include "trace/tracer.hpp"

namespace strata::cli {

namespace {

struct TraceFlags {
  std::optional<std::string> out;
  std::optional<std::string> seccomp_out;
  bool json = false;
  bool all_syscalls = false;
};

constexpr const char* kFooter =
    "The workload runs as `strata run` would run it, with one difference: its seccomp filter is strata "
    "trace's tracing filter, which stops only on the system calls that show a need and allows every other "
    "call (so --seccomp is refused, and strata's default policy is not applied while tracing: a denied "
    "call would hide a need). With --isolation host, no_new_privs is set so that the filter can be "
    "loaded. Calls in the baseline (read, write, fstat, futex...) are not stopped on and not counted; "
    "--all-syscalls stops on every call (exact counts, strace's cost). Processes the command leaves "
    "behind are ended with it.\n"
    "Exit status: the command's own; 125 if strata failed (ptrace not permitted, a kernel without "
    "PTRACE_GET_SYSCALL_INFO, no seccomp).";

// The workload's LD_LIBRARY_PATH: only --env sets one (run keeps PATH, TERM and LANG).
std::vector<std::string> library_path(const Spec& spec) {
  for (const EnvVar& var : spec.env) {
    if (var.name == "LD_LIBRARY_PATH") {
      return analyze::split_list(var.value);
    }
  }
  return {};
}

trace::TraceContext make_context(const Spec& spec, const TraceFlags& flags) {
  trace::TraceContext context;
  context.command = spec.argv;
  context.isolation = std::string(to_string(spec.isolation));
  context.mode = flags.all_syscalls ? trace::TraceMode::all_syscalls : trace::TraceMode::baseline;
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

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    log::error("trace", Error{.step = "write", .path = path, .err = errno});
    return false;
  }
  return true;
}

// --seccomp-out, --out, --json or the summary. False when a file could not be written.
bool write_outputs(const TraceFlags& flags, const trace::TracedRun& traced,
                   const trace::TraceContext& context) {
  bool ok = true;
  if (flags.seccomp_out) {
    ok =
        write_text(*flags.seccomp_out, trace::seccomp_profile(traced.log, context.mode).dump(2) + "\n") && ok;
  }
  const nlohmann::json doc = trace::trace_document(traced.log, context, std::string(kVersion));
  if (flags.out) {
    ok = write_text(*flags.out, doc.dump(2) + "\n") && ok;
  }
  if (flags.json) {
    const std::string text = doc.dump(2) + "\n";
    ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0 && ok;
  }
  if (!flags.out && !flags.json && log::level() != log::Level::quiet) {
    const std::string text = trace::summary_text(doc);
    (void)std::fwrite(text.data(), 1, text.size(), stderr);
  }
  return ok;
}

int run_trace(Spec& spec, const TraceFlags& flags, std::vector<std::string> command) {
  spec.argv = std::move(command);
  if (spec.argv.empty()) {
    log::line("trace: no command given (strata trace [FLAGS] -- CMD ARGS...)");
    return kExitFailure;
  }
  if (spec.image && spec.isolation == Isolation::sandbox) {
    spec.isolation = Isolation::container;
  }
  if (auto ok = validate(spec); !ok) {
    log::error("trace", ok.error());
    return kExitFailure;
  }
  const auto mode = flags.all_syscalls ? trace::TraceMode::all_syscalls : trace::TraceMode::baseline;
  auto program = trace::compile_trace_filter(mode);
  if (!program) {
    log::error("trace", program.error());
    return kExitFailure;
  }
  spec.seccomp = SeccompChoice{.kind = SeccompChoice::Kind::program,
                               .path = {},
                               .program = std::make_shared<const SeccompProgram>(std::move(*program)),
                               .program_name = "strata trace's tracing filter"};
  trace::TraceContext context = make_context(spec, flags);
  auto traced = trace::run_traced([&spec] { return run_spec(spec, spec.argv, "trace"); });
  if (!traced) {
    log::error("trace", traced.error());
    return kExitFailure;
  }
  context.exit_code = traced->exit_code;
  if (!write_outputs(flags, *traced, context)) {
    return kExitFailure;
  }
  return traced->exit_code;
}

}  // namespace

Runner attach_trace(CLI::App& command) {
  auto spec = std::make_shared<Spec>();
  auto flags = std::make_shared<TraceFlags>();
  command.footer(kFooter);
  command.add_option("--out", flags->out, "Write the strata.needs/v1 document to FILE")->type_name("FILE");
  command.add_flag("--json", flags->json, "Print the document on stdout instead of a summary on stderr");
  command
      .add_option("--seccomp-out", flags->seccomp_out,
                  "Write a least-privilege OCI seccomp profile for this workload (for strata run --seccomp)")
      ->type_name("FILE");
  command.add_flag("--all-syscalls", flags->all_syscalls,
                   "Stop on every system call, not only the interesting ones (exact counts; much slower)");
  add_namespace_flags(command, *spec);
  add_filesystem_flags(command, *spec);
  add_image_flags(command, *spec);
  add_process_flags(command, *spec);
  add_hardening_flags(command, *spec, /*seccomp=*/false);
  add_resource_flags(command, *spec);
  command
      .add_option_function<std::string>(
          "--seccomp",
          [](const std::string&) {
            throw CLI::ValidationError("--seccomp",
                                       "not with trace: the tracing filter replaces the workload's "
                                       "seccomp filter (see --seccomp-out)");
          },
          "Refused: the tracing filter replaces the workload's filter")
      ->type_name("FILE");
  command.prefix_command();
  return [spec, flags, &command](std::vector<std::string> trailing) {
    std::vector<std::string> argv = command.remaining();
    if (!argv.empty() && argv.front().starts_with('-')) {
      log::line(fmt::format("trace: unknown flag '{}' (see --help; put the command after --)", argv.front()));
      return static_cast<int>(kExitFailure);
    }
    if (!argv.empty() && !trailing.empty()) {
      log::line(fmt::format("trace: unexpected '{}' before '--' (see --help)", argv.front()));
      return static_cast<int>(kExitFailure);
    }
    return run_trace(*spec, *flags, argv.empty() ? std::move(trailing) : std::move(argv));
  };
}

}  // namespace strata::cli
