#include "analyze/walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace strata::analyze {

namespace {

// Deeper than any real tree; a hostile one stops here.
constexpr int kMaxDepth = 64;

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

void walk_dir(const probe::Root& root, const std::string& path, int depth, WalkResult& out) {
  if (depth > kMaxDepth) {
    out.errors.push_back(fail("walk", path, "deeper than 64 directories").error());
    return;
  }
  auto names = root.read_dir(path);
  if (!names) {
    out.errors.push_back(names.error());
    return;
  }
  for (const std::string& name : *names) {
    const std::string child = join(path, name);
    const UniqueFd fd = root.open_at(child, O_PATH | O_NOFOLLOW);
    struct stat st = {};
    const bool stat_ok = fd.valid() && ::fstat(fd.get(), &st) == 0;
    if (stat_ok && S_ISDIR(st.st_mode)) {
      walk_dir(root, child, depth + 1, out);
    } else if (stat_ok && S_ISLNK(st.st_mode) && root.is_dir(child)) {
      continue;  // a symlinked directory (/usr/bin/X11 -> .) is not followed
    } else {
      out.files.push_back({.path = child, .walked = true});
    }
  }
}

}  // namespace

WalkResult walk(const probe::Root& root, const std::vector<std::string>& paths) {
  WalkResult out;
  for (const std::string& path : paths) {
    if (root.is_dir(path)) {
      walk_dir(root, path, 0, out);
    } else {
      out.files.push_back({.path = path, .walked = false});
    }
  }
  return out;
}

}  // namespace strata::analyze
