#include "probe/redact.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace strata::probe {

namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
// What may continue a name: "/root" must not match in "/root.old" or "/root-2".
bool name_char(char c) {
  return word_char(c) || c == '.' || c == '-';
}

// Replaces `term` with `with` where it stands as a whole name: not inside a
// longer word or file name ("root" in "rootfs", "/root" in "/rootfs").
void replace(std::string& text, const std::string& term, std::string_view with) {
  if (term.empty()) {
    return;
  }
  for (std::size_t at = text.find(term); at != std::string::npos; at = text.find(term, at)) {
    const std::size_t end = at + term.size();
    const bool starts = at == 0 || !word_char(text[at - 1]) || !word_char(term.front());
    const bool ends = end == text.size() || !name_char(text[end]);
    if (!starts || !ends) {
      at = end;
      continue;
    }
    text.replace(at, term.size(), with);
    at += with.size();
  }
}

void redact_json(nlohmann::json& value, const RedactTerms& terms) {
  if (value.is_string()) {
    value = redact_text(value.get<std::string>(), terms);
  } else if (value.is_structured()) {
    for (auto& child : value) {
      redact_json(child, terms);
    }
  }
}

}  // namespace

RedactTerms live_redact_terms() {
  RedactTerms terms;
  utsname uts{};
  if (::uname(&uts) == 0) {
    terms.hostname = uts.nodename;
  }
  // From the environment: a static strata has no NSS to ask (getpwuid).
  for (const char* name : {"USER", "LOGNAME"}) {
    if (const char* user = std::getenv(name); user != nullptr && *user != '\0' && terms.user.empty()) {
      terms.user = user;
    }
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    terms.home = home;
  }
  if (terms.home == "/") {
    terms.home.clear();  // replacing "/" would mangle every path
  }
  return terms;
}

std::string redact_text(std::string text, const RedactTerms& terms) {
  replace(text, terms.home, "~");
  replace(text, terms.user, "<user>");
  replace(text, terms.hostname, "<hostname>");
  return text;
}

void redact(Manifest& manifest, const RedactTerms& terms) {
  manifest.target = redact_text(manifest.target, terms);
  for (auto& [layer, facts] : manifest.layers) {
    for (auto& [key, fact] : facts) {
      redact_json(fact.value, terms);
      fact.source = redact_text(fact.source, terms);
    }
  }
  manifest.redacted = true;
}

}  // namespace strata::probe
