#include "vm/initramfs.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/files.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace strata::vm {

namespace {

namespace fs = std::filesystem;

// ---- modules.dep ----

// modules.dep of a distribution kernel is about 0.5 MB.
constexpr std::size_t kModulesDepLimit = std::size_t{64} << 20;

// "kernel/drivers/char/virtio_console.ko.xz" -> "virtio_console"; empty for
// a path that is no module.
std::string module_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t ko = base.rfind(".ko");
  if (ko == std::string_view::npos || ko == 0) {
    return {};
  }
  const std::string_view suffix = base.substr(ko);
  if (suffix != ".ko" && suffix != ".ko.xz" && suffix != ".ko.zst" && suffix != ".ko.gz") {
    return {};
  }
  std::string name(base.substr(0, ko));
  std::ranges::replace(name, '-', '_');
  return name;
}

std::string canonical_name(std::string name) {
  std::ranges::replace(name, '-', '_');
  return name;
}

std::string_view trim(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    return {};
  }
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// Calls `line` for each line of `text`.
template <class F>
void for_each_line(std::string_view text, const F& line) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    line(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
}

// One module's line in modules.dep: "path: dep dep ...", paths relative to
// the modules directory (absolute in files from before kmod).
struct DepLine {
  std::string_view path;
  std::string_view deps;
};

class ModuleGraph {
 public:
  ModuleGraph(std::string modules_dir, std::string dep_text)
      : dir_(std::move(modules_dir)), text_(std::move(dep_text)) {
    for_each_line(text_, [this](std::string_view line) {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        return;
      }
      const std::string_view path = trim(line.substr(0, colon));
      std::string name = module_name(path);
      if (!name.empty()) {
        lines_.try_emplace(std::move(name), DepLine{.path = path, .deps = line.substr(colon + 1)});
      }
    });
  }

  [[nodiscard]] bool has(const std::string& name) const { return lines_.contains(name); }

  // Appends `name` after its dependencies, unless already there.
  Result<> add(const std::string& name, std::vector<Module>& out) {
    if (done_.contains(name)) {
      return {};
    }
    if (!visiting_.insert(name).second) {
      return fail("resolve kernel modules", dir_ + "/modules.dep", "a dependency cycle through " + name);
    }
    const DepLine& line = lines_.at(name);
    for (std::string_view deps = trim(line.deps); !deps.empty();) {
      const std::size_t end = std::min(deps.find_first_of(" \t"), deps.size());
      const std::string_view dep_path = deps.substr(0, end);
      deps = trim(deps.substr(end));
      const std::string dep = module_name(dep_path);
      if (dep.empty()) {
        continue;
      }
      if (has(dep)) {
        if (auto added = add(dep, out); !added) {
          return added;
        }
      } else if (done_.insert(dep).second) {
        // Listed as a dependency without a line of its own: load it as it is.
        out.push_back(Module{.name = dep, .path = full_path(dep_path)});
      }
    }
    visiting_.erase(name);
    done_.insert(name);
    out.push_back(Module{.name = name, .path = full_path(line.path)});
    return {};
  }

 private:
  [[nodiscard]] std::string full_path(std::string_view path) const {
    return path.starts_with('/') ? std::string(path) : (fs::path(dir_) / path).lexically_normal().string();
  }

  std::string dir_;
  std::string text_;  // lines_ points into it
  std::unordered_map<std::string, DepLine> lines_;
  std::unordered_set<std::string> visiting_;
  std::unordered_set<std::string> done_;
};

Result<std::string> read_modules_file(const std::string& modules_dir, const std::string& file) {
  const std::string path = modules_dir + "/" + file;
  auto text = read_small_file(path, kModulesDepLimit, "read kernel modules");
  if (!text && text.error().err == ENOENT) {
    return fail("read kernel modules", path, "missing (run depmod for this kernel)");
  }
  return text;
}

// Names from modules.builtin: modules compiled into the kernel.
Result<std::unordered_set<std::string>> builtin_names(const std::string& modules_dir) {
  const std::string path = modules_dir + "/modules.builtin";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::unordered_set<std::string>{};
  }
  auto text = read_modules_file(modules_dir, "modules.builtin");
  if (!text) {
    return std::unexpected(text.error());
  }
  std::unordered_set<std::string> names;
  for_each_line(*text, [&names](std::string_view line) {
    if (std::string name = module_name(trim(line)); !name.empty()) {
      names.insert(std::move(name));
    }
  });
  return names;
}

