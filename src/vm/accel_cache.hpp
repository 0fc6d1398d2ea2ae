// The accelerator decision's cache (accel.hpp): one small JSON file per
// combination of boot, kernel, QEMU binary, /dev/kvm device and probe bound,
// named by a hash of them, in a runtime directory that is emptied at reboot.
// A KVM that hangs a guest stays that way until the host changes, and the
// probe costs its bound (3 s) each time it fails, so the answer is kept;
// anything that could change it changes the file's name instead.
//
// The directory is /run/strata when writable (root), else
// $XDG_RUNTIME_DIR/strata, else there is no cache. A file that does not
// parse, or that names other inputs, is ignored and replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "vm/accel.hpp"

namespace strata::vm {

// A file as the cache key sees it: a new build or install changes one of these.
struct FileStamp {
  std::string path;  // canonical when it could be resolved
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

struct CacheInputs {
  std::string boot_id;  // /proc/sys/kernel/random/boot_id
  FileStamp kernel;
  FileStamp qemu;
  std::uint64_t kvm_rdev = 0;  // /dev/kvm's st_rdev, 0 when absent
  std::int64_t bound_ms = 0;   // a longer bound may pass where a shorter one failed

  bool operator==(const CacheInputs&) const = default;
};

// What an answer rests on: the device checks (kvm_device_problem), which are
// redone on every call, or a boot of the probe guest.
enum class DecidedBy { device, probe };

struct CachedAccel {
  AccelKind kind = AccelKind::tcg;
  std::string reason;
  DecidedBy by = DecidedBy::probe;

  bool operator==(const CachedAccel&) const = default;
};

// Stats the kernel and the (already found) QEMU binary and reads the boot id.
// An Error when the kernel or QEMU cannot be stat'ed; an empty boot_id when
// /proc does not say (then nothing is cached: an answer could outlive a reboot).
Result<CacheInputs> gather_cache_inputs(const std::string& qemu_path, const std::string& kernel,
                                        std::chrono::milliseconds bound);

// "vm-accel-<32 hex digits>.json": a hash of every input.
std::string cache_file_name(const CacheInputs& inputs);

// The file's text: the inputs in full (for a person, and checked on reading),
// the answer and what it rests on.
std::string serialize_cache(const CacheInputs& inputs, const CachedAccel& answer);

// The answer in `text` if it is well formed and for exactly `inputs`.
Result<CachedAccel> parse_cache(std::string_view text, const CacheInputs& inputs);

// runtime_cache_dir() (base/runtime_dir.hpp), shared with the wasm engine cache.
std::string default_cache_dir();

// The answer cached in `dir` for `inputs`; nullopt when there is none or it
// is unreadable, corrupt or for other inputs (said at debug level).
std::optional<CachedAccel> load_cache(const std::string& dir, const CacheInputs& inputs);

// Writes the answer atomically (making `dir` if it is missing); a failure only costs a later probe, so it is
// said at debug level, not returned.
void store_cache(const std::string& dir, const CacheInputs& inputs, const CachedAccel& answer);

}  // namespace strata::vm
