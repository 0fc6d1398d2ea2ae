#include "vm/kernel.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "base/unique_fd.hpp"
#include "diff/version.hpp"

namespace strata::vm {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStep = "check kernel";

// The x86 boot protocol (Documentation/arch/x86/boot.rst): the setup header
// sits at 0x1F1 in the real-mode code at the front of the bzImage, which is
// at most 64 sectors, so 64 KiB always holds it and its version string.
constexpr std::size_t kReadSize = std::size_t{64} * 1024;
constexpr std::size_t kMagicOffset = 0x202;          // "HdrS"
constexpr std::size_t kVersionOffset = 0x206;        // u16, 0x020F is 2.15
constexpr std::size_t kKernelVersionOffset = 0x20E;  // u16, string at value + 0x200
constexpr std::size_t kXloadflagsOffset = 0x236;     // u16, from protocol 2.12
constexpr std::size_t kHeaderEnd = 0x238;
constexpr std::uint16_t kMinVersion = 0x0206;
constexpr std::uint16_t kXloadflagsVersion = 0x020C;
constexpr std::uint16_t kXlfKernel64 = 1U << 0;
constexpr std::size_t kMaxVersionString = 256;

std::uint16_t u16_at(std::string_view bytes, std::size_t offset) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[offset]) |
                                    (static_cast<unsigned char>(bytes[offset + 1]) << 8U));
}

std::string protocol_text(std::uint16_t version) {
  return fmt::format("{}.{:02}", version >> 8U, version & 0xFFU);
}

// Up to kReadSize bytes from the front of the file.
Result<std::string> read_front(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    if (errno == EACCES) {
      // Ubuntu keeps /boot/vmlinuz-* readable by root only.
      return fail(std::string(kStep), path, "not readable by this user; give a readable copy with --kernel");
    }
    return fail_errno(std::string(kStep), path);
  }
  struct stat st = {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail_errno(std::string(kStep), path);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(std::string(kStep), path, "not a regular file");
  }
  std::string bytes(kReadSize, '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno(std::string(kStep), path);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

// The release is the version string's first word; it names a directory
// under /lib/modules, so it must be one plain path component.
Result<std::string> release_from(std::string_view bytes, const std::string& path) {
  const std::size_t pointer = u16_at(bytes, kKernelVersionOffset);
  if (pointer == 0) {
    return fail(std::string(kStep), path, "its boot header has no kernel version string");
  }
  const std::size_t offset = pointer + 0x200;
  if (offset >= bytes.size()) {
    return fail(std::string(kStep), path, "its kernel version string lies past the end of the setup code");
  }
  const std::string_view rest(bytes.data() + offset, std::min(bytes.size() - offset, kMaxVersionString));
  const std::size_t end = rest.find('\0');
  if (end == std::string_view::npos) {
    return fail(std::string(kStep), path, "its kernel version string is not terminated");
  }
  const std::string_view text = rest.substr(0, end);
  std::string release(text.substr(0, text.find(' ')));
  const bool printable = std::ranges::all_of(release, [](char c) { return c > ' ' && c < 0x7F && c != '/'; });
  if (release.empty() || !printable || release == "." || release == "..") {
    return fail(std::string(kStep), path,
                fmt::format("its kernel version string '{}' names no release", text));
  }
  return release;
}

}  // namespace

Result<std::string> read_bzimage_release(const std::string& path) {
  const auto front = read_front(path);
  if (!front) {
    return std::unexpected(front.error());
  }
  const std::string& bytes = *front;
  if (bytes.starts_with("\x7f"
                        "ELF")) {
    // QEMU could boot an ELF vmlinux through its PVH note, but it carries
    // no setup header to read the release from.
    return fail(std::string(kStep), path,
                "an ELF vmlinux, not a bzImage: give the compressed kernel (/boot/vmlinuz-*) instead");
  }
  if (bytes.size() < kMagicOffset + 4 || bytes.compare(kMagicOffset, 4, "HdrS") != 0) {
    return fail(std::string(kStep), path, "not a Linux bzImage (no HdrS header)");
  }
  if (bytes.size() < kHeaderEnd) {
    return fail(std::string(kStep), path, "a truncated bzImage (its setup header is cut short)");
  }
  const std::uint16_t version = u16_at(bytes, kVersionOffset);
  if (version < kMinVersion) {
    return fail(
        std::string(kStep), path,
        fmt::format("boot protocol {} is older than {}", protocol_text(version), protocol_text(kMinVersion)));
  }
  if (version < kXloadflagsVersion || (u16_at(bytes, kXloadflagsOffset) & kXlfKernel64) == 0) {
    return fail(std::string(kStep), path, "not a 64-bit kernel (no XLF_KERNEL_64 in its boot header)");
  }
  return release_from(bytes, path);
}

Result<Kernel> find_kernel(const std::optional<std::string>& given, const std::string& boot_dir,
                           const std::string& modules_root) {
  Kernel kernel;
  if (given) {
    kernel.path = *given;
  } else {
    std::string newest_version;
    std::error_code ec;
    for (fs::directory_iterator it(boot_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.starts_with("vmlinuz-") || name.size() == std::strlen("vmlinuz-")) {
        continue;
      }
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) {
        continue;
      }
      const std::string version = name.substr(std::strlen("vmlinuz-"));
      const int order = kernel.path.empty() ? 1 : diff::compare_versions(version, newest_version);
      if (order > 0 || (order == 0 && version > newest_version)) {
        newest_version = version;
        kernel.path = it->path().string();
      }
    }
    if (kernel.path.empty()) {
      return fail(
          "no kernel for the VM", "",
          fmt::format("none given with --kernel and none in {} (install linux-image-cloud-amd64)", boot_dir));
    }
  }
  auto release = read_bzimage_release(kernel.path);
  if (!release) {
    return std::unexpected(release.error());
  }
  kernel.release = std::move(*release);
  const fs::path modules = fs::path(modules_root) / kernel.release;
  std::error_code ec;
  if (fs::is_directory(modules, ec)) {
    kernel.modules_dir = modules.string();
  }
  return kernel;
}

}  // namespace strata::vm
