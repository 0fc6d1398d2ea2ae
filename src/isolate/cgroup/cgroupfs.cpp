#include "isolate/cgroup/cgroupfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <memory>
#include <thread>

namespace strata {

namespace {

// Deeper than any cgroup tree a kernel allows by default; a guard, not a limit.
constexpr int kMaxNesting = 64;
constexpr int kRmdirTries = 200;
constexpr auto kRmdirPause = std::chrono::milliseconds(5);

Result<std::string> read_all(int fd, const std::string& display) {
  std::string text;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail_errno("read", display);
    }
    if (got == 0) {
      return text;
    }
    text.append(buffer.data(), static_cast<std::size_t>(got));
  }
}

// The names of the cgroups directly below `dir`.
Result<std::vector<std::string>> child_cgroups(int dir, const std::string& display) {
  const int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail_errno("open cgroup", display);
  }
  const std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(fd), ::closedir);
  if (!stream) {
    const int err = errno;
    ::close(fd);
    return fail_errno("list cgroup", display, err);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(stream.get())) {
    const std::string_view name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  return names;
}

Result<> collect_below(int dir, const std::string& display, std::vector<pid_t>& out, int depth) {
  auto procs = read_cgroup_file(dir, "cgroup.procs", display);
  // A nested cgroup its owner removed meanwhile: ENODEV once open, else gone.
  if (!procs && procs.error().err == ENODEV && depth > 0) {
    return {};
  }
  if (!procs) {
    return std::unexpected(procs.error());
  }
  if (!*procs) {
    return {};
  }
  auto pids = parse_pids(**procs);
  if (!pids) {
    return std::unexpected(pids.error());
  }
  out.insert(out.end(), pids->begin(), pids->end());
  auto children = child_cgroups(dir, display);
  if (!children) {
    return std::unexpected(children.error());
  }
  if (!children->empty() && depth >= kMaxNesting) {
    return fail("list cgroup", display, "nested too deeply");
  }
  for (const auto& name : *children) {
    const std::string path = join_path(display, name);
    auto child = open_cgroup_dir(dir, name, path);
    if (!child && child.error().err == ENOENT) {
      continue;
    }
    if (!child) {
      return std::unexpected(child.error());
    }
    if (auto ok = collect_below(child->get(), path, out, depth + 1); !ok) {
      return ok;
    }
  }
  return {};
}

Result<> remove_below(int parent, const std::string& name, const std::string& display, int depth) {
  auto dir = open_cgroup_dir(parent, name, display);
  if (!dir && dir.error().err == ENOENT) {
    return {};
  }
  if (!dir) {
    return std::unexpected(dir.error());
  }
  auto children = child_cgroups(dir->get(), display);
  if (!children) {
    return std::unexpected(children.error());
  }
  for (const auto& child : *children) {
    if (depth >= kMaxNesting) {
      return fail("remove cgroup", display, "nested too deeply");
    }
    if (auto ok = remove_below(dir->get(), child, join_path(display, child), depth + 1); !ok) {
      return ok;
    }
  }
  dir->reset();
  for (int attempt = 0;; ++attempt) {
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
      return {};
    }
    if (errno != EBUSY || attempt == kRmdirTries) {
      return fail_errno("remove cgroup", display);
    }
    std::this_thread::sleep_for(kRmdirPause);
  }
}

}  // namespace

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  out += name;
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  for (;;) {
    const auto at = text.find(separator);
    pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) {
      return pieces;
    }
    text.remove_prefix(at + 1);
  }
}

Result<std::string> read_text_file(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open", path);
  }
  return read_all(fd.get(), path);
}

Result<UniqueFd> open_cgroup_dir(int at, const std::string& name, const std::string& display) {
  UniqueFd fd(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail_errno("open cgroup", display);
  }
  return fd;
}

Result<std::optional<std::string>> read_cgroup_file(int dir, const std::string& name,
                                                    const std::string& display) {
  const std::string path = join_path(display, name);
  const UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && errno == ENOENT) {
    return std::nullopt;
  }
  if (!fd) {
    return fail_errno("open", path);
  }
  auto text = read_all(fd.get(), path);
  if (!text) {
    return std::unexpected(text.error());
  }
  return std::optional<std::string>(std::move(*text));
}

Result<> write_cgroup_file(int dir, const std::string& name, std::string_view value,
                           const std::string& display, const std::string& step) {
  const std::string path = join_path(display, name);
  const UniqueFd fd(::openat(dir, name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail_errno(step, path);
  }
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return fail_errno(step, path);
  }
  return {};
}

bool has_cgroup_file(int dir, const std::string& name) {
  return ::faccessat(dir, name.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

std::map<std::string, std::uint64_t, std::less<>> parse_keyed(std::string_view text) {
  std::map<std::string, std::uint64_t, std::less<>> values;
  for (const auto line : split(text, '\n')) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
      continue;
    }
    const auto number = line.substr(space + 1);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc() && end == number.data() + number.size()) {
      values.emplace(line.substr(0, space), value);
    }
  }
  return values;
}

Result<std::vector<pid_t>> parse_pids(std::string_view text) {
  std::vector<pid_t> pids;
  for (const auto line : split(text, '\n')) {
    if (line.empty()) {
      continue;
    }
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
    if (ec != std::errc() || end != line.data() + line.size() || pid <= 0) {
      return fail("parse cgroup.procs", std::string(line), "not a process id");
    }
    pids.push_back(pid);
  }
  return pids;
}

Result<> collect_pids(int dir, const std::string& display, std::vector<pid_t>& out) {
  return collect_below(dir, display, out, 0);
}

Result<> remove_cgroup_tree(int parent, const std::string& name, const std::string& display) {
  return remove_below(parent, name, display, 0);
}

}  // namespace strata
