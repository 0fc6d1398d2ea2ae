#include "probe/sys_libc.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "probe/sys_fs.hpp"
#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

// The loader of the architecture strata was built for is looked for first, so
// that an x86-64 system with libc6-i386 (/lib/ld-linux.so.2) reads as x86-64.
#if defined(__x86_64__)
constexpr std::string_view kNativeGlibcLoader = "/lib64/ld-linux-x86-64.so.2";
constexpr std::string_view kNativeMuslArch = "x86_64";
#elif defined(__aarch64__)
constexpr std::string_view kNativeGlibcLoader = "/lib/ld-linux-aarch64.so.1";
constexpr std::string_view kNativeMuslArch = "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
constexpr std::string_view kNativeGlibcLoader = "/lib/ld-linux-riscv64-lp64d.so.1";
constexpr std::string_view kNativeMuslArch = "riscv64";
#else
constexpr std::string_view kNativeGlibcLoader;
constexpr std::string_view kNativeMuslArch;
#endif

// glibc's loader names per ABI (the psABI documents fix these paths).
constexpr std::array<std::string_view, 12> kGlibcLoaders{
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/ld-linux-aarch64.so.1",
    "/lib/ld-linux-armhf.so.3",
    "/lib/ld-linux.so.3",
    "/lib/ld-linux.so.2",
    "/lib64/ld64.so.2",
    "/lib64/ld64.so.1",
    "/lib/ld64.so.1",
    "/lib/ld-linux-riscv64-lp64d.so.1",
    "/lib64/ld-linux-loongarch-lp64d.so.1",
    "/libx32/ld-linux-x32.so.2",
    "/lib/ld.so.1",
};

std::optional<std::string> find_musl_loader(const Root& root) {
  std::optional<std::string> found;
  for (const std::string& name : root.list("/lib")) {
    if (!name.starts_with("ld-musl-") || !name.ends_with(".so.1") || !root.exists("/lib/" + name)) {
      continue;
    }
    if (!found || name == "ld-musl-" + std::string(kNativeMuslArch) + ".so.1") {
      found = "/lib/" + name;
    }
  }
  return found;
}

Loader resolved(const Root& root, LibcFlavour flavour, std::string path) {
  Loader loader{.flavour = flavour, .path = std::move(path), .target = {}};
  loader.target = follow_links(root, loader.path).value_or(loader.path);
  return loader;
}

// Versions compare component-wise as numbers: GLIBC_2.10 > GLIBC_2.9.
std::optional<std::vector<unsigned>> version_components(std::string_view text) {
  std::vector<unsigned> parts;
  unsigned current = 0;
  bool digits = false;
  for (const char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0 && current < 100000) {
      current = (current * 10) + static_cast<unsigned>(c - '0');
      digits = true;
    } else if (c == '.' && digits) {
      parts.push_back(current);
      current = 0;
      digits = false;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) {
    return std::nullopt;
  }
  parts.push_back(current);
  return parts;
}

}  // namespace

Loader find_loader(const Root& root) {
  if (!kNativeGlibcLoader.empty() && root.exists(kNativeGlibcLoader)) {
    return resolved(root, LibcFlavour::glibc, std::string(kNativeGlibcLoader));
  }
  for (const std::string_view path : kGlibcLoaders) {
    if (root.exists(path)) {
      return resolved(root, LibcFlavour::glibc, std::string(path));
    }
  }
  if (auto musl = find_musl_loader(root)) {
    return resolved(root, LibcFlavour::musl, std::move(*musl));
  }
  return {};
}

std::optional<std::string> glibc_release_version(std::string_view bytes) {
  constexpr std::string_view kBanner = "GNU C Library";
  constexpr std::string_view kRelease = "release version ";
  for (auto at = bytes.find(kBanner); at != std::string_view::npos; at = bytes.find(kBanner, at + 1)) {
    const std::string_view banner = bytes.substr(at, bytes.find('\0', at) - at);
    const auto release = banner.find(kRelease);
    if (release == std::string_view::npos) {
      continue;
    }
    std::string_view version = banner.substr(release + kRelease.size());
    version = version.substr(0, version.find_first_not_of("0123456789."));
    while (version.ends_with('.')) {
      version.remove_suffix(1);
    }
    if (version_components(version)) {
      return std::string(version);
    }
  }
  return std::nullopt;
}

