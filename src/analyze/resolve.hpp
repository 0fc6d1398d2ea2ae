// DT_NEEDED resolved the way glibc's ld.so does (elf/dl-load.c
// _dl_map_object), without running it: a name with a slash is a path;
// otherwise DT_RPATH of the requester and its loaders (only while none of
// them has DT_RUNPATH), LD_LIBRARY_PATH, the requester's DT_RUNPATH,
// /etc/ld.so.cache, then the default directories (skipped for
// DF_1_NODEFLIB). Each directory is tried with its glibc-hwcaps
// subdirectories for the target CPU's x86-64 level first. A candidate of
// the wrong ELF class or machine is skipped, as ld.so does, and a name
// already loaded (by its name or DT_SONAME) is reused.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyze/elf_file.hpp"
#include "probe/root.hpp"
#include "probe/sys_ld_cache.hpp"

namespace strata::analyze {

enum class Via { path, rpath, ld_library_path, runpath, cache, default_dirs, loaded, not_found };

// "rpath", "ld_library_path", "runpath", "ld_so_cache", "default_dirs",
// "path", "already_loaded", "not_found" (the JSON spelling).
[[nodiscard]] std::string via_name(Via via);

struct Skipped {
  std::string path;
  std::string reason;  // "wrong ELF class: ELF32"
};

struct Dependency {
  std::string name;           // as DT_NEEDED says
  std::size_t requester = 0;  // index in Closure::objects
  Via via = Via::not_found;
  std::string path;                   // the file found
  std::string entry;                  // the RPATH/RUNPATH/LD_LIBRARY_PATH entry as written
  std::string hwcaps;                 // "x86-64-v3" when found in a glibc-hwcaps subdirectory
  std::vector<std::string> searched;  // "RUNPATH $ORIGIN/../lib -> /opt/a/lib", "ld.so.cache", ...
  std::vector<Skipped> skipped;
  std::optional<std::size_t> object;  // the loaded object it resolved to
};

struct LoadedObject {
  std::string path;
  std::shared_ptr<const ElfInfo> elf;
  std::optional<std::size_t> loader;  // who needed it first (none for the file analyzed)
};

struct Closure {
  std::vector<LoadedObject> objects;  // [0] is the file analyzed, then load order
  std::vector<Dependency> dependencies;
};

struct ResolveOptions {
  std::vector<std::string> library_path;  // LD_LIBRARY_PATH's directories
  int cpu_level = 0;                      // x86-64 psABI level of the target CPU (0: no hwcaps)
  std::string cwd = "/";                  // for relative directories and names
};

class Resolver {
 public:
  Resolver(const probe::Root& root, std::string prefix, ResolveOptions options);

  [[nodiscard]] Closure resolve(const std::string& path, std::shared_ptr<const ElfInfo> elf);

  // What the cache lookup uses: "/etc/ld.so.cache (N entries)", "no /etc/ld.so.cache", ...
  [[nodiscard]] const std::string& cache_status() const { return cache_status_; }
  [[nodiscard]] const std::vector<std::string>& default_dirs() const { return default_dirs_; }
  [[nodiscard]] const ResolveOptions& options() const { return options_; }

 private:
  struct Search;
  Dependency resolve_one(const Closure& closure, std::size_t requester, const std::string& name);
  bool try_file(Search& search, const std::string& path) const;
  bool try_dir(Search& search, const std::string& dir, const std::string& label) const;
  bool try_path_list(Search& search, const std::vector<std::string>& entries, const std::string& label,
                     Via via, const std::string& origin) const;
  bool try_cache(Search& search) const;
  [[nodiscard]] std::optional<std::size_t> already_loaded(const Closure& closure, const std::string& name,
                                                          const std::string& path) const;
  [[nodiscard]] Result<std::shared_ptr<const ElfInfo>> load(const std::string& path) const;

  const probe::Root& root_;
  std::string prefix_;
  ResolveOptions options_;
  std::vector<probe::sys::LdCacheEntry> cache_;
  std::string cache_status_;
  std::vector<std::string> default_dirs_;
  mutable std::map<std::string, Result<std::shared_ptr<const ElfInfo>>, std::less<>> loaded_;
};

// "a::b:" -> {"a", "b"}: a colon-separated search list, empty entries dropped
// (RPATH, RUNPATH, LD_LIBRARY_PATH, --library-path).
[[nodiscard]] std::vector<std::string> split_list(const std::string& list);

// "$ORIGIN/../lib:/opt/x" -> its entries with $ORIGIN, $LIB and $PLATFORM
// (also as ${...}) replaced; empty entries are dropped.
[[nodiscard]] std::vector<std::string> expand_path_list(const std::string& list, const std::string& origin,
                                                        const ElfInfo& elf);

}  // namespace strata::analyze
