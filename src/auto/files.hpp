// The files a lock pins by content: the kernel the workload ran on and the
// language environment's inputs, hashed when recorded and found again (by
// path and hash, else by release) when `--isolation auto` needs them.
#pragma once

#include <optional>
#include <string>

#include "auto/lock.hpp"
#include "base/error.hpp"

namespace strata::autolayers {

// The SHA-256 of a whole file (64 lowercase hex digits), streamed.
[[nodiscard]] Result<std::string> sha256_of_file(const std::string& path);

// `path` pinned for a lock written into `lock_dir`.
[[nodiscard]] Result<PinnedFile> pin_file(const std::string& path, const std::string& lock_dir);

// The kernel of `release` as a lock records it: `bzimage` (a --kernel given
// to the recorded run), else <boot_dir>/vmlinuz-<release> when that file
// exists; path and hash are left out when neither is there (a container's
// host kernel in /boot under another name) or it cannot be read.
[[nodiscard]] LockKernel record_kernel(const std::string& release, const std::optional<std::string>& bzimage,
                                       const std::string& boot_dir = "/boot");

// The recorded kernel on this machine: the recorded path when its SHA-256
// is the same, else <boot_dir>/vmlinuz-<release>. Fails naming the release.
[[nodiscard]] Result<std::string> find_recorded_kernel(const LockKernel& kernel,
                                                       const std::string& boot_dir = "/boot");

}  // namespace strata::autolayers
