// strata advise [--target M] [run flags] -- CMD: what the command needs
// (strata trace: the run, and the static analysis of every program it
// executed) checked against a target (strata check: this machine unless
// --target), and the lowest layer that must be identical.
// Exit status as strata check's: 0 met, 1 unmet, 2 unusable target; 125
// when the command could not be traced.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "base/files.hpp"
#include "base/log.hpp"
#include "check/check.hpp"
#include "cli/env_file.hpp"
#include "cli/manifest_operand.hpp"
#include "cli/run_flags.hpp"
#include "cli/trace_session.hpp"
#include "cli/verbs.hpp"

namespace strata::cli {

namespace {

constexpr int kExitUnmet = 1;
constexpr int kExitBadInput = 2;
constexpr std::string_view kAdviseSchema = "strata.advise/v1";

struct AdviseFlags {
  std::string target;  // empty or "live": this machine
  std::optional<std::string> out;
  bool json = false;
  bool all_syscalls = false;
};

nlohmann::ordered_json advise_json(const TracedWorkload& traced, const check::Report& report) {
  return {{"schema", kAdviseSchema},
          {"workload", {{"command", traced.context.command}, {"exit_code", traced.traced.exit_code}}},
          {"needs", traced.document["needs"]},
          {"check", check::to_json(report)}};
}

bool print(const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
}

int run_advise(Spec& spec, const AdviseFlags& flags, std::vector<std::string> command) {
  // The target first: a bad one is reported before anything runs.
  auto target = load_manifest_operand(flags.target);
  if (!target) {
    log::error("advise", target.error());
    return kExitBadInput;
  }
  spec.argv = std::move(command);
  const auto mode = flags.all_syscalls ? trace::TraceMode::all_syscalls : trace::TraceMode::baseline;
  auto traced = trace_workload(spec, mode, "advise");
  if (!traced) {
    log::error("advise", traced.error());
    return kExitFailure;
  }
  if (traced->traced.exit_code != 0) {
    log::warn("the command exited with {}: its needs are those of the run that happened",
              traced->traced.exit_code);
  }
  if (flags.out) {
    if (auto ok = write_file_atomically(*flags.out, traced->document.dump(2) + "\n", "write needs"); !ok) {
      log::error("advise", ok.error());
      return kExitFailure;
    }
  }
  // The document goes through the same reader as a file given to strata check.
  auto needs = check::needs_from_json(traced->document.dump(), "the trace");
  if (!needs) {
    log::error("advise", needs.error());
    return kExitFailure;
  }
  check::Report report = check::check(*needs, *target);
  report.needs = flags.out.value_or(fmt::format("the trace of '{}'", fmt::join(spec.argv, " ")));
  report.target_live = is_live_operand(flags.target);
  report.target = report.target_live ? "live" : flags.target;
  const bool ok = flags.json ? print(advise_json(*traced, report).dump(2) + "\n")
                             : print(check::to_text(report, ::isatty(STDOUT_FILENO) == 1));
  if (!ok) {
    return kExitFailure;
  }
  return report.satisfied() ? 0 : kExitUnmet;
}

}  // namespace

Runner attach_advise(CLI::App& command) {
  auto spec = std::make_shared<Spec>();
  auto flags = std::make_shared<AdviseFlags>();
  add_target_option(command, flags->target);
  command.add_option("--out", flags->out, "Also write the traced strata.needs/v1 document to FILE")
      ->type_name("FILE");
  command.add_flag("--json", flags->json,
                   "Write the report as JSON (schema strata.advise/v1, docs/check.md)");
  command.add_flag("--all-syscalls", flags->all_syscalls,
                   "Stop on every system call while tracing (exact counts; much slower)");
  auto env_file = add_env_file(command, *spec, attach_advise);
  add_traced_run_flags(command, *spec);
  command.footer(
      "Runs the command as strata trace does (the workload's own output comes first), then checks what "
      "it needed as strata check does and prints the report.\n"
      "Exit status: 0 when the target meets every need, 1 when something is unmet, 2 on an unusable "
      "--target, 125 when the command could not be traced.");
  command.prefix_command();
  return [spec, flags, env_file, &command](std::vector<std::string> trailing) {
    auto words = command_words(command, std::move(trailing), "advise");
    if (words) {
      words = env_file_command(*env_file, command, *spec, std::move(*words), "advise");
    }
    return words ? run_advise(*spec, *flags, std::move(*words)) : static_cast<int>(kExitFailure);
  };
}

}  // namespace strata::cli
