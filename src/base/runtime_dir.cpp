#include "base/runtime_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace strata {

namespace {

// A directory strata may create files in, made if missing.
bool usable_dir(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return false;
  }
  struct stat st = {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(dir.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string runtime_cache_dir() {
  if (usable_dir("/run/strata", 0755)) {
    return "/run/strata";
  }
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && *runtime == '/') {
    std::string dir = std::string(runtime) + "/strata";
    if (usable_dir(dir, 0700)) {
      return dir;
    }
  }
  return {};
}

}  // namespace strata
