// [[mounts]]: the file's form of --bind, --ro-bind and --tmpfs, one table
// per mount, in order, before the command line's.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "base/parse.hpp"
#include "envfile/keys.hpp"

namespace strata::envfile::detail {

namespace {

constexpr std::array kMountKeys{"type", "source", "destination", "size"};

Result<MountKind> mount_kind(const Context& ctx, const toml::table& mount, std::string_view key) {
  const toml::node* type = mount.get("type");
  if (type == nullptr) {
    return key_error(ctx, mount, fmt::format("{}.type", key), "missing: bind, ro-bind or tmpfs");
  }
  auto text = read_string(ctx, *type, fmt::format("{}.type", key));
  if (!text) {
    return std::unexpected(text.error());
  }
  if (*text == "bind") {
    return MountKind::bind;
  }
  if (*text == "ro-bind") {
    return MountKind::ro_bind;
  }
  if (*text == "tmpfs") {
    return MountKind::tmpfs;
  }
  return key_error(ctx, *type, fmt::format("{}.type", key),
                   fmt::format("expected bind, ro-bind or tmpfs, not '{}'", *text));
}

// The destination is checked as --bind's (normalized, never '/' or '..').
// A bind's source is taken whole, so it may contain ':', which the
// flag's SRC:DST form cannot say; a bind without a destination is mounted
// at its source's path, as --bind SRC is.
Result<MountSpec> bind(const Context& ctx, const toml::table& mount, std::string_view key, MountKind kind) {
  const toml::node* source = mount.get("source");
  if (source == nullptr) {
    return key_error(ctx, mount, fmt::format("{}.source", key), "missing: the host path to bind");
  }
  if (mount.get("size") != nullptr) {
    return key_error(ctx, *mount.get("size"), fmt::format("{}.size", key), "only a tmpfs has a size");
  }
  auto path = read_path(ctx, *source, fmt::format("{}.source", key));
  if (!path) {
    return std::unexpected(path.error());
  }
  const toml::node* dest = mount.get("destination");
  const toml::node& at = dest != nullptr ? *dest : *source;
  auto destination = dest != nullptr ? read_string(ctx, *dest, fmt::format("{}.destination", key)) : path;
  if (!destination) {
    return std::unexpected(destination.error());
  }
  const std::string dest_key = fmt::format("{}.destination", key);
  auto normalized = through(ctx, at, dest_key, normalize_destination(*destination));
  if (!normalized) {
    return std::unexpected(normalized.error());
  }
  if (*normalized == "/") {
    return key_error(ctx, at, dest_key, "cannot bind over '/'; use rootfs");
  }
  return MountSpec{.kind = kind, .source = std::move(*path), .destination = std::move(*normalized)};
}

Result<MountSpec> tmpfs(const Context& ctx, const toml::table& mount, std::string_view key) {
  const toml::node* dest = mount.get("destination");
  if (dest == nullptr) {
    return key_error(ctx, mount, fmt::format("{}.destination", key), "missing: where the tmpfs goes");
  }
  if (mount.get("source") != nullptr) {
    return key_error(ctx, *mount.get("source"), fmt::format("{}.source", key), "a tmpfs has no source");
  }
  auto destination = read_string(ctx, *dest, fmt::format("{}.destination", key));
  if (!destination) {
    return std::unexpected(destination.error());
  }
  const std::string dest_key = fmt::format("{}.destination", key);
  auto normalized = through(ctx, *dest, dest_key, normalize_destination(*destination));
  if (!normalized) {
    return std::unexpected(normalized.error());
  }
  if (*normalized == "/") {
    return key_error(ctx, *dest, dest_key, "cannot mount over '/'; use rootfs");
  }
  MountSpec spec{.kind = MountKind::tmpfs, .source = {}, .destination = std::move(*normalized)};
  if (const toml::node* size = mount.get("size")) {
    auto bytes = read_size(ctx, *size, fmt::format("{}.size", key));
    if (!bytes) {
      return std::unexpected(bytes.error());
    }
    spec.size = *bytes;
  }
  return spec;
}

Result<MountSpec> one_mount(const Context& ctx, const toml::node& node, std::string_view key) {
  const auto* mount = node.as_table();
  if (mount == nullptr) {
    return key_error(ctx, node, key, "expected a table {type, source, destination, size}");
  }
  for (const auto& [name, value] : *mount) {
    if (std::ranges::find(kMountKeys, name.str()) == kMountKeys.end()) {
      return key_error(ctx, name.source(), fmt::format("{}.{}", key, name.str()),
                       "unknown key (a mount has type, source, destination and size)");
    }
  }
  auto kind = mount_kind(ctx, *mount, key);
  if (!kind) {
    return std::unexpected(kind.error());
  }
  return *kind == MountKind::tmpfs ? tmpfs(ctx, *mount, key) : bind(ctx, *mount, key, *kind);
}

}  // namespace

Result<> set_mounts(Context& ctx, const toml::node& node, std::string_view key) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    return key_error(ctx, node, key, "expected an array of tables ([[mounts]])");
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto mount = one_mount(ctx, *array->get(i), fmt::format("{}[{}]", key, i));
    if (!mount) {
      return std::unexpected(mount.error());
    }
    ctx.spec.mounts.push_back(std::move(*mount));
  }
  return {};
}

}  // namespace strata::envfile::detail
