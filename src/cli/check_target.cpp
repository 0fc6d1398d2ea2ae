#include "cli/check_target.hpp"

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

Result<probe::Manifest> load_check_target(const std::string& target) {
  if (is_live_target(target)) {
    return probe_root(probe::Root::live());
  }
  if (is_directory(target)) {
    auto root = probe::Root::open(target);
    if (!root) {
      return std::unexpected(root.error());
    }
    return probe_root(*root);
  }
  auto text = read_small_file(target, kInputLimit, "read manifest");
  if (!text) {
    return std::unexpected(text.error());
  }
  auto manifest = probe::manifest_from_json(*text, target);
  if (!manifest && manifest.error().detail.find("\"strata.needs/v1\"") != std::string::npos) {
    manifest.error().detail += "; that is a needs document: pass it as the first argument, not --target";
  }
  return manifest;
}

}  // namespace strata::cli
