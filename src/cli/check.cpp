// strata check NEEDS [--target MANIFEST|live|DIR] [--json]: a needs document
// (strata analyze --json, strata trace --out) against a probe manifest, or
// this machine probed live -> Report -> text or strata.check/v1.
// Exit status: 0 when the target meets every need, 1 when something is
// unmet, 2 when an input is unusable.
#include "check/check.hpp"

#include <unistd.h>

#include <cstdio>

#include "base/files.hpp"
#include "base/log.hpp"
#include "cli/manifest_operand.hpp"
#include "cli/verbs.hpp"

namespace strata::cli {

namespace {

constexpr int kExitUnmet = 1;
constexpr int kExitBadInput = 2;
constexpr std::size_t kInputLimit = std::size_t{256} << 20;

struct CheckFlags {
  std::string needs;
  std::string target;  // empty or "live": this machine
  bool json = false;
};

Result<check::Needs> load_needs(const std::string& path) {
  auto text = read_small_file(path, kInputLimit, "read needs");
  if (!text) {
    return std::unexpected(text.error());
  }
  return check::needs_from_json(*text, path);
}

int run_check(const CheckFlags& flags) {
  auto needs = load_needs(flags.needs);
  if (!needs) {
    log::error("check", needs.error());
    return kExitBadInput;
  }
  auto target = load_manifest_operand(flags.target);
  if (!target) {
    log::error("check", target.error());
    return kExitBadInput;
  }
  check::Report report = check::check(*needs, *target);
  report.target_live = is_live_operand(flags.target);
  report.target = report.target_live ? "live" : flags.target;
  const std::string text =
      flags.json ? check::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                 : check::to_text(report, ::isatty(STDOUT_FILENO) == 1);
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return kExitBadInput;
  }
  return report.satisfied() ? 0 : kExitUnmet;
}

}  // namespace

Runner attach_check(CLI::App& command) {
  auto flags = std::make_shared<CheckFlags>();
  command
      .add_option("needs", flags->needs,
                  "A strata.needs/v1 document (strata analyze --json, strata trace --out)")
      ->required()
      ->type_name("NEEDS.json");
  add_target_option(command, flags->target);
  command.add_flag("--json", flags->json, "Write the report as JSON (schema strata.check/v1, docs/check.md)");
  command.footer(
      "Exit status: 0 when the target meets every need, 1 when something is unmet, 2 on unusable input.");
  return [flags](const std::vector<std::string>& trailing) {
    if (!trailing.empty()) {
      log::line("check: takes no command (found words after --)");
      return kExitBadInput;
    }
    return run_check(*flags);
  };
}

}  // namespace strata::cli
