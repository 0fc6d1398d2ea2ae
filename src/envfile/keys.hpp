// Inside src/envfile: the reading context, the typed value readers every key
// uses, and the key tables (keys_top.cpp, keys_tables.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "envfile/toml.hpp"
#include "spec/spec.hpp"

namespace strata::envfile::detail {

struct Context {
  std::string file;           // as named in messages
  std::filesystem::path dir;  // absolute; relative paths in the file resolve against it
  Spec& spec;
  std::vector<std::string> keys;  // the keys set so far
};

// "FILE:LINE: key 'KEY': DETAIL" (the line of `node` or `where`, when toml++ knows it).
[[nodiscard]] std::unexpected<Error> key_error(const Context& ctx, const toml::source_region& where,
                                               std::string_view key, std::string detail);
[[nodiscard]] std::unexpected<Error> key_error(const Context& ctx, const toml::node& node,
                                               std::string_view key, std::string detail);

// A value through one of the Spec's parsers: the parser's reason, quoted value first.
template <class T>
[[nodiscard]] Result<T> through(const Context& ctx, const toml::node& node, std::string_view key,
                                Result<T> parsed);

// The typed readers: each refuses any other TOML type with "expected ...".
[[nodiscard]] Result<std::string> read_string(const Context& ctx, const toml::node& node,
                                              std::string_view key);
[[nodiscard]] Result<bool> read_bool(const Context& ctx, const toml::node& node, std::string_view key);
[[nodiscard]] Result<std::vector<std::string>> read_strings(const Context& ctx, const toml::node& node,
                                                            std::string_view key);
// A host path: relative ones are made absolute against the file's directory.
[[nodiscard]] Result<std::string> read_path(const Context& ctx, const toml::node& node, std::string_view key);
[[nodiscard]] std::string resolve(const Context& ctx, std::string_view path);
// Sizes, durations, counts and signals may be written as a number (512, 30)
// or as a string with a unit ("512m", "30s"); both reach the flag's parser as text.
// `expected` is the message when the value is refused ("a size like 512m").
[[nodiscard]] Result<std::string> read_scalar_text(const Context& ctx, const toml::node& node,
                                                   std::string_view key, std::string_view expected);
[[nodiscard]] Result<std::uint64_t> read_size(const Context& ctx, const toml::node& node,
                                              std::string_view key);
[[nodiscard]] Result<std::chrono::milliseconds> read_duration(const Context& ctx, const toml::node& node,
                                                              std::string_view key);
[[nodiscard]] Result<std::uint64_t> read_uint(const Context& ctx, const toml::node& node,
                                              std::string_view key, std::uint64_t min, std::uint64_t max);

// One key of a table: its name, and what it does with its value.
using Handler = Result<> (*)(Context& ctx, const toml::node& node, std::string_view key);
struct KeyRow {
  std::string_view name;
  Handler handle;
  bool section = false;  // a table of keys with rows of its own ([resources]); not recorded as set
};

// Applies every key of `table` through its row; a key without a row is an
// error. `prefix` is the table's dotted name ("resources."), "" at the top.
[[nodiscard]] Result<> apply_table(Context& ctx, const toml::node& table, std::string_view prefix,
                                   std::span<const KeyRow> rows);

// Refuses, before toml++ parses it, text that toml++ 3.3 mishandles
// (precheck.cpp): control characters, non-ASCII between tokens.
[[nodiscard]] Result<> check_text(std::string_view text, const std::string& path);

// The top level's rows (keys_top.cpp) and the sections' (keys_tables.cpp).
[[nodiscard]] std::span<const KeyRow> top_rows();
[[nodiscard]] std::span<const KeyRow> section_rows();

template <class T>
Result<T> through(const Context& ctx, const toml::node& node, std::string_view key, Result<T> parsed) {
  if (!parsed) {
    const Error& e = parsed.error();
    return key_error(ctx, node, key, e.path.empty() ? e.detail : "'" + e.path + "': " + e.detail);
  }
  return parsed;
}

}  // namespace strata::envfile::detail
