// Reading strata.toml: the file (at most kMaxFileSize), toml++'s parse, then every key
// through its row (keys_top.cpp, sections*.cpp).
#include <fmt/format.h>

#include <algorithm>

#include "base/files.hpp"
#include "envfile/envfile.hpp"
#include "envfile/keys.hpp"

namespace strata::envfile {

Result<Loaded> load_text(std::string_view text, const std::string& path, Spec& spec) {
  if (auto ok = detail::check_text(text, path); !ok) {
    return std::unexpected(ok.error());
  }
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    const toml::source_position where = error.source().begin;
    return fail(fmt::format("{}:{}:{}: invalid TOML", path, where.line, where.column), "",
                std::string(error.description()));
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) {
    return fail("read environment file", path, ec.message());
  }
  detail::Context ctx{.file = path, .dir = absolute.parent_path(), .spec = spec, .keys = {}};
  std::vector<detail::KeyRow> rows(detail::top_rows().begin(), detail::top_rows().end());
  rows.insert(rows.end(), detail::section_rows().begin(), detail::section_rows().end());
  if (auto ok = detail::apply_table(ctx, parsed.table(), "", rows); !ok) {
    return std::unexpected(ok.error());
  }
  std::ranges::sort(ctx.keys);
  return Loaded{.path = path, .absolute_path = absolute.string(), .keys = std::move(ctx.keys)};
}

Result<Loaded> load_file(const std::string& path, Spec& spec) {
  auto text = read_small_file(path, kMaxFileSize, "read environment file");
  if (!text) {
    return std::unexpected(text.error());
  }
  return load_text(*text, path, spec);
}

}  // namespace strata::envfile
