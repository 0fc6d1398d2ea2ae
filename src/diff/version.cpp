#include "diff/version.hpp"

#include <cctype>

namespace strata::diff {

namespace {

bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool separator(char c) {
  return c == '.' || c == '-' || c == '_' || c == '+' || c == ':' || c == '~';
}

void skip_separators(std::string_view& s) {
  while (!s.empty() && separator(s.front())) {
    s.remove_prefix(1);
  }
}

// The run of digits (or non-digits) at the front of `s`, removed from it.
std::string_view take_run(std::string_view& s) {
  const bool numeric = digit(s.front());
  std::size_t n = 0;
  while (n < s.size() && digit(s[n]) == numeric && !separator(s[n])) {
    ++n;
  }
  const std::string_view run = s.substr(0, n);
  s.remove_prefix(n);
  return run;
}

int compare_numbers(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') {
    a.remove_prefix(1);
  }
  while (b.size() > 1 && b.front() == '0') {
    b.remove_prefix(1);
  }
  if (a.size() != b.size()) {
    return a.size() < b.size() ? -1 : 1;
  }
  return a.compare(b);
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  for (skip_separators(a), skip_separators(b); !a.empty() && !b.empty();
       skip_separators(a), skip_separators(b)) {
    const bool numeric_a = digit(a.front());
    const bool numeric_b = digit(b.front());
    if (numeric_a != numeric_b) {
      return numeric_a ? 1 : -1;  // "1.2.3" > "1.2.rc1"
    }
    const std::string_view run_a = take_run(a);
    const std::string_view run_b = take_run(b);
    const int c = numeric_a ? compare_numbers(run_a, run_b) : run_a.compare(run_b);
    if (c != 0) {
      return c < 0 ? -1 : 1;
    }
  }
  if (a.empty() && b.empty()) {
    return 0;
  }
  return a.empty() ? -1 : 1;
}

}  // namespace strata::diff
