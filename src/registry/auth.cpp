#include "registry/auth.hpp"

#include <array>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/files.hpp"

namespace strata::registry {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kAuthFileLimit = 1U << 20U;

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").contains(c);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// A cursor over a header value.
struct Scanner {
  std::string_view text;
  std::size_t pos = 0;

  void skip_space() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
      ++pos;
    }
  }
  std::string_view token() {
    const std::size_t start = pos;
    while (pos < text.size() && token_char(text[pos])) {
      ++pos;
    }
    return text.substr(start, pos - start);
  }
  // An unquoted value: RFC 7235 wants a token, registries send URLs too.
  std::string bare() {
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] != ',' && text[pos] != ' ' && text[pos] != '\t') {
      ++pos;
    }
    return std::string(text.substr(start, pos - start));
  }
  [[nodiscard]] bool at(char c) const { return pos < text.size() && text[pos] == c; }
  // A quoted-string with backslash escapes; nullopt if unterminated.
  std::optional<std::string> quoted() {
    std::string out;
    for (++pos; pos < text.size(); ++pos) {
      if (text[pos] == '"') {
        ++pos;
        return out;
      }
      if (text[pos] == '\\' && pos + 1 < text.size()) {
        ++pos;
      }
      out += text[pos];
    }
    return std::nullopt;
  }
};

// Reads "name=value" pairs until the next scheme; false on malformed input.
bool read_params(Scanner& s, Challenge& challenge) {
  for (;;) {
    s.skip_space();
    while (s.at(',')) {
      ++s.pos;
      s.skip_space();
    }
    const std::size_t mark = s.pos;
    const std::string name = lower(s.token());
    s.skip_space();
    if (name.empty() || !s.at('=')) {
      s.pos = mark;  // the end, or the next challenge's scheme
      return true;
    }
    ++s.pos;
    s.skip_space();
    std::optional<std::string> value = s.at('"') ? s.quoted() : std::optional(s.bare());
    if (!value) {
      return false;
    }
    challenge.params[name] = *value;
  }
}

std::string host_of_key(std::string_view key) {
  if (const std::size_t scheme = key.find("://"); scheme != std::string_view::npos) {
    key = key.substr(scheme + 3);
  }
  return lower(key.substr(0, key.find('/')));
}

bool key_matches(std::string_view key, const std::string& domain) {
  const std::string host = host_of_key(key);
  if (domain == "docker.io") {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
  }
  return host == lower(domain);
}

Result<Credentials> entry_credentials(const nlohmann::json& entry, const std::string& where) {
  if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
    const auto decoded = base64_decode(entry["auth"].get<std::string>());
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return fail("read credentials", where, "an \"auth\" value is not base64 of USER:PASSWORD");
    }
    return Credentials{.username = decoded->substr(0, colon), .password = decoded->substr(colon + 1)};
  }
  if (entry.contains("username") && entry["username"].is_string() && entry.contains("password") &&
      entry["password"].is_string()) {
    return Credentials{.username = entry["username"].get<std::string>(),
                       .password = entry["password"].get<std::string>()};
  }
  return fail("read credentials", where, "an entry of \"auths\" has neither \"auth\" nor username/password");
}

Result<std::optional<Credentials>> from_file(const std::string& path, const std::string& domain) {
  if (::access(path.c_str(), F_OK) != 0) {
    return std::optional<Credentials>();
  }
  auto text = read_small_file(path, kAuthFileLimit, "read credentials");
  if (!text) {
    return std::unexpected(text.error());
  }
  return credentials_from_auth_json(*text, domain, path);
}

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner s{.text = header};
  for (;;) {
    s.skip_space();
    while (s.at(',')) {
      ++s.pos;
      s.skip_space();
    }
    const std::string scheme = lower(s.token());
    if (scheme.empty()) {
      return out;
    }
    Challenge challenge{.scheme = scheme};
    if (!read_params(s, challenge)) {
      return out;
    }
    out.push_back(std::move(challenge));
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16U) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8U) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], kAlphabet[(n >> 6U) & 63U],
            kAlphabet[n & 63U]};
  }
  if (i + 1 == bytes.size()) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U;
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const auto n =
        (static_cast<unsigned char>(bytes[i]) << 16U) | (static_cast<unsigned char>(bytes[i + 1]) << 8U);
    out += {kAlphabet[(n >> 18U) & 63U], kAlphabet[(n >> 12U) & 63U], kAlphabet[(n >> 6U) & 63U], '='};
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (text.ends_with('=')) {
    text.remove_suffix(1);
  }
  std::string out;
  unsigned buffer = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const std::size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6U) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xffU);
    }
  }
  return out;
}

std::string basic_authorization(const Credentials& credentials) {
  return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

Result<std::optional<Credentials>> credentials_from_auth_json(std::string_view text,
                                                              const std::string& domain,
                                                              const std::string& where) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail("read credentials", where, "not a JSON object");
  }
  const auto auths = doc.find("auths");
  if (auths == doc.end()) {
    return std::optional<Credentials>();
  }
  if (!auths->is_object()) {
    return fail("read credentials", where, "\"auths\" is not an object");
  }
  for (const auto& [key, entry] : auths->items()) {
    if (key_matches(key, domain) && entry.is_object()) {
      auto credentials = entry_credentials(entry, where);
      if (!credentials) {
        return std::unexpected(credentials.error());
      }
      return std::optional(*credentials);
    }
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> find_credentials(const std::string& domain) {
  // NOLINTBEGIN(concurrency-mt-unsafe): read once by a single-threaded CLI
  const char* auth_file = std::getenv("REGISTRY_AUTH_FILE");
  const char* docker_config = std::getenv("DOCKER_CONFIG");
  const char* home = std::getenv("HOME");
  // NOLINTEND(concurrency-mt-unsafe)
  std::vector<std::string> files;
  if (auth_file != nullptr && *auth_file != '\0') {
    files.emplace_back(auth_file);
  }
  if (docker_config != nullptr && *docker_config != '\0') {
    files.push_back(std::string(docker_config) + "/config.json");
  } else if (home != nullptr && *home == '/') {
    files.push_back(std::string(home) + "/.docker/config.json");
  }
  for (const std::string& file : files) {
    auto found = from_file(file, domain);
    if (!found || *found) {
      return found;
    }
  }
  return std::optional<Credentials>();
}

Result<std::string> token_url(const Challenge& challenge, const std::string& scope) {
  const auto realm = challenge.params.find("realm");
  if (realm == challenge.params.end() || realm->second.empty()) {
    return fail("authenticate", "WWW-Authenticate", "a Bearer challenge without a realm");
  }
  std::string url = realm->second;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (const auto service = challenge.params.find("service"); service != challenge.params.end()) {
    url += sep + std::string("service=") + url_encode(service->second);
    sep = '&';
  }
  const auto named = challenge.params.find("scope");
  url += sep + std::string("scope=") + url_encode(named != challenge.params.end() ? named->second : scope);
  return url;
}

Result<std::string> parse_token_answer(std::string_view body, const std::string& where) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail("authenticate", where, "the token service's answer is not a JSON object");
  }
  for (const char* key : {"token", "access_token"}) {
    if (const auto it = doc.find(key);
        it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  return fail("authenticate", where, "the token service's answer holds no \"token\"");
}

std::string url_encode(std::string_view text) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~").contains(c)) {
      out += c;
    } else {
      out += {'%', kHex[u >> 4U], kHex[u & 15U]};
    }
  }
  return out;
}

}  // namespace strata::registry
