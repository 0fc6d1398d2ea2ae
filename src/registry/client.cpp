#include "registry/client.hpp"

#include <nlohmann/json.hpp>

namespace strata::registry {

namespace {

constexpr long kUnauthorized = 401;
constexpr std::size_t kTokenLimit = 1U << 20U;

// HOST[:PORT] of an http(s) URL.
std::string url_host(const std::string& url) {
  const std::size_t start = url.find("://");
  if (start == std::string::npos) {
    return {};
  }
  const std::string rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

std::string credential_hint() {
  return "give --username U --password-stdin, or an entry in $REGISTRY_AUTH_FILE or ~/.docker/config.json";
}

}  // namespace

std::string describe_status(const Response& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  const nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("errors") || !doc["errors"].is_array()) {
    return out;
  }
  std::string codes;
  for (const auto& e : doc["errors"]) {
    if (e.is_object() && e.contains("code") && e["code"].is_string()) {
      codes += (codes.empty() ? "" : "; ") + e["code"].get<std::string>();
      if (e.contains("message") && e["message"].is_string()) {
        codes += ": " + e["message"].get<std::string>();
      }
    }
  }
  return codes.empty() ? out : out + " (" + codes + ")";
}

Result<Client> Client::create(const Reference& ref, const ClientOptions& options) {
  const std::string host = ref.api_host();
  if (options.insecure && !is_loopback(host)) {
    return fail("check --insecure", host,
                "plain HTTP is allowed only for a registry on this machine (localhost, 127.0.0.0/8, [::1]); "
                "drop --insecure to use HTTPS");
  }
  auto http = Http::create(HttpOptions{.allow_http = options.insecure});
  if (!http) {
    return std::unexpected(http.error());
  }
  const std::string base = (options.insecure ? "http://" : "https://") + host + "/v2/" + ref.repository + "/";
  return Client(std::move(*http), ref, base, options);
}

std::string Client::url(const std::string& path) const {
  return base_ + path;
}

template <class Perform>
Result<Response> Client::with_auth(Request request, const Perform& perform) {
  const std::size_t own = request.headers.size();
  for (int attempt = 0;; ++attempt) {
    request.headers.resize(own);
    if (!authorization_.empty()) {
      request.headers.push_back(authorization_);
    }
    auto response = perform(request);
    if (!response || response->status != kUnauthorized) {
      return response;
    }
    if (attempt > 0) {
      return fail("authenticate", ref_.api_host(),
                  options_.credentials
                      ? "the registry refused the credentials of '" + options_.credentials->username + "' (" +
                            describe_status(*response) + ")"
                      : "the registry wants credentials: " + credential_hint());
    }
    if (auto ok = authenticate(*response); !ok) {
      return std::unexpected(ok.error());
    }
  }
}

Result<> Client::authenticate(const Response& unauthorized) {
  std::vector<Challenge> challenges;
  for (const std::string& value : unauthorized.all("www-authenticate")) {
    auto some = parse_challenges(value);
    challenges.insert(challenges.end(), some.begin(), some.end());
  }
  for (const Challenge& c : challenges) {
    if (c.scheme == "bearer") {
      return fetch_token(c);
    }
  }
  for (const Challenge& c : challenges) {
    if (c.scheme == "basic") {
      if (!options_.credentials) {
        return fail("authenticate", ref_.api_host(),
                    "the registry wants a user name and password: " + credential_hint());
      }
      authorization_ = "Authorization: " + basic_authorization(*options_.credentials);
      return {};
    }
  }
  return fail("authenticate", ref_.api_host(),
              "HTTP 401 without a Basic or Bearer challenge (WWW-Authenticate)");
}

Result<> Client::fetch_token(const Challenge& challenge) {
  auto url = token_url(challenge, "repository:" + ref_.repository + ":pull");
  if (!url) {
    return std::unexpected(url.error());
  }
  // The token service gets the password: only over HTTPS, or plain HTTP on
  // this machine under --insecure.
  const bool https = url->starts_with("https://");
  if (!https && !(options_.insecure && url->starts_with("http://") && is_loopback(url_host(*url)))) {
    return fail("authenticate", *url,
                "the token service is not an HTTPS URL (plain HTTP only on loopback with --insecure)");
  }
  Request request{.url = *url};
  if (options_.credentials) {
    request.headers.push_back("Authorization: " + basic_authorization(*options_.credentials));
  }
  auto response = http_.get_small(request, kTokenLimit);
  if (!response) {
    return std::unexpected(response.error());
  }
  if (response->status == kUnauthorized) {
    return fail("authenticate", url_host(*url),
                options_.credentials
                    ? "the token service refused the credentials of '" + options_.credentials->username + "'"
                    : "the token service wants credentials: " + credential_hint());
  }
  if (!response->ok()) {
    return fail("authenticate", *url, "the token service answered " + describe_status(*response));
  }
  auto token = parse_token_answer(response->body, *url);
  if (!token) {
    return std::unexpected(token.error());
  }
  authorization_ = "Authorization: Bearer " + *token;
  return {};
}

Result<Response> Client::get(const std::string& path, const Receiver& receiver, std::uint64_t range_from) {
  return with_auth(Request{.url = url(path), .range_from = range_from},
                   [&](const Request& r) { return http_.get(r, receiver); });
}

Result<Response> Client::get_small(const std::string& path, std::size_t limit,
                                   const std::vector<std::string>& headers) {
  return with_auth(Request{.url = url(path), .headers = headers},
                   [&](const Request& r) { return http_.get_small(r, limit); });
}

}  // namespace strata::registry
