// strata trace: run a command (as `strata run` would) under ptrace with a
// seccomp filter that stops only on the calls that say what it needs, then
// write what it needed as a strata.needs/v1 document (docs/needs.md).
#include <cstdio>
#include <memory>

#include "base/files.hpp"
#include "base/log.hpp"
#include "cli/env_file.hpp"
#include "cli/run_flags.hpp"
#include "cli/trace_session.hpp"
#include "cli/verbs.hpp"
#include "trace/profile.hpp"
#include "trace/render.hpp"

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

bool write_text(const std::string& path, const std::string& text) {
  if (auto ok = write_file_atomically(path, text, "write"); !ok) {
    log::error("trace", ok.error());
    return false;
  }
  return true;
}

// --seccomp-out, --out, --json or the summary. False when a file could not be written.
bool write_outputs(const TraceFlags& flags, const TracedWorkload& traced) {
  bool ok = true;
  if (flags.seccomp_out) {
    ok = write_text(*flags.seccomp_out,
                    trace::seccomp_profile(traced.traced.log, traced.context.mode).dump(2) + "\n") &&
         ok;
  }
  const nlohmann::json& doc = traced.document;
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
  const auto mode = flags.all_syscalls ? trace::TraceMode::all_syscalls : trace::TraceMode::baseline;
  auto traced = trace_workload(spec, mode, "trace");
  if (!traced) {
    log::error("trace", traced.error());
    return kExitFailure;
  }
  if (!write_outputs(flags, *traced)) {
    return kExitFailure;
  }
  return traced->traced.exit_code;
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
  auto env_file = add_env_file(command, *spec, attach_trace);
  add_traced_run_flags(command, *spec);
  command.prefix_command();
  return [spec, flags, env_file, &command](std::vector<std::string> trailing) {
    auto words = command_words(command, std::move(trailing), "trace");
    if (words) {
      words = env_file_command(*env_file, command, *spec, std::move(*words), "trace");
    }
    return words ? run_trace(*spec, *flags, std::move(*words)) : static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