std::optional<std::string> max_glibc_version_node(std::string_view bytes) {
  constexpr std::string_view kPrefix = "GLIBC_";
  std::optional<std::string_view> best;
  std::vector<unsigned> best_parts;
  for (auto at = bytes.find(kPrefix); at != std::string_view::npos; at = bytes.find(kPrefix, at + 1)) {
    const auto end = bytes.find('\0', at);
    if ((at != 0 && bytes[at - 1] != '\0') || end == std::string_view::npos) {
      continue;
    }
    const std::string_view node = bytes.substr(at, end - at);
    const auto parts = version_components(node.substr(kPrefix.size()));
    if (parts && (!best || *parts > best_parts)) {
      best = node;
      best_parts = *parts;
    }
  }
  return best ? std::optional<std::string>(*best) : std::nullopt;
}

std::optional<std::string> musl_embedded_version(std::string_view bytes) {
  if (bytes.find("musl libc (") == std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t start = 0;
  while (start < bytes.size()) {
    const auto end = std::min(bytes.find('\0', start), bytes.size());
    const std::string_view token = bytes.substr(start, end - start);
    if (token.size() <= 16) {
      const auto parts = version_components(token);
      if (parts && parts->size() == 3) {
        return std::string(token);
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

namespace {

// libc.so.6 sits next to the loader's real file (/lib/x86_64-linux-gnu on
// Debian, /usr/lib64 on Fedora); the classic directories are the fallback.
std::optional<std::string> find_glibc(const Root& root, const Loader& loader) {
  const std::array<std::string, 5> candidates{join_path(dir_name(loader.target), "libc.so.6"),
                                              "/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6",
                                              "/usr/lib/libc.so.6"};
  for (const std::string& path : candidates) {
    if (root.exists(path)) {
      return path;
    }
  }
  return std::nullopt;
}

void add_glibc_facts(const Root& root, const Loader& loader, Facts& facts) {
  const auto path = find_glibc(root, loader);
  const auto bytes = path ? read_whole(root, *path) : std::nullopt;
  if (!bytes) {
    return;
  }
  add(facts, "libc.path", *path, *path);
  const auto node = max_glibc_version_node(*bytes);
  if (node) {
    add(facts, "libc.max_symbol_version", *node, *path);
  }
  if (auto version = glibc_release_version(*bytes)) {
    add(facts, "libc.version", *version, *path);
  } else if (node) {
    add(facts, "libc.version", node->substr(6), *path);  // no banner: the newest symbol version
  }
}

void add_musl_facts(const Root& root, const Loader& loader, const PackageDb& packages, Facts& facts) {
  add(facts, "libc.path", loader.path, loader.path);
  if (const Package* musl = packages.find("musl"); musl != nullptr && !musl->version.empty()) {
    add(facts, "libc.version", upstream_version(musl->version), packages.source);
  } else if (const auto bytes = read_whole(root, loader.target)) {
    if (auto version = musl_embedded_version(*bytes)) {
      add(facts, "libc.version", *version, loader.target);
    }
  }
}

}  // namespace

void add_libc_facts(const Root& root, const Loader& loader, const PackageDb& packages, Facts& facts) {
  switch (loader.flavour) {
    case LibcFlavour::glibc:
      add(facts, "libc.flavour", "glibc", loader.path);
      add_glibc_facts(root, loader, facts);
      break;
    case LibcFlavour::musl:
      add(facts, "libc.flavour", "musl", loader.path);
      add_musl_facts(root, loader, packages, facts);
      break;
    case LibcFlavour::none:
      // No dynamic loader at all: a static-only tree (busybox, distroless/static).
      add(facts, "libc.flavour", "none", "/lib, /lib64");
      break;
  }
}

}  // namespace strata::probe::sys
