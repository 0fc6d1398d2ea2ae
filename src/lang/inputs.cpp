#include "lang/inputs.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "base/files.hpp"

namespace strata::lang {

namespace {

// A lockfile is text a person edits; anything bigger is a mistake.
constexpr std::size_t kLockLimit = 16U << 20U;

std::string absolute(const std::string& path, const std::string& cwd) {
  if (path.starts_with('/')) {
    return std::filesystem::path(path).lexically_normal().string();
  }
  return (std::filesystem::path(cwd) / path).lexically_normal().string();
}

bool is_file(const std::string& path) {
  struct stat st = {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Which lockfile, and so which kind: the flags first, else the working
// directory's requirements.txt, else its package-lock.json.
Result<std::pair<Kind, std::string>> pick_lockfile(const LangSpec& lang, const std::string& cwd) {
  if (lang.python_requirements) {
    return std::pair{Kind::python, absolute(*lang.python_requirements, cwd)};
  }
  if (lang.node_lockfile) {
    return std::pair{Kind::node, absolute(*lang.node_lockfile, cwd)};
  }
  if (const std::string req = absolute("requirements.txt", cwd); is_file(req)) {
    return std::pair{Kind::python, req};
  }
  if (const std::string lock = absolute("package-lock.json", cwd); is_file(lock)) {
    return std::pair{Kind::node, lock};
  }
  return fail("find lockfile", cwd,
              "a venv layer needs --requirements FILE or --npm-lock FILE (or a requirements.txt or "
              "package-lock.json in the working directory)");
}

}  // namespace

std::string_view to_string(Kind kind) {
  return kind == Kind::python ? "python" : "node";
}

Result<LinkDir> list_links(const std::string& dir) {
  LinkDir out{.path = dir, .files = {}};
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) {
    return fail_errno("read --find-links", dir);
  }
  while (const dirent* entry = ::readdir(stream)) {
    const std::string name = entry->d_name;
    struct stat st = {};
    if (name.starts_with('.') || ::fstatat(::dirfd(stream), name.c_str(), &st, 0) != 0 ||
        !S_ISREG(st.st_mode)) {
      continue;
    }
    out.files.push_back({.name = name, .size = static_cast<std::uint64_t>(st.st_size)});
  }
  ::closedir(stream);
  std::ranges::sort(out.files);
  return out;
}

Result<Inputs> read_inputs(const LangSpec& lang, const std::string& cwd) {
  auto picked = pick_lockfile(lang, cwd);
  if (!picked) {
    return std::unexpected(picked.error());
  }
  Inputs in;
  in.kind = picked->first;
  in.lockfile = picked->second;
  in.interpreter = in.kind == Kind::python ? lang.python.value_or("python3") : "node";
  auto bytes = read_small_file(in.lockfile, kLockLimit,
                               in.kind == Kind::python ? "read --requirements" : "read --npm-lock");
  if (!bytes) {
    return std::unexpected(bytes.error());
  }
  in.lock_bytes = *std::move(bytes);
  if (in.kind == Kind::node) {
    const std::string manifest = (std::filesystem::path(in.lockfile).parent_path() / "package.json").string();
    auto json = read_small_file(manifest, kLockLimit, "read package.json beside --npm-lock");
    if (!json) {
      return std::unexpected(json.error());
    }
    in.package_json = *std::move(json);
  }
  for (const std::string& dir : lang.find_links) {
    auto listed = list_links(absolute(dir, cwd));
    if (!listed) {
      return std::unexpected(listed.error());
    }
    in.find_links.push_back(*std::move(listed));
  }
  return in;
}

}  // namespace strata::lang
