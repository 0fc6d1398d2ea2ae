// Parsers for the values of single `strata run` flags.
#include <algorithm>
#include <array>
#include <utility>

#include "base/parse.hpp"
#include "spec/spec.hpp"

namespace strata {

namespace {

constexpr std::array<std::pair<Namespace, std::string_view>, 7> kNamespaceNames{{
    {Namespace::user, "user"},
    {Namespace::mount, "mount"},
    {Namespace::pid, "pid"},
    {Namespace::ipc, "ipc"},
    {Namespace::uts, "uts"},
    {Namespace::net, "net"},
    {Namespace::cgroup, "cgroup"},
}};

}  // namespace

bool Spec::shares(Namespace ns) const {
  return std::ranges::find(shared, ns) != shared.end();
}

std::string_view to_string(Namespace ns) {
  for (const auto& [value, name] : kNamespaceNames) {
    if (value == ns) {
      return name;
    }
  }
  return "?";
}

std::string_view to_string(Isolation isolation) {
  switch (isolation) {
    case Isolation::host:
      return "host";
    case Isolation::sandbox:
      return "sandbox";
    case Isolation::container:
      return "container";
    case Isolation::vm:
      return "vm";
    case Isolation::wasm:
      return "wasm";
  }
  return "?";
}

Result<std::string> normalize_destination(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail("check destination", std::string(path), "must be an absolute path");
  }
  if (path.find('\0') != std::string_view::npos) {
    return fail("check destination", std::string(path), "contains a NUL byte");
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      return fail("check destination", std::string(path), "must not contain '..'");
    }
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

Result<MountSpec> parse_bind(std::string_view text, MountKind kind) {
  const auto colon = text.find(':');
  const std::string_view source = text.substr(0, colon);
  const std::string_view dest = colon == std::string_view::npos ? source : text.substr(colon + 1);
  if (source.empty() || dest.empty()) {
    return fail("parse bind", std::string(text), "expected SRC[:DST]");
  }
  auto destination = normalize_destination(dest);
  if (!destination) {
    return std::unexpected(destination.error());
  }
  if (*destination == "/") {
    return fail("parse bind", std::string(text), "cannot bind over '/'; use --rootfs");
  }
  return MountSpec{.kind = kind, .source = std::string(source), .destination = *destination};
}

Result<MountSpec> parse_tmpfs(std::string_view text) {
  const auto colon = text.find(':');
  auto destination = normalize_destination(text.substr(0, colon));
  if (!destination) {
    return std::unexpected(destination.error());
  }
  if (*destination == "/") {
    return fail("parse tmpfs", std::string(text), "cannot mount over '/'; use --rootfs");
  }
  MountSpec spec{.kind = MountKind::tmpfs, .source = {}, .destination = *destination};
  if (colon != std::string_view::npos) {
    auto size = parse_size(text.substr(colon + 1));
    if (!size) {
      return std::unexpected(size.error());
    }
    spec.size = *size;
  }
  return spec;
}

Result<EnvVar> parse_env(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == 0 || equals == std::string_view::npos) {
    return fail("parse env", std::string(text), "expected NAME=VALUE");
  }
  if (text.find('\0') != std::string_view::npos) {
    return fail("parse env", std::string(text), "contains a NUL byte");
  }
  return EnvVar{.name = std::string(text.substr(0, equals)), .value = std::string(text.substr(equals + 1))};
}

Result<Namespace> parse_namespace(std::string_view text) {
  for (const auto& [value, name] : kNamespaceNames) {
    if (name == text) {
      if (value == Namespace::user || value == Namespace::mount) {
        return fail("parse --share", std::string(text), "the user and mount namespaces are always new");
      }
      return value;
    }
  }
  return fail("parse --share", std::string(text), "expected one of pid, ipc, uts, net, cgroup");
}

Result<NetMode> parse_net(std::string_view text) {
  if (text == "none") {
    return NetMode::none;
  }
  if (text == "host") {
    return NetMode::host;
  }
  if (text == "user") {
    return NetMode::user;
  }
  return fail("parse --net", std::string(text), "expected none, host or user (user: --isolation vm only)");
}

Result<Isolation> parse_isolation(std::string_view text) {
  if (text == "host") {
    return Isolation::host;
  }
  if (text == "sandbox") {
    return Isolation::sandbox;
  }
  if (text == "container") {
    return Isolation::container;
  }
  if (text == "vm") {
    return Isolation::vm;
  }
  if (text == "wasm") {
    return Isolation::wasm;
  }
  return fail("parse --isolation", std::string(text), "expected host, sandbox, container, vm or wasm");
}

Result<ImageMount> parse_image_mount(std::string_view text) {
  if (text == "auto") {
    return ImageMount::automatic;
  }
  if (text == "overlay") {
    return ImageMount::overlay;
  }
  if (text == "copy") {
    return ImageMount::copy;
  }
  return fail("parse --image-mount", std::string(text), "expected auto, overlay or copy");
}

Result<WritableLayer> parse_writable_layer(std::string_view text) {
  if (text == "memory") {
    return WritableLayer::memory;
  }
  if (text == "disk") {
    return WritableLayer::disk;
  }
  return fail("parse --writable-layer", std::string(text), "expected memory or disk");
}

}  // namespace strata
