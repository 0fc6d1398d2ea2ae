#include "probe/sys_ld_conf.hpp"

#include <fnmatch.h>
#include <strings.h>

#include <algorithm>
#include <set>

#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

constexpr int kMaxIncludeDepth = 8;
// Files read per ld.so.conf, so that an image's include fan-out ("include a
// a a" nested 8 deep) cannot make the probe read 3^8 files.
constexpr int kMaxConfFiles = 256;

struct ConfWalk {
  std::vector<std::string> dirs;
  int files_left = kMaxConfFiles;
};

bool has_wildcard(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

// ldconfig's include: glob(3) on the pattern. The tree is read through the
// root, so the last component is matched with fnmatch(3) against a listing.
std::vector<std::string> expand_include(const Root& root, const std::string& pattern) {
  if (!has_wildcard(pattern)) {
    return {pattern};
  }
  const std::string_view dir = dir_name(pattern);
  const std::string base(base_name(pattern));
  std::vector<std::string> out;
  if (has_wildcard(dir)) {
    return out;
  }
  for (const std::string& name : root.list(dir)) {
    // FNM_PERIOD: glob(3) without GLOB_PERIOD skips dot files too.
    if (::fnmatch(base.c_str(), name.c_str(), FNM_PERIOD) == 0) {
      out.push_back(join_path(dir, name));
    }
  }
  return out;
}

void append_unique(std::vector<std::string>& dirs, std::string dir) {
  while (dir.size() > 1 && dir.ends_with('/')) {
    dir.pop_back();
  }
  if (!dir.empty() && std::ranges::find(dirs, dir) == dirs.end()) {
    dirs.push_back(std::move(dir));
  }
}

bool starts_with_word(std::string_view line, const char* word) {
  const std::size_t n = std::char_traits<char>::length(word);
  return line.size() > n && ::strncasecmp(line.data(), word, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

void read_conf(const Root& root, const std::string& path, int depth, ConfWalk& walk) {
  if (depth > kMaxIncludeDepth || walk.files_left <= 0) {
    return;
  }
  --walk.files_left;
  const auto text = root.read(path, std::size_t{1} << 20);
  if (!text) {
    return;
  }
  for (std::string_view line : split_lines(*text)) {
    line = trim(line.substr(0, line.find('#')));
    if (starts_with_word(line, "include")) {
      std::string_view rest = trim(line.substr(7));
      while (!rest.empty()) {
        const auto end = rest.find_first_of(" \t");
        const std::string_view word = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : trim(rest.substr(end));
        const std::string pattern =
            word.starts_with('/') ? std::string(word) : join_path(dir_name(path), word);
        for (const std::string& file : expand_include(root, pattern)) {
          read_conf(root, file, depth + 1, walk);
        }
      }
    } else if (!line.empty() && !starts_with_word(line, "hwcap")) {
      // "dir=libc5" is the libc5-era type suffix ldconfig still accepts.
      append_unique(walk.dirs, std::string(line.substr(0, line.find('='))));
    }
  }
}

SearchPath glibc_search_path(const Root& root, const Loader& loader) {
  SearchPath search{.dirs = read_ld_so_conf(root, "/etc/ld.so.conf"), .source = "/etc/ld.so.conf"};
  // The trusted directories built into ld.so: Debian's multiarch pair then
  // /lib:/usr/lib; elsewhere slibdir/libdir (/lib64:/usr/lib64 on 64-bit).
  const std::string triplet = multiarch_triplet(loader);
  if (!triplet.empty()) {
    append_unique(search.dirs, "/lib/" + triplet);
    append_unique(search.dirs, "/usr/lib/" + triplet);
  } else if (loader.path.starts_with("/lib64/")) {
    append_unique(search.dirs, "/lib64");
    append_unique(search.dirs, "/usr/lib64");
  }
  if (!triplet.empty() || !loader.path.starts_with("/lib64/")) {
    append_unique(search.dirs, "/lib");
    append_unique(search.dirs, "/usr/lib");
  }
  return search;
}

SearchPath musl_search_path(const Root& root, const Loader& loader) {
  // ld-musl-x86_64.so.1 reads /etc/ld-musl-x86_64.path, which replaces its
  // default path (dirs separated by newlines or colons).
  std::string_view arch = base_name(loader.path);
  arch.remove_prefix(std::min(arch.size(), std::string_view("ld-musl-").size()));
  arch = arch.substr(0, arch.find(".so"));
  const std::string file = "/etc/ld-musl-" + std::string(arch) + ".path";
  SearchPath search{.dirs = {}, .source = file};
  const auto text = root.read(file, 65536);
  std::string_view rest = text ? std::string_view(*text) : std::string_view("/lib:/usr/local/lib:/usr/lib");
  if (!text) {
    search.source = loader.path;  // the built-in default
  }
  while (!rest.empty()) {
    const auto end = rest.find_first_of(":\n");
    if (const auto dir = trim(rest.substr(0, end)); !dir.empty()) {
      append_unique(search.dirs, std::string(dir));
    }
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return search;
}

// One entry per subdirectory name, at the first search dir that has it: on a
// merged-/usr system /lib/<triplet> and /usr/lib/<triplet> are one directory.
nlohmann::json hwcaps_dirs(const Root& root, const std::vector<std::string>& dirs) {
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string, std::less<>> seen;
  for (const std::string& dir : dirs) {
    const std::string base = join_path(dir, "glibc-hwcaps");
    for (const std::string& name : root.list(base)) {
      if (!seen.contains(name) && root.is_dir(join_path(base, name))) {
        seen.insert(name);
        out.push_back({{"name", name}, {"path", join_path(base, name)}});
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> read_ld_so_conf(const Root& root, std::string_view path) {
  ConfWalk walk;
  read_conf(root, std::string(path), 0, walk);
  return std::move(walk.dirs);
}

std::string multiarch_triplet(const Loader& loader) {
  const std::string_view dir = base_name(dir_name(loader.target));
  return dir.find("-linux-") != std::string_view::npos ? std::string(dir) : std::string();
}

SearchPath search_path(const Root& root, const Loader& loader) {
  switch (loader.flavour) {
    case LibcFlavour::glibc:
      return glibc_search_path(root, loader);
    case LibcFlavour::musl:
      return musl_search_path(root, loader);
    case LibcFlavour::none:
      break;
  }
  return {};
}

void add_ld_facts(const Root& root, const Loader& loader, const SearchPath& search, Facts& facts) {
  if (loader.flavour == LibcFlavour::none) {
    return;
  }
  add(facts, "ld.path", loader.path, loader.path);
  add(facts, "ld.target", loader.target, loader.path);
  add(facts, "ld.search_path", search.dirs, search.source);
  if (loader.flavour == LibcFlavour::glibc) {
    add(facts, "ld.hwcaps", hwcaps_dirs(root, search.dirs), "glibc-hwcaps directories of ld.search_path");
  }
}

}  // namespace strata::probe::sys
