#include "auto/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "base/sha256.hpp"
#include "base/unique_fd.hpp"

namespace strata::autolayers {

Result<std::string> sha256_of_file(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail_errno("hash", path);
  }
  Sha256 hash;
  std::array<char, 1U << 16U> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("hash", path);
    }
    if (n == 0) {
      return hash.finish_hex();
    }
    hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

Result<PinnedFile> pin_file(const std::string& path, const std::string& lock_dir) {
  auto sha = sha256_of_file(path);
  if (!sha) {
    return std::unexpected(sha.error());
  }
  return PinnedFile{.path = path_for_lock(path, lock_dir), .sha256 = std::move(*sha)};
}

LockKernel record_kernel(const std::string& release, const std::optional<std::string>& bzimage,
                         const std::string& boot_dir) {
  LockKernel kernel{.release = release, .path = std::nullopt, .sha256 = std::nullopt};
  const std::string path = bzimage.value_or(boot_dir + "/vmlinuz-" + release);
  if (auto sha = sha256_of_file(path)) {
    kernel.path = path;
    kernel.sha256 = std::move(*sha);
  }
  return kernel;
}

Result<std::string> find_recorded_kernel(const LockKernel& kernel, const std::string& boot_dir) {
  if (kernel.path && kernel.sha256) {
    if (auto sha = sha256_of_file(*kernel.path); sha && *sha == *kernel.sha256) {
      return *kernel.path;
    }
  }
  if (kernel.release.empty() || kernel.release.find('/') != std::string::npos) {
    return fail("find the recorded kernel", kernel.release, "the lock records no usable kernel release");
  }
  std::string by_release = boot_dir + "/vmlinuz-" + kernel.release;
  struct stat st = {};
  if (::stat(by_release.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    return by_release;
  }
  return fail("find the recorded kernel", kernel.release,
              "the kernel layer must be the recorded one and this machine has no " + by_release +
                  (kernel.path ? " (nor " + *kernel.path + " with the recorded SHA-256)" : "") +
                  ": install that kernel or pass --kernel PATH");
}

}  // namespace strata::autolayers
