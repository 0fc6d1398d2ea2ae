// Where the cgroup hierarchies are, read from /proc/self/mountinfo rather
// than assumed: /sys/fs/cgroup is v2 on current distributions, a tmpfs of v1
// mounts on older ones, both under systemd's hybrid mode, and anywhere at all
// inside containers.
#include <algorithm>
#include <array>
#include <charconv>

#include "isolate/cgroup/cgroup.hpp"
#include "isolate/cgroup/cgroupfs.hpp"

namespace strata {

namespace {

// v1 mount options that name a controller; the others (rw, xattr,
// release_agent=..., clone_children, noprefix) do not. "name=..." hierarchies
// have no controller but are kept under their name.
constexpr std::array<std::string_view, 15> kV1Controllers{
    "blkio",  "cpu",  "cpuacct", "cpuset",   "debug",      "devices", "freezer", "hugetlb",
    "memory", "misc", "net_cls", "net_prio", "perf_event", "pids",    "rdma",
};

bool is_v1_hierarchy_option(std::string_view option) {
  return option.starts_with("name=") || std::ranges::find(kV1Controllers, option) != kV1Controllers.end();
}

// The kernel escapes space, tab, newline and backslash in mountinfo as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto octal = [&](std::size_t at) {
      return field[at] >= '0' && field[at] <= '7';
    };
    if (field[i] == '\\' && i + 3 < field.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

struct MountLine {
  std::string root;
  std::string mount_point;
  std::string_view fstype;
  std::string_view super_options;
};

// "36 35 98:0 /root /mnt/point rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
// a variable number of optional fields ends at the "-".
Result<MountLine> parse_mount_line(std::string_view line) {
  const auto fields = split(line, ' ');
  const auto dash =
      std::find(fields.begin() + std::min<std::ptrdiff_t>(6, std::ssize(fields)), fields.end(), "-");
  if (fields.size() < 10 || dash == fields.end() || fields.end() - dash != 4) {
    return fail("parse mountinfo line", std::string(line),
                "expected 'id parent dev root point options ... - "
                "type source super-options'");
  }
  return MountLine{.root = unescape(fields[3]),
                   .mount_point = unescape(fields[4]),
                   .fstype = dash[1],
                   .super_options = dash[3]};
}

// A later mount on the same point hides the earlier one; otherwise the first
// mount that shows the whole hierarchy wins (a container may also see bind
// mounts of parts of it).
void remember(CgroupMounts& mounts, std::string& point, const std::string& key, const MountLine& mount) {
  const auto root = mounts.roots.find(key);
  if (point.empty() || point == mount.mount_point || (mount.root == "/" && root->second != "/")) {
    point = mount.mount_point;
    mounts.roots[key] = mount.root;
  }
}

CgroupLayout layout_of(const CgroupMounts& mounts) {
  const bool v1 =
      std::ranges::any_of(mounts.v1, [](const auto& entry) { return !entry.first.starts_with("name="); });
  if (v1) {
    return mounts.unified.empty() ? CgroupLayout::v1 : CgroupLayout::hybrid;
  }
  return mounts.unified.empty() ? CgroupLayout::none : CgroupLayout::v2;
}

// `path` relative to a mount whose root is `root`, or nullopt when the mount
// does not show it.
std::optional<std::string> below_root(const std::string& path, const std::string& root) {
  if (root == "/") {
    return path;
  }
  if (path == root) {
    return "/";
  }
  if (path.starts_with(root) && path.size() > root.size() && path[root.size()] == '/') {
    return path.substr(root.size());
  }
  return std::nullopt;
}

}  // namespace

std::string_view layout_name(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::v1:
      return "v1";
    case CgroupLayout::v2:
      return "v2";
    case CgroupLayout::hybrid:
      return "hybrid";
    case CgroupLayout::none:
      break;
  }
  return "none";
}

Result<CgroupMounts> parse_cgroup_mounts(std::string_view mountinfo) {
  CgroupMounts mounts;
  for (const auto line : split(mountinfo, '\n')) {
    if (line.empty()) {
      continue;
    }
    auto mount = parse_mount_line(line);
    if (!mount) {
      return std::unexpected(mount.error());
    }
    if (mount->fstype == "cgroup2") {
      remember(mounts, mounts.unified, "", *mount);
    } else if (mount->fstype == "cgroup") {
      for (const auto option : split(mount->super_options, ',')) {
        if (is_v1_hierarchy_option(option)) {
          const std::string key(option);
          remember(mounts, mounts.v1[key], key, *mount);
        }
      }
    }
  }
  mounts.layout = layout_of(mounts);
  return mounts;
}

Result<std::map<std::string, std::string>> parse_proc_cgroup(std::string_view text) {
  std::map<std::string, std::string> hierarchies;
  for (const auto line : split(text, '\n')) {
    if (line.empty()) {
      continue;
    }
    // "4:memory:/a/b"; the path itself may contain ':'.
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    unsigned id = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + std::min(first, line.size()), id);
    if (second == std::string_view::npos || ec != std::errc() || end != line.data() + first ||
        line.substr(second + 1).empty() || line[second + 1] != '/') {
      return fail("parse /proc/self/cgroup line", std::string(line), "expected 'id:controllers:/path'");
    }
    hierarchies[std::string(line.substr(first + 1, second - first - 1))] = line.substr(second + 1);
  }
  return hierarchies;
}

CgroupMounts locate_own_cgroups(CgroupMounts mounts, const std::map<std::string, std::string>& proc_cgroup) {
  const auto locate = [&mounts](const std::string& key, const std::string& point, const std::string& path) {
    const auto relative = below_root(path, mounts.roots[key]);
    if (relative) {
      mounts.own[key] =
          OwnCgroup{.dir = *relative == "/" ? point : join_path(point, relative->substr(1)), .path = path};
    }
  };
  for (const auto& [hierarchy, path] : proc_cgroup) {
    if (hierarchy.empty()) {
      if (!mounts.unified.empty()) {
        locate("", mounts.unified, path);
      }
      continue;
    }
    for (const auto controller : split(hierarchy, ',')) {
      const auto point = mounts.v1.find(std::string(controller));
      if (point != mounts.v1.end()) {
        locate(point->first, point->second, path);
      }
    }
  }
  return mounts;
}

Result<CgroupMounts> detect_cgroups() {
  auto mountinfo = read_text_file("/proc/self/mountinfo");
  if (!mountinfo) {
    return std::unexpected(mountinfo.error());
  }
  auto mounts = parse_cgroup_mounts(*mountinfo);
  if (!mounts) {
    return mounts;
  }
  auto cgroup = read_text_file("/proc/self/cgroup");
  if (!cgroup) {
    return std::unexpected(cgroup.error());
  }
  auto hierarchies = parse_proc_cgroup(*cgroup);
  if (!hierarchies) {
    return std::unexpected(hierarchies.error());
  }
  return locate_own_cgroups(std::move(*mounts), *hierarchies);
}

}  // namespace strata
