#include "probe/sys_libraries.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "probe/sys_fs.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

constexpr std::string_view kCachePath = "/etc/ld.so.cache";
constexpr std::int32_t kAbiMask = 0xff00;

// The flags' "no requirement" ABI is the platform's 32-bit default; name it
// after the native ABI it sits beside (i386 next to x86-64).
std::string arch_name(std::int32_t flags, std::int32_t native_abi) {
  if (const std::string_view name = ld_cache_arch(flags); !name.empty()) {
    return std::string(name);
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kDefault32{{
      {"x86-64", "i386"},
      {"x32", "i386"},
      {"aarch64", "arm"},
      {"armhf", "arm"},
      {"ppc64", "ppc"},
      {"s390x", "s390"},
      {"sparc64", "sparc"},
      {"mips64", "mips"},
  }};
  const std::string_view native = ld_cache_arch(native_abi);
  const auto it =
      std::ranges::find(kDefault32, native, &std::pair<std::string_view, std::string_view>::first);
  return std::string(it == kDefault32.end() ? std::string_view("32-bit") : it->second);
}

nlohmann::json library_json(LinkResolver& links, const LdCacheEntry& entry, const std::string& arch) {
  const auto real = links.resolve(entry.path);
  const std::string target = real ? std::string(base_name(*real)) : std::string();
  const auto version = real ? so_version(target) : std::nullopt;
  nlohmann::json out = {{"path", entry.path},
                        {"target", real ? nlohmann::json(target) : nlohmann::json()},
                        {"version", version ? nlohmann::json(*version) : nlohmann::json()},
                        {"arch", arch.empty() ? nlohmann::json() : nlohmann::json(arch)}};
  if (!entry.hwcaps.empty()) {
    out["hwcaps"] = entry.hwcaps;
  }
  return out;
}

void add_cached_libraries(const Root& root, const Loader& loader, const std::vector<LdCacheEntry>& entries,
                          Facts& facts) {
  const std::int32_t native = native_cache_abi(entries, base_name(loader.path));
  LinkResolver links(root);
  for (const auto& [soname, choice] : group_cache_entries(entries, native)) {
    nlohmann::json value = library_json(links, choice.primary, arch_name(choice.primary.flags, native));
    if (!choice.alternates.empty()) {
      nlohmann::json alternates = nlohmann::json::array();
      for (const LdCacheEntry& other : choice.alternates) {
        nlohmann::json alt = {{"path", other.path}, {"arch", arch_name(other.flags, native)}};
        if (!other.hwcaps.empty()) {
          alt["hwcaps"] = other.hwcaps;
        }
        alternates.push_back(std::move(alt));
      }
      value["alternates"] = std::move(alternates);
    }
    add(facts, "library." + soname, std::move(value), std::string(kCachePath));
  }
}

// Without a cache the loader searches its directories; list them and take
// every lib*.so.* name except a versioned file whose soname link is beside it.
void add_listed_libraries(const Root& root, const Loader& loader, const SearchPath& search, Facts& facts) {
  std::vector<std::string> dirs = search.dirs;
  const std::string triplet = multiarch_triplet(loader);
  for (std::string dir : {std::string("/lib"), std::string("/usr/lib"), std::string("/usr/local/lib"),
                          triplet.empty() ? std::string() : "/lib/" + triplet,
                          triplet.empty() ? std::string() : "/usr/lib/" + triplet}) {
    if (!dir.empty() && std::ranges::find(dirs, dir) == dirs.end()) {
      dirs.push_back(std::move(dir));
    }
  }
  LinkResolver links(root);
  for (const std::string& dir : dirs) {
    const std::vector<std::string> names = root.list(dir);
    const std::set<std::string_view> present(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string soname = implied_soname(name);
      const std::string key = "library." + name;
      if (!name.starts_with("lib") || name.find(".so.") == std::string::npos ||
          (soname != name && present.contains(soname)) || facts.contains(key)) {
        continue;
      }
      const LdCacheEntry entry{.soname = name, .path = join_path(dir, name), .flags = 0, .hwcaps = {}};
      add(facts, key, library_json(links, entry, {}), dir);
    }
  }
}

}  // namespace

std::map<std::string, LibraryChoice, std::less<>> group_cache_entries(
    const std::vector<LdCacheEntry>& entries, std::int32_t native_abi) {
  std::map<std::string, std::vector<const LdCacheEntry*>, std::less<>> by_soname;
  for (const LdCacheEntry& entry : entries) {
    by_soname[entry.soname].push_back(&entry);
  }
  std::map<std::string, LibraryChoice, std::less<>> out;
  for (const auto& [soname, group] : by_soname) {
    const auto native = [&](const LdCacheEntry* e) {
      return (e->flags & kAbiMask) == native_abi;
    };
    auto primary =
        std::ranges::find_if(group, [&](const LdCacheEntry* e) { return native(e) && e->hwcaps.empty(); });
    if (primary == group.end()) {
      primary = std::ranges::find_if(group, native);
    }
    if (primary == group.end()) {
      primary = group.begin();
    }
    LibraryChoice choice{.primary = **primary, .alternates = {}};
    for (auto it = group.begin(); it != group.end(); ++it) {
      if (it != primary) {
        choice.alternates.push_back(**it);
      }
    }
    out.emplace(soname, std::move(choice));
  }
  return out;
}

std::int32_t native_cache_abi(const std::vector<LdCacheEntry>& entries, std::string_view loader) {
  std::map<std::int32_t, int> counts;
  for (const LdCacheEntry& entry : entries) {
    if (!loader.empty() && entry.soname == loader) {
      return entry.flags & kAbiMask;
    }
    ++counts[entry.flags & kAbiMask];
  }
  const auto most = std::ranges::max_element(counts, {}, [](const auto& kv) { return kv.second; });
  return most == counts.end() ? 0 : most->first;
}

std::string implied_soname(std::string_view file_name) {
  const auto so = file_name.find(".so.");
  if (so == std::string_view::npos) {
    return std::string(file_name);
  }
  return std::string(file_name.substr(0, file_name.find('.', so + 4)));
}

void add_library_facts(const Root& root, const Loader& loader, const SearchPath& search, Facts& facts) {
  const auto bytes = read_whole(root, kCachePath);
  if (!bytes) {
    add_listed_libraries(root, loader, search, facts);
    return;
  }
  const auto entries = parse_ld_cache(*bytes);
  add(facts, "ld.cache",
      {{"path", kCachePath}, {"valid", entries.has_value()}, {"entries", entries ? entries->size() : 0}},
      std::string(kCachePath));
  if (entries) {
    add_cached_libraries(root, loader, *entries, facts);
  }
}

}  // namespace strata::probe::sys
