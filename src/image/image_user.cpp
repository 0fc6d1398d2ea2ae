// Reading a file through the layers' merged view, and the image's USER
// (image_user.hpp).
#include "image/image_user.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <deque>
#include <ranges>
#include <utility>

#include "base/parse.hpp"
#include "base/unique_fd.hpp"
#include "image/flatten.hpp"

namespace strata::image {

namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's path walk
constexpr std::uint64_t kMaxId = 4294967294ULL;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  for (const auto part : std::views::split(path, '/')) {
    const std::string_view name(part.begin(), part.end());
    if (!name.empty() && name != ".") {
      parts.emplace_back(name);
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string path;
  for (const std::string& part : parts) {
    path += (path.empty() ? "" : "/") + part;
  }
  return path;
}

enum class Kind { absent, dir, file, symlink, other };

// What the merged view has at one path: for a directory, the layers merged
// into it (top first); otherwise the one layer the entry comes from.
struct Found {
  Kind kind = Kind::absent;
  std::vector<std::size_t> layers;
  std::string link;
};

class MergedView {
 public:
  Result<> open(const std::vector<std::string>& layers);
  Result<std::optional<std::string>> read(const std::string& path, std::size_t limit) const;

 private:
  Result<Found> lookup(const std::vector<std::size_t>& parent_layers,
                       const std::vector<std::string>& parts) const;
  Result<std::vector<std::size_t>> dir_layers(const std::vector<std::string>& parts) const;
  Result<std::string> read_file(std::size_t layer, const std::string& rel, std::size_t limit,
                                const std::string& path) const;
  [[nodiscard]] std::vector<std::size_t> all_layers() const {
    std::vector<std::size_t> all(roots_.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      all[i] = i;
    }
    return all;
  }

  std::vector<UniqueFd> roots_;  // top first
  std::vector<std::string> names_;
};

Result<> MergedView::open(const std::vector<std::string>& layers) {
  for (const std::string& layer : std::ranges::reverse_view(layers)) {
    UniqueFd fd(::open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      return fail_errno("open layer", layer);
    }
    roots_.push_back(std::move(fd));
    names_.push_back(layer);
  }
  return {};
}

// Walks down from the top layer whose parent directory is merged: a whiteout
// stops the walk, a directory joins the merge (and stops it when opaque), a
// non-directory is the answer when no directory came above it.
Result<Found> MergedView::lookup(const std::vector<std::size_t>& parent_layers,
                                 const std::vector<std::string>& parts) const {
  const std::string rel = join(parts);
  const std::string parent_rel = join({parts.begin(), parts.end() - 1});
  Found found;
  for (const std::size_t layer : parent_layers) {
    const UniqueFd parent = open_beneath(roots_[layer].get(), parent_rel, O_PATH | O_DIRECTORY);
    struct stat st = {};
    if (!parent || ::fstatat(parent.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      return fail_errno("read image file", names_[layer] + "/" + rel);
    }
    if (is_whiteout(st) || (found.kind == Kind::dir && !S_ISDIR(st.st_mode))) {
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      found.kind = Kind::dir;
      found.layers.push_back(layer);
      const UniqueFd dir = open_beneath(roots_[layer].get(), rel, O_RDONLY | O_DIRECTORY);
      if (!dir) {
        return fail_errno("read image file", names_[layer] + "/" + rel);
      }
      if (layer_dir_is_opaque(dir.get())) {
        break;
      }
      continue;
    }
    found.layers = {layer};
    found.kind = S_ISREG(st.st_mode) ? Kind::file : (S_ISLNK(st.st_mode) ? Kind::symlink : Kind::other);
    if (found.kind == Kind::symlink) {
      std::string link(PATH_MAX, '\0');
      const ssize_t got = ::readlinkat(parent.get(), parts.back().c_str(), link.data(), link.size());
      if (got < 0) {
        return fail_errno("read image symlink", names_[layer] + "/" + rel);
      }
      link.resize(static_cast<std::size_t>(got));
      found.link = std::move(link);
    }
    break;
  }
  return found;
}

// The layers merged into the directory `parts`, which the walk already found
// to be one (after a "..").
Result<std::vector<std::size_t>> MergedView::dir_layers(const std::vector<std::string>& parts) const {
  std::vector<std::size_t> layers = all_layers();
  for (std::size_t i = 1; i <= parts.size(); ++i) {
    auto found = lookup(layers, {parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i)});
    if (!found) {
      return std::unexpected(found.error());
    }
    layers = std::move(found->layers);
  }
  return layers;
}

// Replaces the symlink just looked up (the last of `resolved`) by the
// components of its target, to be walked from its directory or the root.
void splice_link(const std::string& link, std::vector<std::string>& resolved,
                 std::deque<std::string>& pending) {
  resolved.pop_back();
  const std::vector<std::string> target = split_path(link);
  pending.insert(pending.begin(), target.begin(), target.end());
  if (link.starts_with('/')) {
    resolved.clear();
  }
}

Result<std::optional<std::string>> MergedView::read(const std::string& path, std::size_t limit) const {
  if (!path.starts_with('/')) {
    return fail("read image file", path, "the path must be absolute");
  }
  const std::vector<std::string> split = split_path(path);
  std::deque<std::string> pending(split.begin(), split.end());
  std::vector<std::string> resolved;  // directories only
  std::vector<std::size_t> layers = all_layers();
  int links = 0;
  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    Found found{.kind = Kind::dir};
    if (name == "..") {
      if (!resolved.empty()) {
        resolved.pop_back();
      }
      found = {.kind = Kind::symlink};  // rebased below like a link
    } else {
      resolved.push_back(std::move(name));
      auto looked_up = lookup(layers, resolved);
      if (!looked_up) {
        return std::unexpected(looked_up.error());
      }
      found = std::move(*looked_up);
      if (found.kind == Kind::symlink && ++links > kMaxSymlinks) {
        return fail_errno("read image file", path, ELOOP);
      }
      if (found.kind == Kind::symlink && found.link.empty()) {
        return std::nullopt;  // an empty target names nothing
      }
      if (found.kind == Kind::symlink) {
        splice_link(found.link, resolved, pending);
      }
    }
    if (found.kind == Kind::dir) {
      layers = std::move(found.layers);
    } else if (found.kind == Kind::symlink) {
      auto base = dir_layers(resolved);
      if (!base) {
        return std::unexpected(base.error());
      }
      layers = std::move(*base);
    } else if (found.kind == Kind::absent || !pending.empty()) {
      return std::nullopt;
    } else {
      return found.kind == Kind::file ? read_file(found.layers.front(), join(resolved), limit, path)
                                      : fail("read image file", path, "not a regular file");
    }
  }
  return fail_errno("read image file", path, EISDIR);
}

Result<std::string> MergedView::read_file(std::size_t layer, const std::string& rel, std::size_t limit,
                                          const std::string& path) const {
  const UniqueFd fd = open_beneath(roots_[layer].get(), rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  struct stat st = {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    return fail_errno("read image file", names_[layer] + "/" + rel);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("read image file", path, "not a regular file");
  }
  const auto too_large = [&] {
    return fail("read image file", path, fmt::format("larger than {} bytes", limit));
  };
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    return too_large();
  }
  std::string text;
  std::string chunk(std::size_t{64} * 1024, '\0');
  for (;;) {
    const ssize_t got = ::read(fd.get(), chunk.data(), chunk.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      return fail_errno("read image file", names_[layer] + "/" + rel);
    }
    if (got == 0) {
      return text;
    }
    if (static_cast<std::size_t>(got) > limit - text.size()) {
      return too_large();  // it grew since the fstat
    }
    text.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

// --- /etc/passwd and /etc/group -------------------------------------------

struct PasswdEntry {
  std::string_view name;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string_view home;
};

struct GroupEntry {
  std::string_view name;
  std::uint32_t gid = 0;
  std::string_view members;  // comma-separated user names
};

std::optional<std::uint32_t> parse_id(std::string_view text) {
  auto id = parse_uint(text, 0, kMaxId);
  return id ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*id)) : std::nullopt;
}

// The colon-separated fields of each line that is not blank or a comment.
template <class Visit>
void for_each_record(std::string_view text, Visit&& visit) {
  for (const auto raw : std::views::split(text, '\n')) {
    std::string_view line(raw.begin(), raw.end());
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') {
      continue;
    }
    std::vector<std::string_view> fields;
    for (const auto field : std::views::split(line, ':')) {
      fields.emplace_back(field.begin(), field.end());
    }
    visit(fields);
  }
}

