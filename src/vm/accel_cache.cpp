#include "vm/accel_cache.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/files.hpp"
#include "base/json_error.hpp"
#include "base/log.hpp"
#include "base/runtime_dir.hpp"
#include "base/sha256.hpp"

namespace strata::vm {

namespace {

constexpr int kCacheVersion = 1;
constexpr std::size_t kLargestCacheFile = 1U << 16U;
constexpr std::size_t kNameHexDigits = 32;

Result<FileStamp> stamp(const std::string& path, const std::string& step) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno(step, path);
  }
  std::error_code ec;
  const auto canonical = std::filesystem::canonical(path, ec);
  return FileStamp{
      .path = ec ? path : canonical.string(),
      .size = static_cast<std::int64_t>(st.st_size),
      .mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

nlohmann::json stamp_json(const FileStamp& file) {
  return {{"path", file.path}, {"size", file.size}, {"mtime_ns", file.mtime_ns}};
}

nlohmann::json inputs_json(const CacheInputs& inputs) {
  return {{"boot_id", inputs.boot_id},
          {"kernel", stamp_json(inputs.kernel)},
          {"qemu", stamp_json(inputs.qemu)},
          {"kvm_rdev", inputs.kvm_rdev},
          {"bound_ms", inputs.bound_ms}};
}

Result<CachedAccel> answer_from(const nlohmann::json& json, const CacheInputs& inputs) {
  auto corrupt = [](const std::string& why) {
    return fail("read the VM accelerator cache", "", why);
  };
  if (!json.is_object() || json.value("version", 0) != kCacheVersion) {
    return corrupt(fmt::format("not a version {} cache file", kCacheVersion));
  }
  if (!json.contains("inputs") || json.at("inputs") != inputs_json(inputs)) {
    return corrupt("written for other inputs");
  }
  const std::string accel = json.at("accel").get<std::string>();
  const std::string by = json.at("decided_by").get<std::string>();
  CachedAccel answer{.kind = accel == "kvm" ? AccelKind::kvm : AccelKind::tcg,
                     .reason = json.at("reason").get<std::string>(),
                     .by = by == "device" ? DecidedBy::device : DecidedBy::probe};
  if ((accel != "kvm" && accel != "tcg") || (by != "device" && by != "probe")) {
    return corrupt(fmt::format("unknown accel '{}' or decided_by '{}'", accel, by));
  }
  if ((answer.kind == AccelKind::kvm) != answer.reason.empty() ||
      (answer.kind == AccelKind::kvm && answer.by == DecidedBy::device)) {
    return corrupt("the answer contradicts itself");
  }
  return answer;
}

}  // namespace

Result<CacheInputs> gather_cache_inputs(const std::string& qemu_path, const std::string& kernel,
                                        std::chrono::milliseconds bound) {
  auto kernel_stamp = stamp(kernel, "find the VM kernel");
  if (!kernel_stamp) {
    return std::unexpected(kernel_stamp.error());
  }
  auto qemu_stamp = stamp(qemu_path, "find qemu");
  if (!qemu_stamp) {
    return std::unexpected(qemu_stamp.error());
  }
  CacheInputs inputs{.boot_id = {},
                     .kernel = std::move(*kernel_stamp),
                     .qemu = std::move(*qemu_stamp),
                     .kvm_rdev = 0,
                     .bound_ms = bound.count()};
  if (auto id = read_small_file("/proc/sys/kernel/random/boot_id", 4096, "read the boot id")) {
    while (!id->empty() && (id->back() == '\n' || id->back() == ' ')) {
      id->pop_back();
    }
    inputs.boot_id = std::move(*id);
  }
  struct stat st = {};
  if (::stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode)) {
    inputs.kvm_rdev = st.st_rdev;
  }
  return inputs;
}

std::string cache_file_name(const CacheInputs& inputs) {
  return fmt::format("vm-accel-{}.json", sha256_hex(inputs_json(inputs).dump()).substr(0, kNameHexDigits));
}

std::string serialize_cache(const CacheInputs& inputs, const CachedAccel& answer) {
  const nlohmann::json json = {{"version", kCacheVersion},
                               {"inputs", inputs_json(inputs)},
                               {"accel", accel_name(answer.kind)},
                               {"reason", answer.reason},
                               {"decided_by", answer.by == DecidedBy::device ? "device" : "probe"}};
  return json.dump(2) + "\n";
}

Result<CachedAccel> parse_cache(std::string_view text, const CacheInputs& inputs) {
  try {
    return answer_from(nlohmann::json::parse(text), inputs);
  } catch (const nlohmann::json::exception& e) {
    return fail("read the VM accelerator cache", "", json_error_text(e.what()));
  }
}

std::string default_cache_dir() {
  return runtime_cache_dir();
}

std::optional<CachedAccel> load_cache(const std::string& dir, const CacheInputs& inputs) {
  const std::string path = dir + "/" + cache_file_name(inputs);
  auto text = read_small_file(path, kLargestCacheFile, "read the VM accelerator cache");
  if (!text) {
    if (text.error().err != ENOENT) {
      log::debug("{}", text.error().message());
    }
    return std::nullopt;
  }
  auto answer = parse_cache(*text, inputs);
  if (!answer) {
    log::debug("{} (ignored): {}", path, answer.error().message());
    return std::nullopt;
  }
  return std::move(*answer);
}

void store_cache(const std::string& dir, const CacheInputs& inputs, const CachedAccel& answer) {
  const std::string path = dir + "/" + cache_file_name(inputs);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    log::debug("create the VM accelerator cache '{}': {}", dir, std::strerror(errno));
    return;
  }
  if (auto ok =
          write_file_atomically(path, serialize_cache(inputs, answer), "write the VM accelerator cache");
      !ok) {
    log::debug("{}", ok.error().message());
  }
}

}  // namespace strata::vm
