#include "analyze/resolve.hpp"

#include <fmt/format.h>
#include <gelf.h>

#include "analyze/input.hpp"
#include "probe/sys_ld_conf.hpp"
#include "probe/sys_libc.hpp"

namespace strata::analyze {

namespace {

// A dependency graph larger than this is hostile or broken; stop there.
constexpr std::size_t kMaxObjects = 2048;

// The directories built into ld.so when no cache entry matches: Debian's
// multiarch pair then /lib:/usr/lib (`ld.so --help`: "system search path"),
// elsewhere slibdir/libdir (/lib64:/usr/lib64 on 64-bit).
std::vector<std::string> builtin_dirs(const probe::Root& root) {
  const probe::sys::Loader loader = probe::sys::find_loader(root);
  if (const std::string triplet = probe::sys::multiarch_triplet(loader); !triplet.empty()) {
    return {"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"};
  }
  if (loader.path.starts_with("/lib64/")) {
    return {"/lib64", "/usr/lib64"};
  }
  return {"/lib", "/usr/lib"};
}

void replace_token(std::string& text, std::string_view token, const std::string& value) {
  for (const std::string& form : {"${" + std::string(token) + "}", "$" + std::string(token)}) {
    for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at + value.size())) {
      text.replace(at, form.size(), value);
    }
  }
}

// $LIB and $PLATFORM as Debian's ld.so expands them on the requester's
// architecture (AT_PLATFORM is "x86_64" on every x86-64 CPU).
std::string expand_entry(std::string entry, const std::string& origin, const ElfInfo& elf) {
  replace_token(entry, "ORIGIN", origin);
  const bool x86_64 = elf.machine == EM_X86_64;
  replace_token(entry, "PLATFORM", x86_64 ? "x86_64" : machine_name(elf.machine));
  replace_token(entry, "LIB",
                x86_64                        ? "lib/x86_64-linux-gnu"
                : elf.elf_class == ELFCLASS64 ? "lib64"
                                              : "lib");
  return entry;
}

int hwcaps_level(std::string_view name) {
  return name.starts_with("x86-64-v") && name.size() == 9 && name[8] >= '2' && name[8] <= '4' ? name[8] - '0'
                                                                                              : 0;
}

}  // namespace

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t colon = std::min(list.find(':', start), list.size());
    if (colon > start) {
      out.push_back(list.substr(start, colon - start));
    }
    start = colon + 1;
  }
  return out;
}

std::string via_name(Via via) {
  switch (via) {
    case Via::path:
      return "path";
    case Via::rpath:
      return "rpath";
    case Via::ld_library_path:
      return "ld_library_path";
    case Via::runpath:
      return "runpath";
    case Via::cache:
      return "ld_so_cache";
    case Via::default_dirs:
      return "default_dirs";
    case Via::loaded:
      return "already_loaded";
    case Via::not_found:
      break;
  }
  return "not_found";
}

std::vector<std::string> expand_path_list(const std::string& list, const std::string& origin,
                                          const ElfInfo& elf) {
  std::vector<std::string> out;
  for (std::string& entry : split_list(list)) {
    out.push_back(expand_entry(std::move(entry), origin, elf));
  }
  return out;
}

struct Resolver::Search {
  const std::string& name;
  const ElfInfo& requester;
  Dependency& dep;
  Via via = Via::not_found;
  std::string entry;
};

Resolver::Resolver(const probe::Root& root, std::string prefix, ResolveOptions options)
    : root_(root),
      prefix_(std::move(prefix)),
      options_(std::move(options)),
      default_dirs_(builtin_dirs(root)) {
  const auto bytes = root_.read("/etc/ld.so.cache");
  if (!bytes) {
    cache_status_ = "no /etc/ld.so.cache";
  } else if (auto entries = probe::sys::parse_ld_cache(*bytes)) {
    cache_ = std::move(*entries);
    cache_status_ = fmt::format("/etc/ld.so.cache ({} entries)", cache_.size());
  } else {
    cache_status_ = "/etc/ld.so.cache is corrupt (ignored)";
  }
}

Result<std::shared_ptr<const ElfInfo>> Resolver::load(const std::string& path) const {
  if (auto it = loaded_.find(path); it != loaded_.end()) {
    return it->second;
  }
  Result<std::shared_ptr<const ElfInfo>> result = [&]() -> Result<std::shared_ptr<const ElfInfo>> {
    auto file = read_input(root_, prefix_, path);
    if (!file) {
      return std::unexpected(file.error());
    }
    auto elf = read_elf(std::span<char>(file->bytes), path);
    if (!elf) {
      return std::unexpected(elf.error());
    }
    return std::make_shared<const ElfInfo>(std::move(*elf));
  }();
  loaded_.emplace(path, result);
  return result;
}

bool Resolver::try_file(Search& search, const std::string& path) const {
  if (!root_.exists(path)) {
    return false;
  }
  auto elf = load(path);
  if (!elf) {
    const Error& e = elf.error();
    search.dep.skipped.push_back({.path = path, .reason = e.detail.empty() ? e.message() : e.detail});
    return false;
  }
  if ((*elf)->elf_class != search.requester.elf_class) {
    search.dep.skipped.push_back(
        {.path = path, .reason = "wrong ELF class: " + class_name((*elf)->elf_class)});
    return false;
  }
  if ((*elf)->machine != search.requester.machine) {
    search.dep.skipped.push_back({.path = path, .reason = "wrong machine: " + machine_name((*elf)->machine)});
    return false;
  }
  search.dep.path = path;
  search.dep.via = search.via;
  search.dep.entry = search.entry;
  return true;
}

