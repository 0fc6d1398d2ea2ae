// Registry authentication: the WWW-Authenticate challenges a registry answers
// 401 with (Basic, or Bearer with a token service), the credentials a user
// gives (--username/--password-stdin, $REGISTRY_AUTH_FILE, Docker's
// config.json "auths") and the token service's answer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace strata::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercase: "realm", "service", "scope"
};

// Every challenge of a WWW-Authenticate value (RFC 7235: several may share
// one header, separated by commas). Malformed parts end the list.
std::vector<Challenge> parse_challenges(std::string_view header);

struct Credentials {
  std::string username;
  std::string password;
};

std::string base64_encode(std::string_view bytes);
// Standard alphabet, padding optional; nullopt on a character outside it.
std::optional<std::string> base64_decode(std::string_view text);

// "Basic <base64(user:password)>".
std::string basic_authorization(const Credentials& credentials);

// The entry for `domain` in a Docker config.json or containers auth.json
// document ({"auths": {KEY: {"auth": base64(user:password)}}}); keys may carry
// a scheme and a path ("https://index.docker.io/v1/"). nullopt when absent.
Result<std::optional<Credentials>> credentials_from_auth_json(std::string_view text,
                                                              const std::string& domain,
                                                              const std::string& where);

// Looks in $REGISTRY_AUTH_FILE, then $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json); a missing file is no credentials, a malformed one
// an error.
Result<std::optional<Credentials>> find_credentials(const std::string& domain);

// The token service's URL for a Bearer challenge: REALM?service=..&scope=..
// (`scope` when the challenge names none). Fails without a realm.
Result<std::string> token_url(const Challenge& challenge, const std::string& scope);

// The token of the service's JSON answer ("token", else "access_token").
Result<std::string> parse_token_answer(std::string_view body, const std::string& where);

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string url_encode(std::string_view text);

}  // namespace strata::registry
