#include "analyze/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>

namespace strata::analyze {

namespace {

constexpr std::size_t kMaxInput = std::size_t{1} << 30;

// Where the open file really is: /proc/self/fd names it after every
// symlink, as a host path; inside a --root tree the prefix is cut off.
std::string resolved_path(int fd, const std::string& prefix, const std::string& fallback) {
  std::array<char, 4096> buffer{};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buffer.data(), buffer.size() - 1);
  if (n <= 0) {
    return fallback;
  }
  std::string path(buffer.data(), static_cast<std::size_t>(n));
  if (prefix.empty()) {
    return path;
  }
  if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
    path.erase(0, prefix.size());
    return path.empty() ? "/" : path;
  }
  return fallback;
}

}  // namespace

std::string host_prefix(const probe::Root& root) {
  if (root.is_live()) {
    return "";
  }
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(root.path(), ec);
  return ec || canonical == "/" ? std::string() : canonical.string();
}

Result<InputFile> read_input(const probe::Root& root, const std::string& prefix, const std::string& path) {
  const UniqueFd fd = root.open_at(path, O_NONBLOCK);
  if (!fd.valid()) {
    return fail_errno("open", path);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno("stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("open", path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxInput) {
    return fail("read", path, "larger than 1 GiB");
  }
  InputFile file{.path = resolved_path(fd.get(), prefix, path), .bytes = {}};
  file.bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < file.bytes.size()) {
    const ssize_t n = ::read(fd.get(), file.bytes.data() + done, file.bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("read", path);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  file.bytes.resize(done);
  return file;
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace strata::analyze
