#include "base/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "base/unique_fd.hpp"

namespace strata {

Result<> write_all(int fd, std::string_view bytes, const std::string& step, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail_errno(step, path, n < 0 ? errno : EIO);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

namespace {

// Writes into what is already there: a device (/dev/null, /dev/stdout), a FIFO.
Result<> write_in_place(const std::string& path, std::string_view text, const std::string& step) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(step, path);
  }
  return write_all(fd.get(), text, step, path);
}

}  // namespace

Result<> write_file_atomically(const std::string& path, std::string_view text, const std::string& step) {
  // Only a regular file is replaced. Renaming over a device such as
  // /dev/null would put a plain file in its place for everyone; over a
  // symlink, it would replace the link instead of the file it names.
  std::string target = path;
  struct stat st = {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return fail(step, path, "is a directory");
    }
    if (!S_ISREG(st.st_mode)) {
      return write_in_place(path, text, step);
    }
    std::error_code ec;
    target = std::filesystem::canonical(path, ec).string();
    if (ec) {
      return fail_errno(step, path, ec.value());
    }
  }
  const std::string temp = target + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) {
    return fail_errno(step, path);  // the user named `path`; the temporary is ours
  }
  if (auto ok = write_all(fd.get(), text, step, path); !ok) {
    ::unlink(temp.c_str());
    return ok;
  }
  if (::fsync(fd.get()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail_errno(step, path, err);
  }
  fd.reset();
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail_errno(step, path, err);
  }
  return {};
}

Result<std::string> read_small_file(const std::string& path, std::size_t limit, const std::string& step) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno(step, path);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno(step, path);
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(step, path, "is a directory");
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno(step, path);
    }
    if (n == 0) {
      return text;
    }
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > limit) {
      return fail(step, path, "larger than " + std::to_string(limit >> 20) + " MiB");
    }
  }
}

}  // namespace strata
