// The sections of strata.toml that a plain run uses: [container] (the
// --image options), [resources] and [security].
#include <fmt/format.h>

#include <array>

#include "base/parse.hpp"
#include "envfile/keys.hpp"

namespace strata::envfile::detail {

namespace {

// A string through one of the Spec's parsers, stored in a field.
template <class T, auto parse, auto field>
Result<> set_parsed(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto value = through(ctx, node, key, Result<T>(parse(*text)));
  if (!value) {
    return std::unexpected(value.error());
  }
  ctx.spec.*field = std::move(*value);
  return {};
}

template <auto field>
Result<> set_flag(Context& ctx, const toml::node& node, std::string_view key) {
  auto flag = read_bool(ctx, node, key);
  if (!flag) {
    return std::unexpected(flag.error());
  }
  ctx.spec.*field = *flag;
  return {};
}

template <auto field>
Result<> set_text(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  ctx.spec.*field = std::move(*text);
  return {};
}

constexpr std::array kContainerRows{
    KeyRow{"read_only", set_flag<&Spec::read_only>},
    KeyRow{"keep", set_flag<&Spec::keep>},
    KeyRow{"writable_layer", set_parsed<WritableLayer, parse_writable_layer, &Spec::writable_layer>},
    KeyRow{"image_mount", set_parsed<ImageMount, parse_image_mount, &Spec::image_mount>},
    KeyRow{"entrypoint", set_text<&Spec::entrypoint>},
    KeyRow{"user", set_text<&Spec::user>},
};

Result<> set_memory(Context& ctx, const toml::node& node, std::string_view key) {
  auto bytes = read_size(ctx, node, key);
  if (bytes) {
    ctx.spec.resources.memory_bytes = *bytes;
  }
  return bytes ? Result<>{} : std::unexpected(bytes.error());
}

Result<> set_cpus(Context& ctx, const toml::node& node, std::string_view key) {
  constexpr std::string_view kExpected = "a number of CPUs like 0.5 or 2";
  auto text = read_scalar_text(ctx, node, key, kExpected);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto cpus = parse_cpus(*text);
  if (!cpus) {
    return key_error(ctx, node, key, fmt::format("expected {} (0.01 to 4096), not '{}'", kExpected, *text));
  }
  ctx.spec.resources.cpus = *cpus;
  return {};
}

Result<> set_pids(Context& ctx, const toml::node& node, std::string_view key) {
  auto pids = read_uint(ctx, node, key, 1, 4194304);
  if (pids) {
    ctx.spec.resources.pids = *pids;
  }
  return pids ? Result<>{} : std::unexpected(pids.error());
}

Result<> set_timeout(Context& ctx, const toml::node& node, std::string_view key) {
  auto duration = read_duration(ctx, node, key);
  if (duration) {
    ctx.spec.resources.timeout = *duration;
  }
  return duration ? Result<>{} : std::unexpected(duration.error());
}

Result<> set_kill_after(Context& ctx, const toml::node& node, std::string_view key) {
  auto duration = read_duration(ctx, node, key);
  if (duration) {
    ctx.spec.resources.kill_after = *duration;
  }
  return duration ? Result<>{} : std::unexpected(duration.error());
}

Result<> set_stop_signal(Context& ctx, const toml::node& node, std::string_view key) {
  constexpr std::string_view kExpected = "a signal like \"TERM\" or 15";
  auto text = read_scalar_text(ctx, node, key, kExpected);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto signal = parse_signal(*text);
  if (!signal) {
    return key_error(ctx, node, key, fmt::format("expected {}, not '{}'", kExpected, *text));
  }
  ctx.spec.resources.stop_signal = *signal;
  return {};
}

constexpr std::array kResourceRows{
    KeyRow{"memory", set_memory},
    KeyRow{"cpus", set_cpus},
    KeyRow{"pids", set_pids},
    KeyRow{"timeout", set_timeout},
    KeyRow{"kill_after", set_kill_after},
    KeyRow{"stop_signal", set_stop_signal},
};

// "default", "unconfined" or a profile, resolved against the file's directory.
Result<> set_seccomp(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto choice = through(ctx, node, key, parse_seccomp(*text));
  if (!choice) {
    return std::unexpected(choice.error());
  }
  if (choice->kind == SeccompChoice::Kind::file) {
    choice->path = resolve(ctx, choice->path);
  }
  ctx.spec.seccomp = std::move(*choice);
  return {};
}

// cap_add = ["NET_ADMIN"], cap_drop = ["NET_RAW"]: each name as --cap-add's.
template <auto field>
Result<> set_caps(Context& ctx, const toml::node& node, std::string_view key) {
  auto names = read_strings(ctx, node, key);
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const std::string& name : *names) {
    auto caps = through(ctx, node, key, parse_capabilities(name));
    if (!caps) {
      return std::unexpected(caps.error());
    }
    (ctx.spec.*field).insert((ctx.spec.*field).end(), caps->begin(), caps->end());
  }
  return {};
}

// [security.rlimits] nofile = 1024, fsize = "10m:20m": NAME = SOFT[:HARD] as --rlimit's.
Result<> set_rlimits(Context& ctx, const toml::node& node, std::string_view key) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return key_error(ctx, node, key, "expected a table of NAME = SOFT or \"SOFT:HARD\"");
  }
  for (const auto& [name, value] : *table) {
    const std::string entry = fmt::format("{}.{}", key, name.str());
    auto text = read_scalar_text(ctx, value, entry, "a limit like 1024, \"unlimited\" or \"10m:20m\"");
    if (!text) {
      return std::unexpected(text.error());
    }
    auto limit = through(ctx, value, entry, parse_rlimit(fmt::format("{}={}", name.str(), *text)));
    if (!limit) {
      return std::unexpected(limit.error());
    }
    ctx.spec.rlimits.push_back(std::move(*limit));
  }
  return {};
}

constexpr std::array kSecurityRows{
    KeyRow{"seccomp", set_seccomp},
    KeyRow{"landlock", set_parsed<LandlockMode, parse_landlock, &Spec::landlock>},
    KeyRow{"cap_add", set_caps<&Spec::cap_add>},
    KeyRow{"cap_drop", set_caps<&Spec::cap_drop>},
    KeyRow{"rlimits", set_rlimits},
};

template <const auto& rows>
Result<> section(Context& ctx, const toml::node& node, std::string_view key) {
  return apply_table(ctx, node, fmt::format("{}.", key), rows);
}

}  // namespace

// sections_layers.cpp
Result<> apply_python(Context& ctx, const toml::node& node, std::string_view key);
Result<> apply_node(Context& ctx, const toml::node& node, std::string_view key);
Result<> apply_vm(Context& ctx, const toml::node& node, std::string_view key);
Result<> apply_wasm(Context& ctx, const toml::node& node, std::string_view key);

std::span<const KeyRow> section_rows() {
  static constexpr std::array kRows{
      KeyRow{"container", section<kContainerRows>, true},
      KeyRow{"resources", section<kResourceRows>, true},
      KeyRow{"security", section<kSecurityRows>, true},
      KeyRow{"python", apply_python, true},
      KeyRow{"node", apply_node, true},
      KeyRow{"vm", apply_vm, true},
      KeyRow{"wasm", apply_wasm, true},
  };
  return kRows;
}

}  // namespace strata::envfile::detail
