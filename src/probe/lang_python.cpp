#include "probe/lang_python.hpp"

#include <cctype>
#include <cstdlib>
#include <map>
#include <vector>

#include "probe/lang_common.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::lang {

namespace {

using nlohmann::json;
using sys::join_path;

// Name and Version are the first headers of every METADATA written by
// setuptools, flit, hatch or poetry, so a short read almost always has them;
// the long description after the headers can be tens of kilobytes.
constexpr std::size_t kHeadRead = 4096;
constexpr std::size_t kMetadataLimit = std::size_t{64} << 10;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// "3.11.2.final.0" -> "3.11.2": the leading dotted number.
std::string leading_version(std::string_view text) {
  text = text.substr(0, text.find_first_not_of("0123456789."));
  while (text.ends_with('.')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// "python3" or "python3.11", not "python3-config" or "python3.11m".
bool is_python_name(std::string_view name) {
  if (!name.starts_with("python")) {
    return false;
  }
  name.remove_prefix(6);
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) == 0 || name.ends_with('.')) {
    return false;
  }
  std::size_t dots = 0;
  for (const char c : name) {
    if (c == '.') {
      ++dots;
    } else if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return dots <= 1 && name.find("..") == std::string_view::npos;
}

// The pythonX.Y directories under a lib directory, sorted.
std::vector<std::string> versioned_dirs(const Root& root, std::string_view lib) {
  std::vector<std::string> out;
  for (std::string& name : root.list(lib)) {
    if (is_python_name(name) && name.find('.') != std::string::npos) {
      out.push_back(std::move(name));
    }
  }
  return out;
}

// The interpreter's version: its own name when that has the minor version;
// for a bare "python3" binary, the one pythonX.Y stdlib directory beside it
// (<prefix>/lib/python3.11), which is what the binary was built to load.
std::optional<std::string> interpreter_version(const Root& root, const std::string& real) {
  const std::string_view name = sys::base_name(real);
  if (!is_python_name(name)) {
    return std::nullopt;
  }
  std::string named(name.substr(6));
  if (named.find('.') != std::string::npos) {
    return named;
  }
  const std::string lib = join_path(sys::dir_name(sys::dir_name(real)), "lib");
  std::vector<std::string> matches;
  for (const std::string& dir : versioned_dirs(root, lib)) {
    if (dir.starts_with("python" + named + ".")) {
      matches.push_back(dir.substr(6));
    }
  }
  return matches.size() == 1 ? matches.front() : named;
}

std::vector<std::string> interpreter_dirs(const Root& root, const std::optional<std::string>& venv) {
  std::vector<std::string> dirs{"/usr/local/bin", "/usr/bin"};
  // Merged /usr (Debian 12): /bin is /usr/bin, already listed.
  const auto bin = root.read_link("/bin");
  if (!bin || (*bin != "usr/bin" && *bin != "/usr/bin")) {
    dirs.emplace_back("/bin");
  }
  // The venv's bin comes last: its pythonX.Y are links to a system
  // interpreter listed already, and its path is per checkout, so listing it
  // first would make two checkouts of one project differ. It adds only names
  // the system lacks (a venv made from a pyenv or uv interpreter).
  if (venv) {
    dirs.push_back(join_path(*venv, "bin"));
  }
  return dirs;
}

void add_interpreters(const Root& root, const std::optional<std::string>& venv, Facts& facts) {
  for (const std::string& dir : interpreter_dirs(root, venv)) {
    for (const std::string& name : root.list(dir)) {
      const std::string key = "python.interpreter." + name;
      if (!is_python_name(name) || facts.contains(key)) {
        continue;
      }
      const std::string path = join_path(dir, name);
      const auto real = sys::follow_links(root, path);
      if (!real) {
        continue;  // a dangling link runs nothing
      }
      const auto version = interpreter_version(root, *real);
      add(facts, key,
          {{"path", path},
           {"version", version ? json(*version) : json()},
           {"target", *real != path ? json(*real) : json()}},
          path);
    }
  }
}

void add_venv(const Root& root, const std::string& venv, Facts& facts) {
  const std::string cfg_path = join_path(venv, "pyvenv.cfg");
  const VenvConfig cfg = parse_pyvenv_cfg(root.read(cfg_path, kHeadRead).value_or(""));
  add(facts, "python.venv",
      {{"path", venv},
       {"home", cfg.home.empty() ? json() : json(cfg.home)},
       {"version", cfg.version.empty() ? json() : json(cfg.version)},
       {"include_system_site_packages", cfg.include_system_site_packages}},
      cfg_path);
}

// Where distributions are installed, in import order (keep it simple: the
// venv, then /usr/local, then Debian's dist-packages, then the rest).
std::vector<std::string> site_dirs(const Root& root, const std::optional<std::string>& venv) {
  std::vector<std::string> dirs;
  if (venv) {
    const std::string lib = join_path(*venv, "lib");
    for (const std::string& python : versioned_dirs(root, lib)) {
      dirs.push_back(join_path(join_path(lib, python), "site-packages"));
    }
  }
  for (const std::string& python : versioned_dirs(root, "/usr/local/lib")) {
    dirs.push_back("/usr/local/lib/" + python + "/dist-packages");
    dirs.push_back("/usr/local/lib/" + python + "/site-packages");
  }
  dirs.emplace_back("/usr/lib/python3/dist-packages");
  for (const std::string& python : versioned_dirs(root, "/usr/lib")) {
    dirs.push_back("/usr/lib/" + python + "/site-packages");
  }
  // Fedora keeps compiled distributions in lib64; where lib64 is a link to
  // lib, it would list every distribution twice.
  if (!root.read_link("/usr/lib64")) {
    for (const std::string& python : versioned_dirs(root, "/usr/lib64")) {
      dirs.push_back("/usr/lib64/" + python + "/site-packages");
    }
  }
  return dirs;
}

struct Dist {
  std::string name;  // normalized
  Installed copy;
};

// The metadata's header part, nullopt when the file is absent: a short read
// first, the longer one only when the headers run past it.
std::optional<DistHeaders> read_headers(const Root& root, const std::string& path) {
  const auto head = root.read(path, kHeadRead);
  if (!head) {
    return std::nullopt;
  }
  DistHeaders headers = parse_dist_headers(*head);
  if ((headers.name.empty() || headers.version.empty()) && head->size() == kHeadRead) {
    headers = parse_dist_headers(root.read(path, kMetadataLimit).value_or(""));
  }
  return headers;
}

std::optional<Dist> read_dist(const Root& root, const std::string& site, const std::string& entry) {
  const bool dist_info = entry.ends_with(".dist-info");
  if (!dist_info && !entry.ends_with(".egg-info")) {
    return std::nullopt;
  }
  const std::string dir = join_path(site, entry);
  // An egg-info is a PKG-INFO file itself (distutils) or a directory.
  std::string source = dist_info ? join_path(dir, "METADATA") : dir;
  std::optional<DistHeaders> headers = read_headers(root, source);
  if (!headers && !dist_info) {
    source = join_path(dir, "PKG-INFO");
    headers = read_headers(root, source);
  }
  // Without metadata, the directory's name is all there is.
  const DistHeaders fallback = dist_dir_headers(entry);
  const DistHeaders found = headers.value_or(DistHeaders{});
  const std::string name = normalize_python_name(found.name.empty() ? fallback.name : found.name);
  if (name.empty()) {
    return std::nullopt;
  }
  const std::string& version = found.version.empty() ? fallback.version : found.version;
  json value{{"version", version.empty() ? json() : json(version)},
             {"location", site},
             {"kind", dist_info ? "dist-info" : "egg-info"}};
  if (dist_info) {
    const std::string installer(sys::trim(root.read(join_path(dir, "INSTALLER"), 256).value_or("")));
    if (!installer.empty()) {
      value["installer"] = installer;
    }
  }
  return Dist{name, {std::move(value), headers ? source : dir}};
}

void add_packages(const Root& root, const std::optional<std::string>& venv, Facts& facts) {
  std::map<std::string, std::vector<Installed>> by_name;
  for (const std::string& site : site_dirs(root, venv)) {
    for (const std::string& entry : root.list(site)) {
      auto dist = read_dist(root, site, entry);
      if (!dist) {
        continue;
      }
      // Debian ships some distributions with both a dist-info and an
      // egg-info in one directory: one copy of the code, nothing shadowed.
      std::vector<Installed>& copies = by_name[dist->name];
      if (copies.empty() || copies.back().value["location"] != site) {
        copies.push_back(std::move(dist->copy));
      }
    }
  }
  for (auto& [name, copies] : by_name) {
    add_with_shadowed(facts, "python.package." + name, copies);
  }
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

}  // namespace

std::optional<DistHeaders> read_distribution(const Root& root, const std::string& site,
                                             const std::string& entry) {
  auto dist = read_dist(root, site, entry);
  if (!dist) {
    return std::nullopt;
  }
  const json& version = dist->copy.value["version"];
  return DistHeaders{.name = dist->name, .version = version.is_string() ? version.get<std::string>() : ""};
}

std::string normalize_python_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') {
        out += '-';
      }
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

DistHeaders parse_dist_headers(std::string_view text) {
  DistHeaders out;
  for (std::string_view line : sys::split_lines(text)) {
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;  // the body (the long description) starts here
    }
    const auto colon = line.find(':');
    if (line.front() == ' ' || line.front() == '\t' || colon == std::string_view::npos) {
      continue;  // a continuation line or junk
    }
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = sys::trim(line.substr(colon + 1));
    if (iequals(key, "Name") && out.name.empty()) {
      out.name = value;
    } else if (iequals(key, "Version") && out.version.empty()) {
      out.version = value;
    }
    if (!out.name.empty() && !out.version.empty()) {
      break;
    }
  }
  return out;
}