// ---- newc cpio ----

// The "new ASCII" cpio format the kernel unpacks (Documentation/
// driver-api/early-userspace/buffer-format.rst): a 110-byte header of hex
// fields, the NUL-terminated name, then the data, each padded to 4 bytes.
class CpioWriter {
 public:
  explicit CpioWriter(int fd) : fd_(fd) {}

  Result<> directory(std::string_view name) { return header(name, S_IFDIR | 0755U, 0, 2, 0); }

  Result<> char_device(std::string_view name, unsigned mode, unsigned major, unsigned minor) {
    return header(name, S_IFCHR | mode, 0, 1, makedev(major, minor));
  }

  Result<> file(std::string_view name, unsigned mode, std::string_view bytes) {
    if (auto written = header(name, S_IFREG | mode, bytes.size(), 1, 0); !written) {
      return written;
    }
    pending_ += bytes;
    offset_ += bytes.size();
    pad();
    return {};
  }

  // A copy of the file at `source`, made by the kernel (sendfile) rather
  // than through a buffer here.
  Result<> copy(std::string_view name, unsigned mode, const std::string& source) {
    const UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    struct stat st = {};
    if (!in || ::fstat(in.get(), &st) != 0) {
      return fail_errno("copy into the initramfs", source);
    }
    if (!S_ISREG(st.st_mode)) {
      return fail("copy into the initramfs", source, "not a regular file");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (auto written = header(name, S_IFREG | mode, size, 1, 0); !written) {
      return written;
    }
    if (auto flushed = flush(); !flushed) {
      return flushed;
    }
    if (auto copied = copy_data(in.get(), size, source); !copied) {
      return copied;
    }
    offset_ += size;
    pad();
    return {};
  }

  Result<> finish() {
    if (auto written = header("TRAILER!!!", 0, 0, 1, 0); !written) {
      return written;
    }
    return flush();
  }

 private:
  Result<> header(std::string_view name, unsigned mode, std::uint64_t size, unsigned nlink, dev_t rdev) {
    if (size > 0xFFFFFFFFU) {
      return fail("write the initramfs", std::string(name), "larger than the 4 GiB a cpio entry holds");
    }
    // Fields: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
    // devminor, rdevmajor, rdevminor, namesize (with the NUL), check.
    const std::string text = fmt::format(
        "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}", next_ino_++,
        mode, 0, 0, nlink, 0, size, 0, 0, major(rdev), minor(rdev), name.size() + 1, 0);
    pending_ += text;
    pending_ += name;
    pending_ += '\0';
    offset_ += text.size() + name.size() + 1;
    pad();
    return {};
  }

  void pad() {
    const std::size_t padding = (4 - offset_ % 4) % 4;
    pending_.append(padding, '\0');
    offset_ += padding;
  }

  Result<> flush() {
    auto written = write_all(fd_, pending_, "write the initramfs", "");
    pending_.clear();
    return written;
  }

  Result<> copy_data(int in, std::uint64_t size, const std::string& source) const {
    off_t at = 0;
    while (static_cast<std::uint64_t>(at) < size) {
      const std::size_t chunk = std::min<std::uint64_t>(size - static_cast<std::uint64_t>(at), 1U << 30U);
      const ssize_t n = ::sendfile(fd_, in, &at, chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && at == 0 && (errno == EINVAL || errno == ENOSYS)) {
        return copy_buffered(in, size, source);
      }
      if (n < 0) {
        return fail_errno("copy into the initramfs", source);
      }
      if (n == 0) {
        return fail("copy into the initramfs", source, "the file shrank while it was copied");
      }
    }
    return {};
  }

  // For an `fd` sendfile cannot write to.
  Result<> copy_buffered(int in, std::uint64_t size, const std::string& source) const {
    std::string buffer(std::size_t{1} << 20, '\0');
    std::uint64_t done = 0;
    while (done < size) {
      const ssize_t n = ::pread(in, buffer.data(), std::min<std::uint64_t>(buffer.size(), size - done),
                                static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return n < 0 ? fail_errno("copy into the initramfs", source)
                     : fail("copy into the initramfs", source, "the file shrank while it was copied");
      }
      if (auto written = write_all(fd_, std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                                   "write the initramfs", "");
          !written) {
        return written;
      }
      done += static_cast<std::uint64_t>(n);
    }
    return {};
  }

  int fd_;
  std::uint64_t offset_ = 0;
  std::uint32_t next_ino_ = 1;
  std::string pending_;  // headers and small files, written before each copy
};

// A module's place in the cpio: its absolute path without the leading '/'.
Result<std::string> entry_name(const std::string& path) {
  const fs::path normal = fs::path(path).lexically_normal();
  const bool upward = std::ranges::any_of(normal, [](const fs::path& part) { return part == ".."; });
  if (!normal.is_absolute() || upward || !normal.has_filename()) {
    return fail("write the initramfs", path, "a module path must be absolute and name a file");
  }
  return normal.relative_path().string();
}

}  // namespace