// The first well-formed passwd line that `match` accepts.
template <class Match>
std::optional<PasswdEntry> find_user(std::string_view passwd, Match&& match) {
  std::optional<PasswdEntry> result;
  for_each_record(passwd, [&](const std::vector<std::string_view>& fields) {
    if (result || fields.size() < 4 || fields[0].empty()) {
      return;
    }
    const auto uid = parse_id(fields[2]);
    const auto gid = parse_id(fields[3]);
    if (!uid || !gid) {
      return;
    }
    const PasswdEntry entry{
        .name = fields[0], .uid = *uid, .gid = *gid, .home = fields.size() > 5 ? fields[5] : ""};
    if (match(entry)) {
      result = entry;
    }
  });
  return result;
}

std::vector<GroupEntry> parse_groups(std::string_view group) {
  std::vector<GroupEntry> entries;
  for_each_record(group, [&](const std::vector<std::string_view>& fields) {
    if (fields.size() < 3 || fields[0].empty()) {
      return;
    }
    if (const auto gid = parse_id(fields[2])) {
      entries.push_back(
          GroupEntry{.name = fields[0], .gid = *gid, .members = fields.size() > 3 ? fields[3] : ""});
    }
  });
  return entries;
}

bool is_number(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::uint32_t> parse_given_id(std::string_view text, std::string_view what, std::string_view user) {
  const auto id = parse_id(text);
  if (!id) {
    return fail("resolve the image user", std::string(user),
                fmt::format("{} {} is out of range [0, {}]", what, text, kMaxId));
  }
  return *id;
}

Result<ImageUser> resolve_user_part(std::string_view name, std::optional<std::string_view> passwd,
                                    std::string_view user) {
  const bool numeric = name.empty() || is_number(name);
  std::uint32_t uid = 0;
  if (numeric && !name.empty()) {
    auto parsed = parse_given_id(name, "uid", user);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    uid = *parsed;
  }
  const auto entry = find_user(passwd.value_or(""),
                               [&](const PasswdEntry& e) { return numeric ? e.uid == uid : e.name == name; });
  if (entry) {
    return ImageUser{.uid = entry->uid,
                     .gid = entry->gid,
                     .home = entry->home.empty() ? "/" : std::string(entry->home),
                     .name = std::string(entry->name)};
  }
  if (!numeric) {
    return fail("resolve the image user", std::string(user),
                fmt::format("user '{}' not found in the image's /etc/passwd{}", name,
                            passwd ? "" : " (the image has none)"));
  }
  return ImageUser{.uid = uid, .gid = 0};
}

Result<std::uint32_t> resolve_group_part(std::string_view name, const std::vector<GroupEntry>& groups,
                                         bool have_file, std::string_view user) {
  if (is_number(name)) {
    return parse_given_id(name, "gid", user);
  }
  const auto found = std::ranges::find_if(groups, [&](const GroupEntry& g) { return g.name == name; });
  if (found == groups.end()) {
    return fail("resolve the image user", std::string(user),
                fmt::format("group '{}' not found in the image's /etc/group{}", name,
                            have_file ? "" : " (the image has none)"));
  }
  return found->gid;
}

std::vector<std::uint32_t> member_of(const std::vector<GroupEntry>& groups, std::string_view name) {
  std::vector<std::uint32_t> gids;
  if (name.empty()) {
    return gids;
  }
  for (const GroupEntry& group : groups) {
    for (const auto member : std::views::split(group.members, ',')) {
      if (std::string_view(member.begin(), member.end()) == name &&
          std::ranges::find(gids, group.gid) == gids.end()) {
        gids.push_back(group.gid);
      }
    }
  }
  return gids;
}

}  // namespace

Result<std::optional<std::string>> read_image_file(const std::vector<std::string>& layers,
                                                   const std::string& path, std::size_t limit) {
  MergedView view;
  if (auto opened = view.open(layers); !opened) {
    return std::unexpected(opened.error());
  }
  return view.read(path, limit);
}

Result<ImageUser> resolve_image_user(std::string_view user, std::optional<std::string_view> passwd,
                                     std::optional<std::string_view> group) {
  const auto colon = user.find(':');
  const std::string_view user_part = user.substr(0, colon);
  const std::string_view group_part = colon == std::string_view::npos ? "" : user.substr(colon + 1);
  auto resolved = resolve_user_part(user_part, passwd, user);
  if (!resolved) {
    return resolved;
  }
  const std::vector<GroupEntry> groups = parse_groups(group.value_or(""));
  if (group_part.empty()) {
    resolved->groups = member_of(groups, resolved->name);
    return resolved;
  }
  auto gid = resolve_group_part(group_part, groups, group.has_value(), user);
  if (!gid) {
    return std::unexpected(gid.error());
  }
  resolved->gid = *gid;
  return resolved;
}

}  // namespace strata::image
