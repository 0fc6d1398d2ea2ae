// The top level of strata.toml: the command, the layer, the root, the
// process and its filesystem view (`env`, `mounts`).
#include <fmt/format.h>

#include <array>

#include "base/parse.hpp"
#include "envfile/keys.hpp"

namespace strata::envfile::detail {

namespace {

// An array only: a string would need a shell's word splitting, which
// strata never does for the workload; ["/bin/sh", "-c", "..."] says so openly.
Result<> set_command(Context& ctx, const toml::node& node, std::string_view key) {
  if (node.is_string()) {
    return key_error(ctx, node, key,
                     "expected an array of words like [\"python3\", \"app.py\"] (a string is not split; "
                     "for a shell line write [\"/bin/sh\", \"-c\", \"...\"])");
  }
  auto words = read_strings(ctx, node, key);
  if (!words) {
    return std::unexpected(words.error());
  }
  if (words->empty() || words->front().empty()) {
    return key_error(ctx, node, key, "expected a program and its arguments, not an empty command");
  }
  ctx.spec.argv = std::move(*words);
  return {};
}

Result<> set_isolation(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto layers = through(ctx, node, key, parse_layers(*text));
  if (!layers) {
    return std::unexpected(layers.error());
  }
  apply_layers(ctx.spec, *layers);
  return {};
}

// A key whose value is a string stored as is (`image`, `workdir`...) or a
// host path resolved against the file's directory (`rootfs`, `lock`).
template <auto field>
Result<> set_string(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  ctx.spec.*field = std::move(*text);
  return {};
}

template <auto field>
Result<> set_path(Context& ctx, const toml::node& node, std::string_view key) {
  auto path = read_path(ctx, node, key);
  if (!path) {
    return std::unexpected(path.error());
  }
  ctx.spec.*field = std::move(*path);
  return {};
}

Result<> set_network(Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto mode = through(ctx, node, key, parse_net(*text));
  if (!mode) {
    return std::unexpected(mode.error());
  }
  ctx.spec.net = *mode;
  return {};
}

Result<> set_share(Context& ctx, const toml::node& node, std::string_view key) {
  auto names = read_strings(ctx, node, key);
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const std::string& name : *names) {
    auto ns = through(ctx, node, key, parse_namespace(name));
    if (!ns) {
      return std::unexpected(ns.error());
    }
    ctx.spec.shared.push_back(*ns);
  }
  return {};
}

// Decimal and never (uid_t)-1, as --uid and --gid.
template <auto field>
Result<> set_id(Context& ctx, const toml::node& node, std::string_view key) {
  auto id = read_uint(ctx, node, key, 0, UINT32_MAX - 1);
  if (!id) {
    return std::unexpected(id.error());
  }
  ctx.spec.*field = static_cast<std::uint32_t>(*id);
  return {};
}

Result<> set_clear_env(Context& ctx, const toml::node& node, std::string_view key) {
  auto flag = read_bool(ctx, node, key);
  if (flag) {
    ctx.spec.clear_env = *flag;
  }
  return flag ? Result<>{} : std::unexpected(flag.error());
}

// pty = false is --no-pty; true leaves the default (a pty when stdin is one).
Result<> set_pty(Context& ctx, const toml::node& node, std::string_view key) {
  auto flag = read_bool(ctx, node, key);
  if (flag) {
    ctx.spec.pty = *flag ? PtyMode::automatic : PtyMode::never;
  }
  return flag ? Result<>{} : std::unexpected(flag.error());
}

// [env] NAME = "value": each through --env's parser, so the same names are refused.
Result<> set_env(Context& ctx, const toml::node& node, std::string_view key) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return key_error(ctx, node, key, "expected a table of NAME = \"value\"");
  }
  for (const auto& [name, value] : *table) {
    const std::string entry = fmt::format("{}.{}", key, name.str());
    auto text = read_string(ctx, value, entry);
    if (!text) {
      return std::unexpected(text.error());
    }
    auto var = through(ctx, value, entry, parse_env(fmt::format("{}={}", name.str(), *text)));
    if (!var) {
      return std::unexpected(var.error());
    }
    ctx.spec.env.push_back(std::move(*var));
  }
  return {};
}

}  // namespace

// mounts.cpp
Result<> set_mounts(Context& ctx, const toml::node& node, std::string_view key);

std::span<const KeyRow> top_rows() {
  static constexpr std::array kRows{
      KeyRow{"command", set_command},
      KeyRow{"isolation", set_isolation},
      KeyRow{"lock", set_path<&Spec::lock_file>},
      KeyRow{"image", set_string<&Spec::image>},
      KeyRow{"rootfs", set_path<&Spec::rootfs>},
      KeyRow{"workdir", set_string<&Spec::workdir>},
      KeyRow{"hostname", set_string<&Spec::hostname>},
      KeyRow{"network", set_network},
      KeyRow{"share", set_share},
      KeyRow{"uid", set_id<&Spec::uid>},
      KeyRow{"gid", set_id<&Spec::gid>},
      KeyRow{"clear_env", set_clear_env},
      KeyRow{"pty", set_pty},
      KeyRow{"env", set_env},
      KeyRow{"mounts", set_mounts},
  };
  return kRows;
}

}  // namespace strata::envfile::detail
