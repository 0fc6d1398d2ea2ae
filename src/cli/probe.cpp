// strata probe: flags -> ProbeOptions -> Manifest -> text, JSON or CycloneDX.
#include "probe/probe.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "base/files.hpp"
#include "base/log.hpp"
#include "base/version.hpp"
#include "cli/verbs.hpp"
#include "probe/cyclonedx.hpp"
#include "probe/redact.hpp"

namespace strata::cli {

namespace {

struct ProbeFlags {
  std::vector<std::string> layers;
  bool json = false;
  std::string format = "text";
  std::string root;
  std::string cwd;
  std::string output;
  bool redact = false;
  bool all = false;
};

// Collections with more items than this are one summary line in text form.
constexpr std::size_t kCollapseAbove = 12;

// "library.libssl.so.3" -> "library."; "cpu.vendor" -> "" (not a collection).
std::string collection_of(const std::string& key) {
  for (std::string_view prefix :
       {"library.", "package.", "python.package.", "python.interpreter.", "node.package.", "node.global.",
        "wasm.engine.", "tool.", "sysctl.", "config.", "rlimit.", "device.", "namespaces."}) {
    if (key.starts_with(prefix)) {
      return std::string(prefix);
    }
  }
  return "";
}

std::string show(const nlohmann::json& value, bool all) {
  if (!all && value.is_array() && value.size() > kCollapseAbove) {
    return fmt::format("[{} items; --all or --json lists them]", value.size());
  }
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string to_text(const probe::Manifest& manifest, bool all) {
  std::string out = fmt::format("# {} of {}{}\n", manifest.generator, manifest.target,
                                manifest.redacted ? " (redacted)" : "");
  for (const auto& [layer, facts] : manifest.layers) {
    out += fmt::format("\n[{}]\n", probe::layer_name(layer));
    std::map<std::string, std::size_t> sizes;
    for (const auto& [key, fact] : facts) {
      ++sizes[collection_of(key)];
    }
    std::string collapsed;
    for (const auto& [key, fact] : facts) {
      const std::string group = collection_of(key);
      if (!all && !group.empty() && sizes[group] > kCollapseAbove) {
        if (group != collapsed) {
          out += fmt::format("{}* : {} items (--all or --json lists them)\n", group, sizes[group]);
          collapsed = group;
        }
        continue;
      }
      out += fmt::format("{} = {}    <- {}\n", key, show(fact.value, all), fact.source);
    }
  }
  return out;
}

Result<std::set<probe::Layer>> parse_layers(const std::vector<std::string>& names) {
  std::set<probe::Layer> layers;
  for (const std::string& list : names) {
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, comma - start);
      const auto layer = probe::parse_layer(name);
      if (!layer) {
        return fail("parse --layer", name, "not a layer (hardware, kernel, system, language)");
      }
      layers.insert(*layer);
      start = comma + 1;
    }
  }
  return layers;
}

int run_probe(const ProbeFlags& flags) {
  auto layers = parse_layers(flags.layers);
  if (!layers) {
    log::error("probe", layers.error());
    return kExitFailure;
  }
  auto root = flags.root.empty() ? Result<probe::Root>(probe::Root::live()) : probe::Root::open(flags.root);
  if (!root) {
    log::error("probe", root.error());
    return kExitFailure;
  }
  std::error_code ec;
  const std::string cwd = !flags.cwd.empty() ? flags.cwd
                          : root->is_live()  ? std::filesystem::current_path(ec).string()
                                             : "/";
  probe::Manifest manifest = probe::probe(*root, probe::ProbeOptions{.layers = *layers, .cwd = cwd});
  manifest.generator = std::string(kVersion);
  if (flags.redact) {
    probe::redact(manifest, probe::live_redact_terms());
  }
  const std::string format = flags.json ? "json" : flags.format;
  const std::string text = format == "json"        ? probe::to_json(manifest).dump(2) + "\n"
                           : format == "cyclonedx" ? probe::to_cyclonedx(manifest).dump(2) + "\n"
                                                   : to_text(manifest, flags.all);
  if (!flags.output.empty()) {
    if (auto ok = write_file_atomically(flags.output, text, "write --output"); !ok) {
      log::error("probe", ok.error());
      return kExitFailure;
    }
    return 0;
  }
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0
             ? 0
             : kExitFailure;
}

}  // namespace

Runner attach_probe(CLI::App& command) {
  auto flags = std::make_shared<ProbeFlags>();
  command
      .add_option("--layer", flags->layers,
                  "Only these layers: hardware, kernel, system, language (repeat or comma-separate)")
      ->type_name("LAYER");
  command.add_flag("--json", flags->json,
                   "Write the manifest as JSON (schema strata.manifest/v1, docs/manifest.md)");
  command.add_option("--format", flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "cyclonedx"}))
      ->type_name("text|json|cyclonedx");
  command
      .add_option("--root", flags->root,
                  "Probe the system and language layers of a filesystem tree (nothing is run from it)")
      ->type_name("DIR");
  command
      .add_option(
          "--cwd", flags->cwd,
          "The project directory for the language layer (default: the working directory, / with --root)")
      ->type_name("DIR");
  command.add_flag("--redact", flags->redact,
                   "Replace the hostname, user name and home directory, for bug reports");
  command.add_flag("--all", flags->all,
                   "In text form, list every item of large collections (libraries, packages)");
  command.add_option("-o,--output", flags->output, "Write to FILE (atomically) instead of standard output")
      ->type_name("FILE");
  command.footer(
      "Exit status: 0 on success, 125 when a flag or --root is wrong or the output cannot be written.");
  return [flags](const std::vector<std::string>& trailing) {
    if (!trailing.empty()) {
      log::line("probe: takes no command (found words after --)");
      return static_cast<int>(kExitFailure);
    }
    return run_probe(*flags);
  };
}

}  // namespace strata::cli
