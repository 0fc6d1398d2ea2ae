// strata diff A B: each side a manifest file, "live"/"-" for the running
// machine, or a directory probed as a --root tree; -> Report -> text or JSON.
// Exit status: 0 when nothing that matters differs, 1 when something does,
// 2 when an input is bad.
#include "diff/diff.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.hpp"
#include "cli/manifest_operand.hpp"
#include "cli/verbs.hpp"

namespace strata::cli {

namespace {

constexpr int kExitDiffers = 1;
constexpr int kExitBadInput = 2;

struct DiffFlags {
  std::vector<std::string> operands;
  std::vector<std::string> roots;
  bool json = false;
  bool all = false;
};

// The report without its cosmetic lines, unless --all.
diff::Report shown(diff::Report report, bool all) {
  if (!all) {
    std::erase_if(report.differences,
                  [](const diff::Difference& d) { return d.severity == diff::Severity::cosmetic; });
  }
  return report;
}

int run_diff(const DiffFlags& flags) {
  std::vector<std::pair<std::string, bool>> sides;
  sides.reserve(flags.operands.size() + flags.roots.size());
  for (const auto& operand : flags.operands) {
    sides.emplace_back(operand, false);
  }
  for (const auto& root : flags.roots) {
    sides.emplace_back(root, true);
  }
  if (sides.size() != 2) {
    log::line(fmt::format(
        "diff: needs exactly two sides (manifest files, 'live', or --root DIR), got {} (see --help)",
        sides.size()));
    return kExitBadInput;
  }
  auto a = load_manifest_operand(sides[0].first, sides[0].second);
  auto b = a ? load_manifest_operand(sides[1].first, sides[1].second) : Result<probe::Manifest>{};
  if (!a || !b) {
    log::error("diff", !a ? a.error() : b.error());
    return kExitBadInput;
  }
  const diff::Report report = diff::compare(*a, *b);
  const std::size_t cosmetic = static_cast<std::size_t>(std::ranges::count_if(
      report.differences, [](const diff::Difference& d) { return d.severity == diff::Severity::cosmetic; }));
  std::string text;
  if (flags.json) {
    text = diff::to_json(report).dump(2) + "\n";
  } else {
    constexpr std::size_t kShownPerSeverity = 10;
    text = diff::to_text(shown(report, flags.all), {.color = ::isatty(STDOUT_FILENO) == 1,
                                                    .per_severity = flags.all ? 0 : kShownPerSeverity});
    if (!flags.all && cosmetic > 0) {
      text += fmt::format("({} cosmetic differences not shown; --all lists them)\n", cosmetic);
    }
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return kExitBadInput;
  }
  return report.matters() ? kExitDiffers : 0;
}

}  // namespace

Runner attach_diff(CLI::App& command) {
  auto flags = std::make_shared<DiffFlags>();
  command
      .add_option(
          "sides", flags->operands,
          "A and B: manifest files (strata probe --json), 'live' or '-' for this machine, or directories "
          "to probe as root trees")
      ->type_name("A B");
  command
      .add_option("--root", flags->roots, "A side that is a filesystem tree (repeatable; counts after A B)")
      ->type_name("DIR");
  command.add_flag("--json", flags->json, "Write the report as JSON (schema strata.diff/v1)");
  command.add_flag("--all", flags->all, "Also list cosmetic differences");
  command.footer(
      "A is the reference (where the program works), B the target.\n"
      "Exit status: 0 when nothing that matters differs, 1 when something does, 2 on bad input.");
  return [flags](const std::vector<std::string>& trailing) {
    if (!trailing.empty()) {
      log::line("diff: takes no command (found words after --)");
      return kExitBadInput;
    }
    return run_diff(*flags);
  };
}

}  // namespace strata::cli
