// What strata refuses before toml++ sees the text. toml++ 3.3 (Debian 12)
// has a lookup, is_non_ascii_horizontal_whitespace, that reaches
// __builtin_unreachable for most non-ASCII characters (é, Cyrillic, U+FEFB)
// wherever the parser asks "is this whitespace?" or "does the value end
// here?": between tokens, inside a bare token it reads on, and after a
// backslash in a """ string (toml++ issues #190 and #295, fixed upstream in
// 2026). That is undefined behaviour on a user's file, so such text never
// reaches it. This scanner follows TOML's tokens as toml++ reads them
// (strings, comments, keys, values, arrays, inline tables, headers) and
// refuses a non-ASCII character anywhere but inside a string or a comment
// (where TOML allows none anyway), a quote where toml++ would not start a
// string (glued to a bare token: `2"é"`), and a non-ASCII character after a
// backslash in a """ string. Control characters other than tab, which TOML
// forbids everywhere, are refused too, so that no message quotes one.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "envfile/keys.hpp"

namespace strata::envfile::detail {

namespace {

class Scanner {
 public:
  Scanner(std::string_view text, const std::string& path) : text_(text), path_(path) {
    if (text_.starts_with("\xEF\xBB\xBF")) {
      i_ = 3;  // a UTF-8 byte order mark, which toml++ skips
    }
  }

  Result<> run() {
    while (i_ < text_.size()) {
      if (auto ok = step(); !ok) {
        return ok;
      }
    }
    return {};
  }

 private:
  enum class State { syntax, comment, basic, literal, ml_basic, ml_literal };

  [[nodiscard]] unsigned char at(std::size_t k) const {
    return k < text_.size() ? static_cast<unsigned char>(text_[k]) : 0;
  }
  [[nodiscard]] bool starts(std::string_view s) const { return text_.substr(i_).starts_with(s); }

  std::unexpected<Error> refuse(std::string detail) const {
    return fail(fmt::format("{}:{}:{}: invalid TOML", path_, line_, column_), "", std::move(detail));
  }

  void advance(std::size_t n = 1) {
    for (; n > 0 && i_ < text_.size(); --n, ++i_) {
      const auto c = static_cast<unsigned char>(text_[i_]);
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {  // code points, as toml++ counts
        ++column_;
      }
    }
  }

  // A closing """ or ''' may be preceded by up to two more quotes, which
  // belong to the string.
  void close_multiline(char quote) {
    std::size_t run = 0;
    while (at(i_ + run) == static_cast<unsigned char>(quote) && run < 5) {
      ++run;
    }
    advance(run);
    state_ = State::syntax;
  }

  Result<> step();
  Result<> syntax(unsigned char c);
  Result<> open_string(unsigned char c);
  Result<> after_line_ending_backslash();

  // What may come next outside strings: a key, a value, or neither (after
  // one, before '=', ',', ']', '}' or the end of the line).
  enum class Expect { key, value, after };
  // A bare token in progress: a key ([A-Za-z0-9_-]), or a value, which
  // toml++ reads up to whitespace, ',', ']', '}' or '#'.
  enum class Bare { none, key, value };

