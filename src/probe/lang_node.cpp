#include "probe/lang_node.hpp"

#include <array>
#include <map>
#include <vector>

#include "probe/lang_common.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::lang {

namespace {

using nlohmann::json;
using sys::join_path;

constexpr std::size_t kPackageJsonLimit = std::size_t{1} << 20;
constexpr std::string_view kModules = "node_modules/";

// A package.json or lockfile: nullopt when absent, a discarded value when it
// is not JSON (a half-written file must not stop the probe).
std::optional<json> read_json(const Root& root, const std::string& path, std::size_t limit) {
  auto text = root.read(path, limit);
  if (!text) {
    return std::nullopt;
  }
  return json::parse(*text, nullptr, false);
}

std::string json_problem(const json& doc) {
  return doc.is_discarded() ? "not JSON" : "not a JSON object";
}

// Null-safe field access: lockfiles are input, any member can be any type.
const json* member(const json& object, const std::string& key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

json string_field(const json& object, const std::string& key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_string() ? *value : json();
}

bool flag(const json& object, const std::string& key) {
  const json* value = member(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

// The first of node's usual places; its version from node_version.h in the
// binary's prefix (libnode-dev, the official tarball): reading the 100 MB
// binary for a version string would blow the probe's time budget.
void add_interpreter(const Root& root, Facts& facts) {
  constexpr std::array<std::string_view, 5> kPaths{"/usr/local/bin/node", "/usr/bin/node", "/bin/node",
                                                   "/usr/local/bin/nodejs", "/usr/bin/nodejs"};
  for (const std::string_view candidate : kPaths) {
    const std::string path(candidate);
    const auto real = sys::follow_links(root, path);
    if (!real) {
      continue;
    }
    std::string prefix(sys::dir_name(sys::dir_name(*real)));
    if (prefix == "/") {
      prefix = "/usr";
    }
    const std::string header = join_path(prefix, "include/node/node_version.h");
    const auto version = parse_node_version_header(root.read(header, std::size_t{64} << 10).value_or(""));
    add(facts, "node.interpreter", {{"path", path}, {"version", version ? json(*version) : json()}},
        version ? header : path);
    return;
  }
}

// The npm that PATH finds first: /usr/local (npm install -g npm) over the
// distribution's.
void add_npm(const Root& root, Facts& facts) {
  for (const std::string_view dir :
       {"/usr/local/lib/node_modules/npm", "/usr/lib/node_modules/npm", "/usr/share/nodejs/npm"}) {
    const std::string path = join_path(dir, "package.json");
    if (const auto doc = read_json(root, path, kPackageJsonLimit)) {
      add(facts, "npm.version", string_field(*doc, "version"), path);
      return;
    }
  }
}

// The packages in a node_modules directory: "left-pad", "@types/node"; not
// npm's own ".bin", ".package-lock.json" or ".cache".
std::vector<std::string> module_names(const Root& root, const std::string& modules) {
  std::vector<std::string> names;
  for (const std::string& name : root.list(modules)) {
    if (name.starts_with('.')) {
      continue;
    }
    if (!name.starts_with('@')) {
      names.push_back(name);
      continue;
    }
    for (const std::string& scoped : root.list(join_path(modules, name))) {
      if (!scoped.starts_with('.')) {
        names.push_back(sys::join_path(name, scoped));
      }
    }
  }
  return names;
}

// {"version", "location"} from node_modules/<name>/package.json, with an
// "error" when it is broken; nullopt when there is none.
std::optional<Installed> installed_package(const Root& root, const std::string& modules,
                                           const std::string& name) {
  const std::string path = join_path(join_path(modules, name), "package.json");
  const auto doc = read_json(root, path, kPackageJsonLimit);
  if (!doc) {
    return std::nullopt;
  }
  json value{{"version", string_field(*doc, "version")}, {"location", modules}};
  if (!doc->is_object()) {
    value["error"] = "package.json is " + json_problem(*doc);
  }
  return Installed{std::move(value), path};
}

// `npm install -g` puts packages in <prefix>/lib/node_modules; PATH has
// /usr/local/bin first, so its copy wins.
void add_globals(const Root& root, Facts& facts) {
  std::map<std::string, std::vector<Installed>> by_name;
  for (const std::string_view dir : {"/usr/local/lib/node_modules", "/usr/lib/node_modules"}) {
    const std::string modules(dir);
    for (const std::string& name : module_names(root, modules)) {
      if (auto copy = installed_package(root, modules, name)) {
        by_name[name].push_back(std::move(*copy));
      }
    }
  }
  for (auto& [name, copies] : by_name) {
    add_with_shadowed(facts, "node.global." + name, copies);
  }
}

// node.project from <cwd>/package.json; returns the parsed manifest (null
// when absent or broken) for telling dependencies from devDependencies.
json add_project(const Root& root, const std::string& cwd, Facts& facts) {
  const std::string path = join_path(cwd, "package.json");
  auto doc = read_json(root, path, kPackageJsonLimit);
  if (!doc) {
    return {};
  }
  if (!doc->is_object()) {
    add(facts, "node.project", {{"error", "package.json is " + json_problem(*doc)}}, path);
    return {};
  }
  add(facts, "node.project",
      {{"name", string_field(*doc, "name")}, {"version", string_field(*doc, "version")}}, path);
  return std::move(*doc);
}

struct Lockfile {
  std::string path;
  json doc;  // null when there is none or it is broken
};

// A lockfile with only its top level's scalars kept (lockfileVersion): when
// the packages come from node_modules/.package-lock.json, building the DOM of
// the project lockfile's "packages" map (~1 MB in a large project) would be
// most of the layer's time. The text is still checked to be JSON throughout.
json parse_top_level(const std::string& text) {
  const auto keep = [](int depth, json::parse_event_t event, json& /*parsed*/) {
    return depth == 0 ||
           (event != json::parse_event_t::object_start && event != json::parse_event_t::array_start);
  };
  return json::parse(text, keep, false);
}

// node.lockfile from the project's lockfile (npm reads npm-shrinkwrap.json in
// preference to package-lock.json); `whole` when its packages are needed.
Lockfile add_lockfile(const Root& root, const std::string& cwd, bool whole, Facts& facts) {
  for (const std::string_view name : {"npm-shrinkwrap.json", "package-lock.json"}) {
    std::string path = join_path(cwd, name);
    const auto text = root.read(path);
    if (!text) {
      continue;
    }
    json doc = whole ? json::parse(*text, nullptr, false) : parse_top_level(*text);
    json value{{"path", path}, {"lockfileVersion", nullptr}};
    if (const json* version = member(doc, "lockfileVersion"); version != nullptr && version->is_number()) {
      value["lockfileVersion"] = *version;
    }
    if (!doc.is_object()) {
      value["error"] = json_problem(doc);
      doc = json();
    }
    add(facts, "node.lockfile", std::move(value), path);
    return {std::move(path), std::move(doc)};
  }
  return {};
}

// A lockfile path "node_modules/a/node_modules/@s/b" names the fact
// "node.package.a/node_modules/@s/b" and lives in <cwd>/node_modules/a/node_modules.
std::string location_of(const std::string& cwd, const std::string& path) {
  return join_path(cwd, path.substr(0, path.rfind(kModules) + kModules.size() - 1));
}

struct LockSource {
  const std::string& cwd;
  const std::string& file;
  // Whether each entry's directory must exist: a project lockfile describes
  // what `npm ci` would install, not what is there.
  bool check_installed;
};

// Lockfile versions 2 and 3: a "packages" map keyed by install path.
void add_locked_packages(const Root& root, const LockSource& lock, const json& packages, Facts& facts) {
  for (const auto& [path, entry] : packages.items()) {
    if (!path.starts_with(kModules) || path.size() == kModules.size() || !entry.is_object()) {
      continue;
    }
    if (lock.check_installed && !root.is_dir(join_path(lock.cwd, path))) {
      continue;
    }
    json value{{"version", string_field(entry, "version")},
               {"location", location_of(lock.cwd, path)},
               {"dev", flag(entry, "dev")}};
    // A workspace or `npm install ./dir` is a link; the version is on the
    // entry of the directory it points to.
    if (const json resolved = string_field(entry, "resolved"); flag(entry, "link") && resolved.is_string()) {
      value["link"] = resolved;
      if (const json* target = member(packages, resolved.get<std::string>())) {
        value["version"] = string_field(*target, "version");
      }
    }
    add(facts, "node.package." + path.substr(kModules.size()), std::move(value), lock.file);
  }
}

// Lockfile version 1: nested "dependencies" that mirror node_modules.
void add_v1_dependencies(const Root& root, const LockSource& lock, const json& dependencies,
                         const std::string& prefix, int depth, Facts& facts) {
  if (!dependencies.is_object() || depth > 32) {
    return;
  }
  for (const auto& [name, entry] : dependencies.items()) {
    std::string path = prefix;
    path.append(kModules).append(name);
    if (name.empty() || !entry.is_object() ||
        (lock.check_installed && !root.is_dir(join_path(lock.cwd, path)))) {
      continue;
    }
    json value{{"version", string_field(entry, "version")},
               {"location", location_of(lock.cwd, path)},
               {"dev", flag(entry, "dev")}};
    add(facts, "node.package." + path.substr(kModules.size()), std::move(value), lock.file);
    if (const json* nested = member(entry, "dependencies")) {
      add_v1_dependencies(root, lock, *nested, path + "/", depth + 1, facts);
    }
  }
}

// Whether the project lists `name` as a devDependency (true), as another
// kind of dependency (false), or not at all (nullopt).
std::optional<bool> listed_as_dev(const json& manifest, const std::string& name) {
  for (const char* kind : {"dependencies", "optionalDependencies", "peerDependencies"}) {
    if (const json* deps = member(manifest, kind); deps != nullptr && member(*deps, name) != nullptr) {
      return false;
    }
  }
  const json* dev = member(manifest, "devDependencies");
  return dev != nullptr && member(*dev, name) != nullptr ? std::optional<bool>(true) : std::nullopt;
}

// Without a lockfile (yarn, pnpm's hoisted layout, npm 6 with a deleted
// lockfile), each top-level package's own package.json.
void add_scanned_packages(const Root& root, const std::string& modules, const json& manifest, Facts& facts) {
  for (const std::string& name : module_names(root, modules)) {
    auto copy = installed_package(root, modules, name);
    if (!copy) {
      continue;
    }
    if (const auto dev = listed_as_dev(manifest, name)) {
      copy->value["dev"] = *dev;
    }
    add(facts, "node.package." + name, std::move(copy->value), std::move(copy->source));
  }
}

// node.package.* from the project's lockfile, checked against the
// directories (it describes what `npm ci` would install, not what is there),
// or without one (yarn, pnpm's hoisted layout, npm 6 with a deleted lockfile)
// from the package.json files themselves.
void add_project_packages(const Root& root, const std::string& cwd, const json& manifest,
                          const Lockfile& lockfile, Facts& facts) {
  const std::string modules = join_path(cwd, "node_modules");
  if (!root.is_dir(modules)) {
    return;
  }
  const LockSource lock{cwd, lockfile.path, true};
  if (const json* packages = member(lockfile.doc, "packages"); packages != nullptr && packages->is_object()) {
    add_locked_packages(root, lock, *packages, facts);
  } else if (const json* deps = member(lockfile.doc, "dependencies"); deps != nullptr && deps->is_object()) {
    add_v1_dependencies(root, lock, *deps, "", 0, facts);
  } else {
    add_scanned_packages(root, modules, manifest, facts);
  }
}

// The leading number of a "#define NAME 20" line.
std::optional<std::string> define_value(std::string_view text, std::string_view name) {
  const std::string needle = "#define " + std::string(name);
  for (const std::string_view line : sys::split_lines(text)) {
    if (!line.starts_with(needle) || line.size() == needle.size() ||
        (line[needle.size()] != ' ' && line[needle.size()] != '\t')) {
      continue;
    }
    const std::string_view value = sys::trim(line.substr(needle.size()));
    const std::string_view digits = value.substr(0, value.find_first_not_of("0123456789"));
    if (!digits.empty()) {
      return std::string(digits);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_node_version_header(std::string_view text) {
  const auto major = define_value(text, "NODE_MAJOR_VERSION");
  const auto minor = define_value(text, "NODE_MINOR_VERSION");
  const auto patch = define_value(text, "NODE_PATCH_VERSION");
  if (!major || !minor || !patch) {
    return std::nullopt;
  }
  return *major + "." + *minor + "." + *patch;
}

void add_node_facts(const Root& root, const std::string& cwd, Facts& facts) {
  add_interpreter(root, facts);
  add_npm(root, facts);
  add_globals(root, facts);
  const json manifest = add_project(root, cwd, facts);
  // npm 7+ records the tree it installed in node_modules/.package-lock.json:
  // the truth about node_modules, and one file instead of one per package.
  const std::string hidden_path = join_path(cwd, "node_modules/.package-lock.json");
  const json hidden = read_json(root, hidden_path, Root::kReadLimit).value_or(json());
  const json* hidden_packages = member(hidden, "packages");
  const bool use_hidden = hidden_packages != nullptr && hidden_packages->is_object();
  const Lockfile lockfile = add_lockfile(root, cwd, !use_hidden, facts);
  if (use_hidden) {
    add_locked_packages(root, {cwd, hidden_path, false}, *hidden_packages, facts);
  } else {
    add_project_packages(root, cwd, manifest, lockfile, facts);
  }
}

}  // namespace strata::probe::lang
