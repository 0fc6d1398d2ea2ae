#include "probe/kernel_config.hpp"

#include <array>

#include "probe/sys_text.hpp"

// zlib is linked only when the build finds it (STRATA_HAVE_ZLIB); without it
// the plain-text /boot/config-<release> still works.
#if defined(STRATA_HAVE_ZLIB)
#include <zlib.h>
#endif

namespace strata::probe::kern {

namespace {

constexpr std::array<std::string_view, 16> kOptions{
    "CONFIG_BPF_SYSCALL",
    "CONFIG_CGROUPS",
    "CONFIG_CGROUP_BPF",
    "CONFIG_DEBUG_INFO_BTF",
    "CONFIG_FUSE_FS",
    "CONFIG_IO_URING",
    "CONFIG_KVM",
    "CONFIG_MEMCG",
    "CONFIG_MODULES",
    "CONFIG_NAMESPACES",
    "CONFIG_OVERLAY_FS",
    "CONFIG_SECCOMP_FILTER",
    "CONFIG_SECURITY_APPARMOR",
    "CONFIG_SECURITY_LANDLOCK",
    "CONFIG_SECURITY_SELINUX",
    "CONFIG_USER_NS",
};

// A decompressed config is ~250 KB; anything far larger is not one.
constexpr std::size_t kConfigLimit = std::size_t{8} << 20;

}  // namespace

std::map<std::string, std::string> parse_kernel_config(std::string_view text,
                                                       std::span<const std::string_view> wanted) {
  std::map<std::string, std::string> values;
  for (const std::string_view name : wanted) {
    values.emplace(name, "n");
  }
  for (const std::string_view line : sys::split_lines(text)) {
    // "CONFIG_X=y", "CONFIG_X=\"text\"" or "# CONFIG_X is not set"
    const auto equals = line.find('=');
    if (!line.starts_with("CONFIG_") || equals == std::string_view::npos) {
      continue;
    }
    const auto it = values.find(std::string(line.substr(0, equals)));
    if (it != values.end()) {
      std::string_view value = sys::trim(line.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      it->second = value;
    }
  }
  return values;
}

#if defined(STRATA_HAVE_ZLIB)

bool can_gunzip() {
  return true;
}

std::optional<std::string> gunzip(std::string_view data, std::size_t limit) {
  z_stream stream = {};
  // 16 + MAX_WBITS: expect a gzip header and trailer, not a raw zlib stream.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return std::nullopt;
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<char, 65536> chunk{};
  int status = Z_OK;
  while (status == Z_OK && out.size() <= limit) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END || out.size() > limit) {
    return std::nullopt;
  }
  return out;
}

#else

bool can_gunzip() {
  return false;
}

std::optional<std::string> gunzip(std::string_view /*data*/, std::size_t /*limit*/) {
  return std::nullopt;
}

#endif

void add_config_facts(const Root& root, const std::string& release, Facts& facts) {
  std::optional<std::string> text;
  std::string source = "/proc/config.gz";
  if (can_gunzip()) {
    if (const auto packed = root.read(source)) {
      text = gunzip(*packed, kConfigLimit);
    }
  }
  if (!text && !release.empty()) {
    source = "/boot/config-" + release;
    text = root.read(source, kConfigLimit);
  }
  if (!text) {
    return;
  }
  for (auto& [name, value] : parse_kernel_config(*text, kOptions)) {
    add(facts, "config." + name, value, source);
  }
}

}  // namespace strata::probe::kern
