#include "trace/packages.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "probe/lang_python.hpp"

namespace strata::trace {

namespace {

constexpr std::size_t kRecordLimit = std::size_t{4} << 20;
constexpr std::size_t kPackageJsonLimit = std::size_t{1} << 20;

std::string_view first_component(std::string_view path) {
  return path.substr(0, path.find('/'));
}

bool is_dist_dir(std::string_view name) {
  return name.ends_with(".dist-info") || name.ends_with(".egg-info");
}

// The modules a distribution installs, from its RECORD (CSV: path first)
// and its top_level.txt.
std::vector<std::string> dist_modules(const probe::Root& root, const std::string& dist_dir) {
  std::vector<std::string> modules;
  const std::string record = root.read(dist_dir + "/RECORD", kRecordLimit).value_or("");
  for (std::size_t at = 0; at < record.size();) {
    const std::size_t end = std::min(record.find('\n', at), record.size());
    const std::string_view line(record.data() + at, end - at);
    if (std::string top = top_level_module(std::string(line.substr(0, line.find(',')))); !top.empty()) {
      modules.push_back(std::move(top));
    }
    at = end + 1;
  }
  const std::string top_level = root.read(dist_dir + "/top_level.txt", kRecordLimit).value_or("");
  for (std::size_t at = 0; at < top_level.size();) {
    const std::size_t end = std::min(top_level.find('\n', at), top_level.size());
    if (end > at) {
      modules.emplace_back(top_level.substr(at, end - at));
    }
    at = end + 1;
  }
  return modules;
}

}  // namespace

std::string top_level_module(const std::string& relative) {
  std::string_view rest(relative);
  std::string_view first = first_component(rest);
  if (first == "__pycache__" && first.size() < rest.size()) {
    rest.remove_prefix(first.size() + 1);
    first = first_component(rest);
  }
  if (first.empty() || first.starts_with('.') || is_dist_dir(first) || first.starts_with('"')) {
    return {};
  }
  return std::string(first.substr(0, first.find('.')));
}

const PackageIndex::Site& PackageIndex::site(const std::string& dir) {
  if (auto it = sites_.find(dir); it != sites_.end()) {
    return it->second;
  }
  Site site;
  for (const std::string& entry : root_.list(dir)) {
    const auto dist = probe::lang::read_distribution(root_, dir, entry);
    if (!dist) {
      continue;
    }
    const PackageVersion owner{.name = dist->name, .version = dist->version};
    const std::string dist_dir = std::string(dir).append("/").append(entry);
    for (const std::string& module : dist_modules(root_, dist_dir)) {
      site.emplace(module, owner);  // the first distribution claiming a module keeps it
    }
    site.emplace(entry, owner);  // its own metadata (importlib.metadata reads it)
  }
  return sites_.emplace(dir, std::move(site)).first->second;
}

std::optional<PackageVersion> PackageIndex::python_owner(const std::string& path) {
  std::size_t at = std::string::npos;
  for (const std::string_view marker : {"/site-packages/", "/dist-packages/"}) {
    if (const std::size_t found = path.rfind(marker); found != std::string::npos) {
      at = at == std::string::npos ? found : std::max(at, found);
    }
  }
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const std::string dir = path.substr(0, at + std::string_view("/site-packages").size());
  const std::string relative = path.substr(dir.size() + 1);
  const std::string_view first = first_component(relative);
  const std::string key = is_dist_dir(first) ? std::string(first) : top_level_module(relative);
  const Site& index = site(dir);
  if (auto it = index.find(key); !key.empty() && it != index.end()) {
    return it->second;
  }
  return std::nullopt;
}

std::optional<PackageVersion> PackageIndex::node_owner(const std::string& path) {
  constexpr std::string_view kMarker = "/node_modules/";
  const std::size_t at = path.rfind(kMarker);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const std::string_view rest = std::string_view(path).substr(at + kMarker.size());
  std::string_view name = first_component(rest);
  if (name.starts_with('@') && name.size() < rest.size()) {
    name = rest.substr(0, rest.find('/', name.size() + 1));
  }
  if (name.empty() || name.starts_with('.') || name.size() == rest.size()) {
    return std::nullopt;  // node_modules/.bin, .package-lock.json, or the package directory itself
  }
  const std::string dir = path.substr(0, at + kMarker.size()) + std::string(name);
  if (auto it = node_packages_.find(dir); it != node_packages_.end()) {
    return it->second;
  }
  std::optional<PackageVersion> owner;
  if (auto text = root_.read(dir + "/package.json", kPackageJsonLimit)) {
    const auto manifest = nlohmann::json::parse(*text, nullptr, false);
    owner = PackageVersion{.name = std::string(name), .version = {}};
    if (manifest.is_object() && manifest.contains("version") && manifest["version"].is_string()) {
      owner->version = manifest["version"].get<std::string>();
    }
  }
  return node_packages_.emplace(dir, std::move(owner)).first->second;
}

}  // namespace strata::trace