DistHeaders dist_dir_headers(std::string_view dir_name) {
  for (const std::string_view suffix : {".dist-info", ".egg-info"}) {
    if (dir_name.ends_with(suffix)) {
      dir_name.remove_suffix(suffix.size());
      break;
    }
  }
  const auto dash = dir_name.find('-');
  if (dash == std::string_view::npos) {
    return {std::string(dir_name), ""};
  }
  const std::string_view rest = dir_name.substr(dash + 1);
  return {std::string(dir_name.substr(0, dash)), std::string(rest.substr(0, rest.find('-')))};
}

VenvConfig parse_pyvenv_cfg(std::string_view text) {
  VenvConfig cfg;
  std::string version_info;
  for (const std::string_view line : sys::split_lines(text)) {
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    const std::string_view key = sys::trim(line.substr(0, eq));
    const std::string_view value = sys::trim(line.substr(eq + 1));
    // site.py lowercases the keys and compares the flag case-insensitively.
    if (iequals(key, "home")) {
      cfg.home = value;
    } else if (iequals(key, "version")) {
      cfg.version = leading_version(value);
    } else if (iequals(key, "version_info")) {
      version_info = leading_version(value);
    } else if (iequals(key, "include-system-site-packages")) {
      cfg.include_system_site_packages = iequals(value, "true");
    }
  }
  if (cfg.version.empty()) {
    cfg.version = std::move(version_info);
  }
  return cfg;
}

std::optional<std::string> find_venv(const Root& root, const std::string& cwd) {
  if (root.is_live()) {
    // The shell's `activate` sets it; only the running machine has one.
    const char* active = std::getenv("VIRTUAL_ENV");
    if (active != nullptr && active[0] == '/' && root.exists(join_path(active, "pyvenv.cfg"))) {
      return without_trailing_slash(active);
    }
  }
  for (const std::string_view name : {".venv", "venv"}) {
    std::string dir = join_path(cwd, name);
    if (root.exists(join_path(dir, "pyvenv.cfg"))) {
      return dir;
    }
  }
  return std::nullopt;
}

void add_python_facts(const Root& root, const std::string& cwd, Facts& facts) {
  const std::optional<std::string> venv = find_venv(root, cwd);
  add_interpreters(root, venv, facts);
  if (venv) {
    add_venv(root, *venv, facts);
  }
  add_packages(root, venv, facts);
}

}  // namespace strata::probe::lang
