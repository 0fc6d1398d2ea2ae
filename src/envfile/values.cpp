// The typed value readers and the error every key reports through.
#include <fmt/format.h>

#include <algorithm>

#include "base/parse.hpp"
#include "envfile/keys.hpp"

namespace strata::envfile::detail {

namespace {

// How a value was written, for "expected a string, not an integer".
std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::unexpected<Error> wrong_type(const Context& ctx, const toml::node& node, std::string_view key,
                                  std::string_view expected) {
  return key_error(ctx, node, key, fmt::format("expected {}, not {}", expected, type_name(node)));
}

}  // namespace

std::unexpected<Error> key_error(const Context& ctx, const toml::node& node, std::string_view key,
                                 std::string detail) {
  return key_error(ctx, node.source(), key, std::move(detail));
}

std::unexpected<Error> key_error(const Context& ctx, const toml::source_region& where, std::string_view key,
                                 std::string detail) {
  const auto line = where.begin.line;
  const std::string step = line > 0 ? fmt::format("{}:{}: key", ctx.file, line) : ctx.file + ": key";
  return fail(step, std::string(key), std::move(detail));
}

Result<std::string> read_string(const Context& ctx, const toml::node& node, std::string_view key) {
  if (const auto* text = node.as_string()) {
    return text->get();
  }
  return wrong_type(ctx, node, key, "a string");
}

Result<bool> read_bool(const Context& ctx, const toml::node& node, std::string_view key) {
  if (const auto* flag = node.as_boolean()) {
    return flag->get();
  }
  return wrong_type(ctx, node, key, "true or false");
}

Result<std::vector<std::string>> read_strings(const Context& ctx, const toml::node& node,
                                              std::string_view key) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    return wrong_type(ctx, node, key, "an array of strings");
  }
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    const auto* text = item.as_string();
    if (text == nullptr) {
      return key_error(ctx, item, key,
                       fmt::format("expected an array of strings, found {} in it", type_name(item)));
    }
    out.push_back(text->get());
  }
  return out;
}

std::string resolve(const Context& ctx, std::string_view path) {
  const std::filesystem::path given(path);
  if (given.is_absolute()) {
    return std::string(path);
  }
  // "." and "dir/" normalize to a trailing '/', which a bind's default
  // destination would inherit.
  std::string out = (ctx.dir / given).lexically_normal().string();
  if (out.size() > 1 && out.ends_with('/')) {
    out.pop_back();
  }
  return out;
}

Result<std::string> read_path(const Context& ctx, const toml::node& node, std::string_view key) {
  auto text = read_string(ctx, node, key);
  if (!text) {
    return text;
  }
  if (text->empty() || text->find('\0') != std::string::npos) {
    return key_error(ctx, node, key, "expected a path");
  }
  return resolve(ctx, *text);
}

Result<std::string> read_scalar_text(const Context& ctx, const toml::node& node, std::string_view key,
                                     std::string_view expected) {
  if (const auto* text = node.as_string()) {
    return text->get();
  }
  if (const auto* number = node.as_integer()) {
    return fmt::format("{}", number->get());
  }
  if (const auto* number = node.as_floating_point()) {
    return fmt::format("{}", number->get());
  }
  return wrong_type(ctx, node, key, expected);
}

namespace {

// A refused scalar: what was expected, and what was written.
template <class T>
Result<T> scalar(const Context& ctx, const toml::node& node, std::string_view key, std::string_view expected,
                 const auto& parse) {
  auto text = read_scalar_text(ctx, node, key, expected);
  if (!text) {
    return std::unexpected(text.error());
  }
  Result<T> value = parse(*text);
  if (!value) {
    return key_error(ctx, node, key, fmt::format("expected {}, not '{}'", expected, *text));
  }
  return value;
}

}  // namespace

Result<std::uint64_t> read_size(const Context& ctx, const toml::node& node, std::string_view key) {
  return scalar<std::uint64_t>(ctx, node, key, "a size like 512m",
                               [](const std::string& t) { return parse_size(t); });
}

Result<std::chrono::milliseconds> read_duration(const Context& ctx, const toml::node& node,
                                                std::string_view key) {
  return scalar<std::chrono::milliseconds>(ctx, node, key, "a duration like 30s or 500ms",
                                           [](const std::string& t) { return parse_duration(t); });
}

Result<std::uint64_t> read_uint(const Context& ctx, const toml::node& node, std::string_view key,
                                std::uint64_t min, std::uint64_t max) {
  const std::string expected = fmt::format("a whole number from {} to {}", min, max);
  return scalar<std::uint64_t>(ctx, node, key, expected,
                               [min, max](const std::string& t) { return parse_uint(t, min, max); });
}

Result<> apply_table(Context& ctx, const toml::node& table, std::string_view prefix,
                     std::span<const KeyRow> rows) {
  const auto* entries = table.as_table();
  if (entries == nullptr) {
    return wrong_type(ctx, table, prefix.substr(0, prefix.size() - 1), "a table");
  }
  for (const auto& [name, value] : *entries) {
    const std::string key = fmt::format("{}{}", prefix, name.str());
    const auto row = std::ranges::find(rows, name.str(), &KeyRow::name);
    if (row == rows.end()) {
      return key_error(ctx, name.source(), key, "unknown key (see docs/strata-toml.md)");
    }
    if (auto ok = row->handle(ctx, value, key); !ok) {
      return ok;
    }
    if (!row->section) {
      ctx.keys.push_back(key);
    }
  }
  return {};
}

}  // namespace strata::envfile::detail
