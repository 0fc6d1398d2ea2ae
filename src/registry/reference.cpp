#include "registry/reference.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace strata::registry {

namespace {

constexpr std::size_t kMaxName = 255;
constexpr std::size_t kMaxTag = 128;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// One path component: [a-z0-9]+ joined by ".", "_", "__" or runs of "-".
bool valid_component(std::string_view part) {
  if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) {
    return false;
  }
  for (std::size_t i = 0; i < part.size();) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < part.size() && !is_lower_alnum(part[i])) {
      ++i;
    }
    const std::string_view sep = part.substr(start, i - start);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (sep != "." && sep != "_" && sep != "__" && !dashes) {
      return false;
    }
  }
  return true;
}

bool valid_repository(std::string_view repo) {
  if (repo.empty() || repo.size() > kMaxName) {
    return false;
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = repo.find('/', start);
    if (!valid_component(repo.substr(start, slash == std::string_view::npos ? slash : slash - start))) {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    start = slash + 1;
  }
}

bool valid_tag(std::string_view tag) {
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  return !tag.empty() && tag.size() <= kMaxTag && word(tag.front()) &&
         std::ranges::all_of(tag, [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_domain(std::string_view domain) {
  if (domain.starts_with('[')) {
    const std::size_t close = domain.find(']');
    const std::string_view rest = close == std::string_view::npos ? "" : domain.substr(close + 1);
    return close != std::string_view::npos && (rest.empty() || rest.starts_with(':'));
  }
  const std::size_t colon = domain.find(':');
  const std::string_view host = domain.substr(0, colon);
  const std::string_view port = colon == std::string_view::npos ? "1" : domain.substr(colon + 1);
  const bool host_ok =
      !host.empty() && host.front() != '-' && host.front() != '.' &&
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
          std::string_view::npos;
  const bool port_ok =
      !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos;
  return host_ok && port_ok;
}

// Docker's rule: a first component that looks like a host is one.
bool looks_like_domain(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         std::ranges::any_of(first, [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

std::string Reference::api_host() const {
  return domain == kDockerHub ? std::string(kDockerHubApi) : domain;
}

std::string Reference::str() const {
  return domain + "/" + repository + (tag.empty() ? "" : ":" + tag) + (digest ? "@" + digest->str() : "");
}

std::string Reference::manifest_ref() const {
  return digest ? digest->str() : tag;
}

Result<Reference> parse_reference(std::string_view text) {
  const std::string input(text);
  Reference out;
  std::string_view rest = text;
  if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
    auto digest = image::Digest::parse(rest.substr(at + 1));
    if (!digest) {
      return fail("parse reference", input, "the part after '@' is not a sha256:HEX digest");
    }
    out.digest = *digest;
    rest = rest.substr(0, at);
  }
  const std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos && looks_like_domain(rest.substr(0, slash))) {
    out.domain = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  } else {
    out.domain = std::string(kDockerHub);
  }
  const std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(out.tag)) {
      return fail("parse reference", input, "the tag '" + out.tag + "' is not 1-128 of [A-Za-z0-9_.-]");
    }
  }
  if (out.domain == "index.docker.io") {
    out.domain = std::string(kDockerHub);
  }
  out.repository = std::string(rest);
  if (out.domain == kDockerHub && out.repository.find('/') == std::string::npos) {
    out.repository = "library/" + out.repository;
  }
  if (!valid_domain(out.domain)) {
    return fail("parse reference", input, "'" + out.domain + "' is not a HOST[:PORT]");
  }
  if (!valid_repository(out.repository)) {
    return fail("parse reference", input,
                "the repository '" + out.repository +
                    "' is not lowercase [a-z0-9] words joined by '.', '_', '-' and '/'");
  }
  if (out.tag.empty() && !out.digest) {
    out.tag = "latest";
  }
  return out;
}

bool is_loopback(std::string_view host_port) {
  std::string host;
  if (host_port.starts_with('[')) {
    const std::size_t close = host_port.find(']');
    host = std::string(host_port.substr(1, close == std::string_view::npos ? 0 : close - 1));
  } else {
    host = std::string(host_port.substr(0, host_port.find(':')));
  }
  if (host == "localhost") {
    return true;
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24U) == 127U;
  }
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace strata::registry
