// A client of one repository of an OCI distribution registry: builds the
// /v2/ URLs, and answers 401s (Basic, or Bearer with a token fetched from
// the challenge's realm) once per request before giving up.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "registry/auth.hpp"
#include "registry/http.hpp"
#include "registry/reference.hpp"

namespace strata::registry {

struct ClientOptions {
  // Plain HTTP, allowed only for a loopback registry (is_loopback).
  bool insecure = false;
  std::optional<Credentials> credentials;
};

class Client {
 public:
  // Fails for --insecure with a registry that is not on this machine.
  static Result<Client> create(const Reference& ref, const ClientOptions& options);

  // GET /v2/REPOSITORY/PATH, its 2xx body to `receiver`.
  Result<Response> get(const std::string& path, const Receiver& receiver, std::uint64_t range_from = 0);
  // GET /v2/REPOSITORY/PATH, the body in memory (at most `limit` bytes).
  Result<Response> get_small(const std::string& path, std::size_t limit,
                             const std::vector<std::string>& headers);

  [[nodiscard]] std::string url(const std::string& path) const;
  [[nodiscard]] const Reference& reference() const { return ref_; }

 private:
  Client(Http http, Reference ref, std::string base, ClientOptions options)
      : http_(std::move(http)), ref_(std::move(ref)), base_(std::move(base)), options_(std::move(options)) {}
  template <class Perform>
  Result<Response> with_auth(Request request, const Perform& perform);
  Result<> authenticate(const Response& unauthorized);
  Result<> fetch_token(const Challenge& challenge);

  Http http_;
  Reference ref_;
  std::string base_;  // "https://HOST[:PORT]/v2/REPOSITORY/"
  ClientOptions options_;
  std::string authorization_;  // "Authorization: ..." once a challenge was answered
};

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)": the status and the
// registry's own error codes from its JSON body, if any.
std::string describe_status(const Response& response);

}  // namespace strata::registry