std::vector<std::string> guest_module_names(bool network) {
  std::vector<std::string> names{"virtio_mmio", "virtio_console", "virtiofs"};
  if (network) {
    names.emplace_back("virtio_net");
  }
  return names;
}

Result<std::vector<Module>> resolve_modules(const std::string& modules_dir,
                                            const std::vector<std::string>& names) {
  std::vector<Module> out;
  if (modules_dir.empty()) {
    return out;
  }
  auto dep_text = read_modules_file(modules_dir, "modules.dep");
  if (!dep_text) {
    return std::unexpected(dep_text.error());
  }
  ModuleGraph graph(modules_dir, std::move(*dep_text));
  std::optional<std::unordered_set<std::string>> builtin;  // read only when needed
  for (const std::string& requested : names) {
    const std::string name = canonical_name(requested);
    if (graph.has(name)) {
      if (auto added = graph.add(name, out); !added) {
        return std::unexpected(added.error());
      }
      continue;
    }
    if (!builtin) {
      auto read = builtin_names(modules_dir);
      if (!read) {
        return std::unexpected(read.error());
      }
      builtin = std::move(*read);
    }
    if (!builtin->contains(name)) {
      return fail("find kernel module", modules_dir,
                  fmt::format("{} is neither in modules.dep nor built in (modules.builtin)", requested));
    }
  }
  return out;
}

Result<std::string> find_guest_init() {
  std::error_code ec;
  const fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec) {
    return fail_errno("find strata-vm-init", "/proc/self/exe", ec.value());
  }
  for (const fs::path& candidate :
       {dir / "strata-vm-init", dir.parent_path() / "libexec/strata/strata-vm-init"}) {
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  static bool warned = false;
  if (!warned) {
    warned = true;
    struct stat st = {};
    const std::size_t mib =
        ::stat("/proc/self/exe", &st) == 0 ? static_cast<std::size_t>(st.st_size) >> 20U : 0;
    log::warn(
        "no strata-vm-init beside strata or in ../libexec/strata: the VM's init is strata itself, {} MiB "
        "with "
        "its debug info, which slows every VM start",
        mib);
  }
  return std::string("/proc/self/exe");
}

Result<> write_initramfs(int fd, const std::string& init_binary, const std::vector<Module>& modules) {
  std::set<std::string> directories{"dev", "proc", "sys", "newroot", "strata", "lib", "lib/modules"};
  std::vector<std::string> names;
  std::string list;
  for (const Module& module : modules) {
    auto name = entry_name(module.path);
    if (!name) {
      return std::unexpected(name.error());
    }
    for (fs::path parent = fs::path(*name).parent_path(); !parent.empty(); parent = parent.parent_path()) {
      directories.insert(parent.string());
    }
    list += "/" + *name + "\n";
    names.push_back(std::move(*name));
  }

  CpioWriter cpio(fd);
  // std::set's order puts each directory before what it holds.
  for (const std::string& directory : directories) {
    if (auto written = cpio.directory(directory); !written) {
      return written;
    }
  }
  // The kernel opens /dev/console for init's stdio before init runs, from
  // the initramfs: devtmpfs is not mounted there yet.
  if (auto written = cpio.char_device("dev/console", 0600, 5, 1); !written) {
    return written;
  }
  if (auto written = cpio.copy("init", 0755, init_binary); !written) {
    return written;
  }
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (auto written = cpio.copy(names[i], 0644, modules[i].path); !written) {
      return written;
    }
  }
  if (auto written = cpio.file(std::string_view(kModuleListPath).substr(1), 0644, list); !written) {
    return written;
  }
  return cpio.finish();
}

}  // namespace strata::vm
