#include "cli/manifest_operand.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "base/files.hpp"
#include "base/version.hpp"
#include "probe/probe.hpp"

namespace strata::cli {

namespace {

constexpr std::size_t kInputLimit = std::size_t{256} << 20;

probe::Manifest probe_root(const probe::Root& root) {
  std::error_code ec;
  const std::string cwd = root.is_live() ? std::filesystem::current_path(ec).string() : "/";
  probe::Manifest manifest = probe::probe(root, probe::ProbeOptions{.layers = {}, .cwd = cwd});
  manifest.generator = std::string(kVersion);
  return manifest;
}

bool is_directory(const std::string& path) {
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<probe::Manifest> load_manifest_operand(const std::string& operand, bool as_root) {
  if (!as_root && is_live_operand(operand)) {
    return probe_root(probe::Root::live());
  }
  if (as_root || is_directory(operand)) {
    auto root = probe::Root::open(operand);
    if (!root) {
      return std::unexpected(root.error());
    }
    return probe_root(*root);
  }
  auto text = read_small_file(operand, kInputLimit, "read manifest");
  if (!text) {
    return std::unexpected(text.error());
  }
  auto manifest = probe::manifest_from_json(*text, operand);
  if (!manifest && manifest.error().detail.find("\"strata.needs/v1\"") != std::string::npos) {
    manifest.error().detail += "; that is a needs document (strata check takes it as its first argument)";
  }
  return manifest;
}

void add_target_option(CLI::App& command, std::string& target) {
  command
      .add_option(
          "--target", target,
          "The target: a manifest (strata probe --json), a directory to probe as a root tree, or 'live' "
          "(default: this machine, probed now)")
      ->type_name("MANIFEST");
}

}  // namespace strata::cli
