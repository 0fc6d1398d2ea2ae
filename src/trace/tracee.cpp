#include "trace/tracee.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace strata::trace {

namespace {

constexpr std::uint64_t kPage = 4096;

std::string normal(const std::filesystem::path& path) {
  std::string out = path.lexically_normal().string();
  if (out.size() > 1 && out.ends_with('/')) {
    out.pop_back();
  }
  return out;
}

std::optional<std::string> read_link(const std::string& link) {
  std::array<char, 4096> buffer{};
  const ssize_t n = ::readlink(link.c_str(), buffer.data(), buffer.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buffer.size()) {
    return std::nullopt;
  }
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

}  // namespace

bool TraceeReader::read(std::uint64_t addr, char* out, std::size_t size) const {
  iovec local{.iov_base = out, .iov_len = size};
  iovec remote{.iov_base = reinterpret_cast<void*>(addr), .iov_len = size};  // NOLINT: a tracee address
  const ssize_t n = ::process_vm_readv(tid_, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(size)) {
    return true;
  }
  if (n >= 0 || (errno != EPERM && errno != ENOSYS)) {
    return false;
  }
  for (std::size_t done = 0; done < size;) {
    errno = 0;
    const std::uint64_t word_addr = addr + done;
    const long word = ::ptrace(PTRACE_PEEKDATA, tid_, word_addr, nullptr);
    if (word == -1 && errno != 0) {
      return false;
    }
    const std::size_t take = std::min(sizeof word, size - done);
    std::memcpy(out + done, &word, take);
    done += take;
  }
  return true;
}

std::optional<std::string> TraceeReader::string(std::uint64_t addr, std::size_t max) const {
  if (addr == 0) {
    return std::nullopt;
  }
  std::string out;
  std::array<char, kPage> chunk{};
  while (out.size() < max) {
    // Never across a page boundary in one read: the next page may be unmapped.
    const std::uint64_t at = addr + out.size();
    const std::size_t size = std::min<std::size_t>(kPage - (at % kPage), max - out.size());
    if (!read(at, chunk.data(), size)) {
      return std::nullopt;
    }
    const std::string_view got(chunk.data(), size);
    if (const std::size_t nul = got.find('\0'); nul != std::string_view::npos) {
      out.append(got.substr(0, nul));
      return out;
    }
    out.append(got);
  }
  return out;
}

std::optional<std::string> TraceeReader::bytes(std::uint64_t addr, std::size_t size) const {
  if (addr == 0) {
    return std::nullopt;
  }
  std::string out(size, '\0');
  if (!read(addr, out.data(), size)) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> TraceeReader::fd_path(int fd) const {
  return read_link(fd == AT_FDCWD ? fmt::format("/proc/{}/cwd", tid_)
                                  : fmt::format("/proc/{}/fd/{}", tid_, fd));
}

std::optional<std::string> TraceeReader::exe_path() const {
  return read_link(fmt::format("/proc/{}/exe", tid_));
}

std::string TraceeReader::absolute(int dirfd, const std::string& path) const {
  if (path.starts_with('/')) {
    return normal(path);
  }
  const auto dir = fd_path(dirfd);
  if (!dir || !dir->starts_with('/')) {
    return path;
  }
  return normal(std::filesystem::path(*dir) / path);
}

}  // namespace strata::trace
