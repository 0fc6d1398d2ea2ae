// strata analyze: flags -> AnalyzeOptions -> Report -> text or strata.needs/v1.
#include "analyze/analyze.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "analyze/render.hpp"
#include "analyze/resolve.hpp"
#include "base/log.hpp"
#include "base/version.hpp"
#include "cli/verbs.hpp"
#include "probe/hw_cpuinfo.hpp"

namespace strata::cli {

namespace {

struct AnalyzeFlags {
  std::vector<std::string> paths;
  std::string root;
  bool json = false;
  std::optional<std::string> library_path;
  std::optional<int> cpu_level;
};

// ld.so's LD_LIBRARY_PATH is the caller's environment; for another tree
// only --library-path makes sense.
analyze::ResolveOptions resolve_options(const AnalyzeFlags& flags, bool live, const std::string& cwd) {
  analyze::ResolveOptions options{.library_path = {}, .cpu_level = 0, .cwd = cwd};
  if (flags.library_path) {
    options.library_path = analyze::split_list(*flags.library_path);
  } else if (const char* env = std::getenv("LD_LIBRARY_PATH"); live && env != nullptr) {
    options.library_path = analyze::split_list(env);
  }
  if (flags.cpu_level) {
    options.cpu_level = *flags.cpu_level;
  } else {
    const auto cpu = probe::hw::parse_cpuinfo(probe::Root::live().read("/proc/cpuinfo").value_or(""));
    options.cpu_level = probe::hw::x86_isa_level(cpu.flags).level;
  }
  return options;
}

int run_analyze(const AnalyzeFlags& flags) {
  auto root = flags.root.empty() ? Result<probe::Root>(probe::Root::live()) : probe::Root::open(flags.root);
  if (!root) {
    log::error("analyze", root.error());
    return 2;
  }
  std::error_code ec;
  const std::string cwd = root->is_live() ? std::filesystem::current_path(ec).string() : "/";
  analyze::AnalyzeOptions options{.paths = {}, .resolve = resolve_options(flags, root->is_live(), cwd)};
  for (const std::string& path : flags.paths) {
    options.paths.push_back(path.starts_with('/') ? path : (cwd == "/" ? "" : cwd) + "/" + path);
  }
  const analyze::Report report = analyze::analyze(*root, options);
  const std::string text =
      flags.json ? analyze::to_json(report, std::string(kVersion)).dump(2) + "\n" : analyze::to_text(report);
  const bool written =
      std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0;
  for (const Error& error : report.errors) {
    log::error("analyze", error);
  }
  if (const std::size_t unmet = analyze::unmet_count(report); unmet > 0 && !flags.json) {
    log::line(fmt::format("analyze: {} unmet need(s): NOT FOUND above", unmet));
  }
  return written ? analyze::exit_code(report) : 2;
}

}  // namespace

Runner attach_analyze(CLI::App& command) {
  auto flags = std::make_shared<AnalyzeFlags>();
  command
      .add_option("paths", flags->paths, "ELF files, WebAssembly modules, scripts or directories (walked)")
      ->required()
      ->type_name("FILE|DIR");
  command
      .add_option(
          "--root", flags->root,
          "Analyze inside this tree (an unpacked image): paths, libraries and ld.so.cache are its own")
      ->type_name("DIR");
  command.add_flag("--json", flags->json, "Write strata.needs/v1 JSON (docs/needs.md)");
  command
      .add_option("--library-path", flags->library_path,
                  "LD_LIBRARY_PATH for the resolution (default: the environment's, none with --root)")
      ->type_name("DIRS");
  command
      .add_option("--cpu-level", flags->cpu_level,
                  "x86-64 psABI level of the target CPU for glibc-hwcaps (default: this machine's)")
      ->check(CLI::Range(0, 4))
      ->type_name("N");
  command.footer(
      "Exit status: 0 when every needed library and interpreter was found, 1 when something is NOT FOUND\n"
      "(unmet needs), 2 when an input is unusable (unreadable, a corrupt ELF or WebAssembly file, or "
      "neither\n"
      "of those nor a script).");
  return [flags](const std::vector<std::string>& /*trailing*/) {
    return run_analyze(*flags);
  };
}

}  // namespace strata::cli
