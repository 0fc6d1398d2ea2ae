#include "image/builtin.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <vector>

#include "base/files.hpp"
#include "base/log.hpp"
#include "image/import.hpp"
#include "image/oci.hpp"

namespace strata::image {

namespace {

namespace fs = std::filesystem;

std::string builtin_list() {
  std::string out;
  for (const std::string_view name : kBuiltinNames) {
    out += (out.empty() ? "" : ", ") + std::string(kBuiltinPrefix) + std::string(name);
  }
  return out;
}

// Where the layout of `name` may be, in the order they are tried.
std::vector<std::string> candidates(const std::string& name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read by the single-threaded CLI
  if (const char* dir = std::getenv("STRATA_BUILTIN_IMAGES"); dir != nullptr && *dir != '\0') {
    return {std::string(dir) + "/" + name};
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return {};
  }
  const fs::path dir = exe.parent_path();
  return {(dir / "images" / name).string(), (dir.parent_path() / "share/strata/images" / name).string()};
}

// The manifest the built-in layout holds now; nullopt when it cannot tell.
std::optional<Digest> layout_manifest(const std::string& dir) {
  constexpr std::size_t kIndexLimit = 1U << 20U;
  auto text = read_small_file(dir + "/index.json", kIndexLimit, "read image index");
  auto index = text ? parse_index(*text, dir + "/index.json") : std::unexpected(text.error());
  if (!index || index->manifests.size() != 1) {
    return std::nullopt;
  }
  return index->manifests.front().digest;
}

}  // namespace

Result<std::string> builtin_layout(const std::string& name) {
  const std::string ref = std::string(kBuiltinPrefix) + name;
  if (std::ranges::find(kBuiltinNames, name) == kBuiltinNames.end()) {
    return fail("find image", ref, "no such built-in image (there is " + builtin_list() + ")");
  }
  std::string tried;
  for (const std::string& dir : candidates(name)) {
    std::error_code ec;
    if (fs::is_regular_file(dir + "/oci-layout", ec)) {
      return dir;
    }
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  return fail("find image", ref,
              "the built-in image's layout is missing (looked in " + (tried.empty() ? "no place" : tried) +
                  "; set STRATA_BUILTIN_IMAGES; built-in images: " + builtin_list() + ")");
}

Result<Digest> resolve_image(const Store& store, const std::string& ref) {
  if (!ref.starts_with(kBuiltinPrefix)) {
    return store.resolve(ref);
  }
  // Asked of the table first so that a damaged store fails as such, not as a
  // failed import.
  auto table = store.refs();
  if (!table) {
    return std::unexpected(table.error());
  }
  auto layout = builtin_layout(ref.substr(kBuiltinPrefix.size()));
  if (const auto it = table->find(ref); it != table->end()) {
    // A rebuilt strata (a new busybox) ships a new layout: the tag follows it.
    const auto now = layout ? layout_manifest(*layout) : std::nullopt;
    if (!now || *now == it->second) {
      return it->second;
    }
    log::debug("{} changed since it was imported; importing it again", ref);
  }
  if (!layout) {
    return std::unexpected(layout.error());
  }
  auto done = import_image(store, *layout, ImportOptions{.tag = ref});
  if (!done) {
    return std::unexpected(done.error());
  }
  return done->manifest;
}

}  // namespace strata::image
