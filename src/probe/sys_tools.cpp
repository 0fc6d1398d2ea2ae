#include "probe/sys_tools.hpp"

#include <array>
#include <cctype>

#include "probe/sys_fs.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

struct ToolSpec {
  std::string_view name;
  // Package names to try in order, Debian's then Alpine's; "{N}" is replaced
  // by each version hint of the binary's resolved path.
  std::array<std::string_view, 4> packages;
};

constexpr std::array<ToolSpec, 15> kTools{{
    {"gcc", {"gcc-{N}", "gcc"}},
    {"g++", {"g++-{N}", "g++"}},
    {"clang", {"clang-{N}", "clang"}},
    {"python3", {"python{N}-minimal", "python{N}", "python3-minimal", "python3"}},
    {"perl", {"perl-base", "perl"}},
    {"make", {"make", "make-guile"}},
    {"cmake", {"cmake"}},
    {"openssl", {"openssl"}},
    {"git", {"git"}},
    {"node", {"nodejs", "nodejs-current"}},
    {"java", {"openjdk-{N}-jre-headless", "openjdk{N}-jre-headless", "default-jre-headless"}},
    {"go", {"golang-{N}-go", "golang-go", "go"}},
    {"rustc", {"rustc", "rust"}},
    {"bash", {"bash"}},
    {"busybox", {"busybox", "busybox-static"}},
}};

// PATH order: a /usr/local/bin copy shadows the packaged one.
constexpr std::array<std::string_view, 3> kBinDirs{"/usr/local/bin", "/usr/bin", "/bin"};

const Package* owning_package(const PackageDb& packages, const ToolSpec& tool, const std::string& real) {
  const std::vector<std::string> hints = version_hints(real);
  for (const std::string_view pattern : tool.packages) {
    const auto slot = pattern.find("{N}");
    if (pattern.empty()) {
      break;
    }
    if (slot == std::string_view::npos) {
      if (const Package* package = packages.find(pattern)) {
        return package;
      }
      continue;
    }
    for (const std::string& hint : hints) {
      const std::string name =
          std::string(pattern.substr(0, slot)) + hint + std::string(pattern.substr(slot + 3));
      if (const Package* package = packages.find(name)) {
        return package;
      }
    }
  }
  return nullptr;
}

void add_tool(const Root& root, const PackageDb& packages, const ToolSpec& tool, const std::string& path,
              Facts& facts) {
  const std::string real = follow_links(root, path).value_or(path);
  const Package* package = path.starts_with("/usr/local/") ? nullptr : owning_package(packages, tool, real);
  nlohmann::json value = {{"path", path}, {"version", nullptr}, {"package", nullptr}};
  std::string source = path;
  if (package != nullptr) {
    value["version"] = upstream_version(package->version);
    value["package"] = package->name;
    source = packages.source;
  } else if (tool.name == "busybox") {
    // A busybox image has no package database, but the binary names itself.
    if (const auto bytes = read_whole(root, real, std::size_t{8} << 20)) {
      if (auto version = busybox_version(*bytes)) {
        value["version"] = std::move(*version);
      }
    }
  }
  add(facts, "tool." + std::string(tool.name), std::move(value), source);
}

}  // namespace

std::vector<std::string> version_hints(std::string_view path) {
  std::vector<std::string> hints;
  std::size_t i = 0;
  while (i < path.size()) {
    if (std::isdigit(static_cast<unsigned char>(path[i])) == 0) {
      ++i;
      continue;
    }
    const auto end = path.find_first_not_of("0123456789.", i);
    std::string_view hint = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    while (hint.ends_with('.')) {
      hint.remove_suffix(1);
    }
    hints.emplace_back(hint);
    i = end == std::string_view::npos ? path.size() : end;
  }
  return hints;
}

std::optional<std::string> busybox_version(std::string_view bytes) {
  constexpr std::string_view kMarker = "BusyBox v";
  const auto at = bytes.find(kMarker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view version = bytes.substr(at + kMarker.size(), 32);
  version = version.substr(0, version.find_first_not_of("0123456789."));
  if (version.empty() || std::isdigit(static_cast<unsigned char>(version.front())) == 0) {
    return std::nullopt;
  }
  return std::string(version);
}

void add_tool_facts(const Root& root, const PackageDb& packages, Facts& facts) {
  for (const ToolSpec& tool : kTools) {
    for (const std::string_view dir : kBinDirs) {
      const std::string path = join_path(dir, tool.name);
      if (root.exists(path)) {
        add_tool(root, packages, tool, path, facts);
        break;
      }
    }
  }
}

}  // namespace strata::probe::sys
