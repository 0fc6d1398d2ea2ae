#include "probe/sys_os_release.hpp"

#include <array>
#include <cctype>
#include <optional>
#include <utility>

#include "probe/sys_text.hpp"

namespace strata::probe::sys {

namespace {

bool is_key(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key.front())) != 0) {
    return false;
  }
  for (const char c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
      return false;
    }
  }
  return true;
}

// Inside double quotes the shell only treats these as escapable; "\n" stays
// a backslash and an n.
bool escapable_in_double_quotes(char c) {
  return c == '$' || c == '"' || c == '\\' || c == '`';
}

// The shell word at the start of `text`; nullopt when a quote is unbalanced
// (a broken line is skipped rather than guessed at).
std::optional<std::string> parse_word(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t') {
      break;  // the rest of the line is a comment or junk
    }
    if (c == '\'') {
      const auto end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return std::nullopt;
      }
      out += text.substr(i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && escapable_in_double_quotes(text[i + 1])) {
          ++i;
        }
        out += text[i];
      }
      if (i >= text.size()) {
        return std::nullopt;
      }
      ++i;
    } else if (c == '\\' && i + 1 < text.size()) {
      out += text[i + 1];
      i += 2;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string, std::less<>> parse_assignments(std::string_view text) {
  std::map<std::string, std::string, std::less<>> out;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    if (line.starts_with("export ")) {
      line = trim(line.substr(7));
    }
    const auto eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos || !is_key(line.substr(0, eq))) {
      continue;
    }
    if (auto value = parse_word(line.substr(eq + 1))) {
      out.insert_or_assign(std::string(line.substr(0, eq)), std::move(*value));
    }
  }
  return out;
}

namespace {

void add_release_file(const Root& root, Facts& facts, std::string_view path, const char* key) {
  if (auto text = root.read(path, 4096)) {
    if (const auto value = trim(*text); !value.empty()) {
      add(facts, key, std::string(value), std::string(path));
    }
  }
}

}  // namespace

void add_os_facts(const Root& root, Facts& facts) {
  // os-release(5): /etc/os-release wins, /usr/lib/os-release is the fallback.
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kKeys{{
      {"ID", "os.id"},
      {"VERSION_ID", "os.version_id"},
      {"PRETTY_NAME", "os.pretty_name"},
      {"ID_LIKE", "os.id_like"},
      {"VERSION_CODENAME", "os.version_codename"},
  }};
  for (const std::string_view path : {"/etc/os-release", "/usr/lib/os-release"}) {
    const auto text = root.read(path, 65536);
    if (!text) {
      continue;
    }
    const auto fields = parse_assignments(*text);
    for (const auto& [field, key] : kKeys) {
      if (const auto it = fields.find(field); it != fields.end() && !it->second.empty()) {
        add(facts, std::string(key), it->second, std::string(path));
      }
    }
    break;
  }
  add_release_file(root, facts, "/etc/debian_version", "os.debian_version");
  add_release_file(root, facts, "/etc/alpine-release", "os.alpine_release");
}

}  // namespace strata::probe::sys
