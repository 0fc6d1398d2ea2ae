// Parsers for the values of single `strata run` flags.
#include <algorithm>
#include <array>
#include <utility>
#include <vector>

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

namespace {

// Why `outer+inner` does not nest, or empty when it does.
std::string_view nesting_refusal(Isolation outer, Isolation inner) {
  if (outer == Isolation::host) {
    return "host is no layer at all: nothing runs inside it but a venv (use venv or host+venv)";
  }
  if (outer == Isolation::wasm || inner == Isolation::wasm) {
    return "a WebAssembly module runs on an engine, which strata already confines; wasm does not nest";
  }
  if (inner == Isolation::vm) {
    return "a VM needs the host's hypervisor; it cannot run inside another layer";
  }
  if (outer != Isolation::vm) {
    return "a sandbox or a container shares the host's kernel: another one inside adds nothing; put a vm "
           "outside it";
  }
  if (inner == Isolation::host) {
    return "host cannot be an inner layer";
  }
  return {};
}

}  // namespace

Result<Layers> parse_layers(std::string_view text) {
  if (text == "auto") {
    return Layers{.automatic = true};
  }
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0;;) {
    const std::size_t plus = text.find('+', pos);
    parts.push_back(text.substr(pos, plus == std::string_view::npos ? std::string_view::npos : plus - pos));
    if (plus == std::string_view::npos) {
      break;
    }
    pos = plus + 1;
  }
  Layers layers;
  if (parts.back() == "venv") {
    layers.venv = true;
    parts.pop_back();
    if (parts.empty()) {
      layers.outer = Isolation::host;
      return layers;
    }
  }
  std::vector<Isolation> os;
  for (const std::string_view part : parts) {
    if (part == "venv") {
      return fail("parse --isolation", std::string(text),
                  "venv is a language environment: it must be the innermost (last) layer");
    }
    if (part == "auto") {
      return fail("parse --isolation", std::string(text),
                  "auto picks the whole stack; it cannot be combined");
    }
    auto one = parse_isolation(part);
    if (!one) {
      return fail("parse --isolation", std::string(text),
                  "expected a layer (host, sandbox, container, vm, wasm, venv), layers joined by '+' "
                  "outermost first (vm+container+venv), or auto");
    }
    os.push_back(*one);
  }
  if (os.size() > 2) {
    return fail("parse --isolation", std::string(text),
                "at most two OS layers nest: vm+sandbox or vm+container");
  }
  layers.outer = os.front();
  if (os.size() == 2) {
    if (const std::string_view why = nesting_refusal(os[0], os[1]); !why.empty()) {
      return fail("parse --isolation", std::string(text), std::string(why));
    }
    layers.in_vm = os[1];
  }
  if (layers.venv && layers.outer == Isolation::wasm) {
    return fail("parse --isolation", std::string(text),
                "a WebAssembly module has no Python or Node packages");
  }
  return layers;
}

void apply_layers(Spec& spec, const Layers& layers) {
  spec.isolation = layers.outer;
  spec.in_vm = layers.in_vm;
  spec.venv = layers.venv;
  spec.isolation_auto = layers.automatic;
  spec.isolation_given = true;
}

std::string layers_text(const Spec& spec) {
  if (spec.isolation_auto) {
    return "auto";
  }
  if (spec.isolation == Isolation::host && spec.venv) {
    return "venv";
  }
  std::string out(to_string(spec.isolation));
  if (spec.in_vm) {
    out += '+';
    out += to_string(*spec.in_vm);
  }
  if (spec.venv) {
    out += "+venv";
  }
  return out;
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
