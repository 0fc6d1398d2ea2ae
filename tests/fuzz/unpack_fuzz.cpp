// libFuzzer target for layer extraction: any bytes as a layer blob (plain,
// gzip or zstd tar) are extracted into a fresh directory inside a parent
// directory; nothing may crash, and nothing may appear in the parent beside
// the target (an escape). Small caps keep each run cheap.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/unique_fd.hpp"
#include "image/unpack.hpp"

namespace {

// The one parent directory of every run: $STRATA_FUZZ_DIR (run.sh makes it
// in its output directory; libFuzzer's exit skips atexit handlers), else a
// fresh one under /tmp.
const std::string& parent() {
  static const std::string dir = [] {
    if (const char* given = std::getenv("STRATA_FUZZ_DIR"); given != nullptr && *given != '\0') {
      return std::string(given);
    }
    std::string pattern = "/tmp/strata-unpack-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::abort();
    }
    return pattern;
  }();
  return dir;
}

// The entries of `dir` other than "target", "." and "..".
int strangers(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return -1;
  }
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    n += (name != "." && name != ".." && name != "target") ? 1 : 0;
  }
  ::closedir(d);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::UniqueFd blob(::memfd_create("layer", MFD_CLOEXEC));
  if (!blob || ::write(blob.get(), data, size) != static_cast<ssize_t>(size) ||
      ::lseek(blob.get(), 0, SEEK_SET) != 0) {
    return 0;
  }
  const std::string& dir = parent();
  strata::UniqueFd parent_fd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (::mkdirat(parent_fd.get(), "target", 0755) != 0) {
    std::abort();
  }
  strata::UniqueFd target(::openat(parent_fd.get(), "target", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  const strata::image::UnpackLimits limits{.max_total_bytes = 8 << 20,
                                           .max_entry_bytes = 1 << 20,
                                           .max_entries = 1000,
                                           .max_ratio = 1000,
                                           .ratio_min_bytes = 1 << 20};
  (void)strata::image::extract_layer(blob.get(), target.get(), limits,
                                     strata::image::UnpackOptions{.real_root = false});
  target.reset();
  if (strangers(dir) != 0) {
    __builtin_trap();  // something was written beside the target
  }
  if (!strata::image::remove_tree_at(parent_fd.get(), "target")) {
    __builtin_trap();
  }
  return 0;
}