bool Resolver::try_dir(Search& search, const std::string& dir, const std::string& label) const {
  search.dep.searched.push_back(label);
  const std::string base = dir.ends_with('/') ? dir : dir + "/";
  if (search.requester.machine == EM_X86_64) {
    for (int level = std::min(options_.cpu_level, 4); level >= 2; --level) {
      const std::string hwcaps = fmt::format("x86-64-v{}", level);
      if (try_file(search, fmt::format("{}glibc-hwcaps/{}/{}", base, hwcaps, search.name))) {
        search.dep.hwcaps = hwcaps;
        return true;
      }
    }
  }
  return try_file(search, base + search.name);
}

bool Resolver::try_path_list(Search& search, const std::vector<std::string>& entries,
                             const std::string& label, Via via, const std::string& origin) const {
  for (const std::string& entry : entries) {
    std::string dir = expand_entry(entry, origin, search.requester);
    if (!dir.starts_with('/')) {
      dir = fmt::format("{}/{}", options_.cwd, dir);
    }
    search.via = via;
    search.entry = entry;
    const std::string shown =
        dir == entry ? fmt::format("{} {}", label, dir) : fmt::format("{} {} -> {}", label, entry, dir);
    if (try_dir(search, dir, shown)) {
      return true;
    }
  }
  return false;
}

bool Resolver::try_cache(Search& search) const {
  search.dep.searched.emplace_back(cache_status_);
  search.via = Via::cache;
  search.entry.clear();
  std::vector<const probe::sys::LdCacheEntry*> order;
  for (int level = std::min(options_.cpu_level, 4); level >= 2 && search.requester.machine == EM_X86_64;
       --level) {
    for (const auto& entry : cache_) {
      if (entry.soname == search.name && hwcaps_level(entry.hwcaps) == level) {
        order.push_back(&entry);
      }
    }
  }
  for (const auto& entry : cache_) {
    if (entry.soname == search.name && entry.hwcaps.empty()) {
      order.push_back(&entry);
    }
  }
  for (const auto* entry : order) {
    if (try_file(search, entry->path)) {
      search.dep.hwcaps = entry->hwcaps;
      return true;
    }
  }
  return false;
}

std::optional<std::size_t> Resolver::already_loaded(const Closure& closure, const std::string& name,
                                                    const std::string& path) const {
  for (std::size_t i = 0; i < closure.objects.size(); ++i) {
    const LoadedObject& object = closure.objects[i];
    if (object.path == path || (path.empty() && (object.elf->soname == name || object.path == name))) {
      return i;
    }
  }
  for (const Dependency& dep : closure.dependencies) {
    if (path.empty() && dep.name == name && dep.object) {
      return dep.object;
    }
  }
  return std::nullopt;
}

Dependency Resolver::resolve_one(const Closure& closure, std::size_t requester, const std::string& name) {
  Dependency dep{.name = name, .requester = requester};
  const LoadedObject& object = closure.objects[requester];
  Search search{.name = name, .requester = *object.elf, .dep = dep};
  if (auto index = already_loaded(closure, name, "")) {
    dep.via = Via::loaded;
    dep.object = index;
    dep.path = closure.objects[*index].path;
    return dep;
  }
  bool found = false;
  if (name.find('/') != std::string::npos) {
    search.via = Via::path;
    found = try_file(search, name.starts_with('/') ? name : options_.cwd + "/" + name);
  }
  if (!found && name.find('/') == std::string::npos) {
    found = [&] {
      if (!object.elf->runpath) {
        for (std::optional<std::size_t> l = requester; l; l = closure.objects[*l].loader) {
          const LoadedObject& o = closure.objects[*l];
          if (o.elf->rpath && !o.elf->runpath &&
              try_path_list(search, split_list(*o.elf->rpath), "RPATH", Via::rpath, parent_dir(o.path))) {
            return true;
          }
        }
      }
      if (try_path_list(search, options_.library_path, "LD_LIBRARY_PATH", Via::ld_library_path, "")) {
        return true;
      }
      if (object.elf->runpath && try_path_list(search, split_list(*object.elf->runpath), "RUNPATH",
                                               Via::runpath, parent_dir(object.path))) {
        return true;
      }
      if (object.elf->nodeflib) {
        return false;
      }
      if (try_cache(search)) {
        return true;
      }
      search.via = Via::default_dirs;
      search.entry.clear();
      return try_path_list(search, default_dirs_, "default", Via::default_dirs, "");
    }();
  }
  if (found) {
    dep.object = already_loaded(closure, name, dep.path);
  }
  return dep;
}

Closure Resolver::resolve(const std::string& path, std::shared_ptr<const ElfInfo> elf) {
  Closure closure;
  closure.objects.push_back({.path = path, .elf = std::move(elf), .loader = std::nullopt});
  for (std::size_t i = 0; i < closure.objects.size() && closure.objects.size() < kMaxObjects; ++i) {
    const std::shared_ptr<const ElfInfo> requester = closure.objects[i].elf;
    for (const std::string& name : requester->needed) {
      Dependency dep = resolve_one(closure, i, name);
      if (dep.via != Via::not_found && !dep.object) {
        auto found = load(dep.path);
        dep.object = closure.objects.size();
        closure.objects.push_back({.path = dep.path, .elf = *found, .loader = i});
      }
      closure.dependencies.push_back(std::move(dep));
    }
  }
  return closure;
}

}  // namespace strata::analyze