  std::string_view text_;
  const std::string& path_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  State state_ = State::syntax;
  Expect expect_ = Expect::key;
  Bare bare_ = Bare::none;
  std::vector<char> nest_;  // open '[' (array), '{' (inline table), 'h' (table header)
};

bool is_key_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool ends_value(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}' || c == '#';
}

// In a """ string, '\' then spaces and a newline: toml++ skips the
// whitespace after it by asking, of the first other character, whether it
// is whitespace.
Result<> Scanner::after_line_ending_backslash() {
  if (at(i_ + 1) >= 0x80) {
    return refuse("'\\' before a non-ASCII character is not a TOML escape");
  }
  std::size_t k = i_ + 1;
  while (at(k) == ' ' || at(k) == '\t') {
    ++k;
  }
  if (at(k) >= 0x80) {  // toml++ asks whether it is whitespace too
    advance(k - i_);
    return refuse("a non-ASCII character after a backslash and whitespace is not supported (toml++ 3.3)");
  }
  if (at(k) != '\n' && !(at(k) == '\r' && at(k + 1) == '\n')) {
    advance(2);  // an escape such as \" or \\: skip both
    return {};
  }
  while (at(k) == ' ' || at(k) == '\t' || at(k) == '\n' || at(k) == '\r') {
    ++k;
  }
  advance(k - i_);
  if (at(i_) >= 0x80) {
    return refuse("a non-ASCII character right after a line-ending backslash is not supported (toml++ 3.3)");
  }
  return {};
}

Result<> Scanner::open_string(unsigned char c) {
  if (expect_ == Expect::after) {
    // Glued to a token toml++ has read ("a"b", 1"x"): not a string to it.
    return refuse("a quote right after another token");
  }
  expect_ = Expect::after;  // for what follows the string
  const bool multi = starts(c == '"' ? "\"\"\"" : "'''");
  state_ = c == '"' ? (multi ? State::ml_basic : State::basic) : (multi ? State::ml_literal : State::literal);
  advance(multi ? 3 : 1);
  return {};
}

Result<> Scanner::syntax(unsigned char c) {
  if (c >= 0x80) {
    return refuse("a non-ASCII character outside a string or comment");
  }
  if ((bare_ == Bare::key && !is_key_char(c)) || (bare_ == Bare::value && ends_value(c))) {
    bare_ = Bare::none;
    expect_ = Expect::after;
  }
  if (bare_ != Bare::none) {
    if (c == '"' || c == '\'') {
      return refuse("a quote right after another token");
    }
    advance();
    return {};
  }
  switch (c) {
    case ' ':
    case '\t':
    case '\r':
      break;
    case '\n':
      if (std::ranges::find(nest_, '[') == nest_.end()) {  // only an array spans lines
        nest_.clear();
        expect_ = Expect::key;
      }
      break;
    case '#':
      state_ = State::comment;
      break;
    case '=':
      expect_ = Expect::value;
      break;
    case '.':
      expect_ = Expect::key;
      break;
    case '[':
      nest_.push_back(expect_ == Expect::value ? '[' : 'h');
      break;
    case '{':
      nest_.push_back('{');
      expect_ = Expect::key;
      break;
    case ']':
    case '}':
      if (!nest_.empty()) {
        nest_.pop_back();
      }
      expect_ = Expect::after;
      break;
    case ',':
      expect_ = !nest_.empty() && nest_.back() == '[' ? Expect::value : Expect::key;
      break;
    case '"':
    case '\'':
      return open_string(c);
    default:
      bare_ = expect_ == Expect::key ? Bare::key : Bare::value;
      break;
  }
  advance();
  return {};
}

Result<> Scanner::step() {
  const unsigned char c = at(i_);
  if ((c < 0x20 && c != '\t' && c != '\n' && !(c == '\r' && at(i_ + 1) == '\n')) || c == 0x7f) {
    return refuse(fmt::format("control character U+{:04X} (only tab is allowed)", c));
  }
  switch (state_) {
    case State::syntax:
      return syntax(c);
    case State::comment:
      if (c == '\n') {
        state_ = State::syntax;
        return syntax(c);
      }
      break;
    case State::basic:
    case State::literal:
      if (c == '\\' && state_ == State::basic) {
        if (at(i_ + 1) >= 0x80) {
          return refuse("'\\' before a non-ASCII character is not a TOML escape");
        }
        advance(2);
        return {};
      }
      if ((c == '"' && state_ == State::basic) || (c == '\'' && state_ == State::literal)) {
        state_ = State::syntax;
      } else if (c == '\n') {  // a broken one-line string: toml++ stops there
        state_ = State::syntax;
        return syntax(c);
      }
      break;
    case State::ml_basic:
      if (c == '\\') {
        return after_line_ending_backslash();
      }
      if (starts("\"\"\"")) {
        close_multiline('"');
        return {};
      }
      break;
    case State::ml_literal:
      if (starts("'''")) {
        close_multiline('\'');
        return {};
      }
      break;
  }
  advance();
  return {};
}

}  // namespace

Result<> check_text(std::string_view text, const std::string& path) {
  return Scanner(text, path).run();
}

}  // namespace strata::envfile::detail
