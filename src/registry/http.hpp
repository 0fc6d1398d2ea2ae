// HTTP GET over libcurl, streaming: the registry client's only transport.
// One handle per puller, so connections are reused across requests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace strata::registry {

struct Response {
  long status = 0;
  // The last response's headers (after redirects), names lowercase.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // a non-2xx body (truncated), or the whole body for get_small
  // Set when the connection broke after the response began (a cut transfer):
  // the bytes received so far were delivered and a Range request may resume.
  std::string cut;

  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> all(std::string_view name) const;
  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
};

// Receives a 2xx body: `start` once the headers are complete (before the
// first byte, also for an empty body), then `data` per chunk. A failure
// aborts the transfer and is what get() returns.
struct Receiver {
  std::function<Result<>(const Response&)> start;
  std::function<Result<>(std::string_view)> data;
};

struct Request {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::uint64_t range_from = 0;      // > 0: "Range: bytes=N-"
};

struct HttpOptions {
  bool allow_http = false;  // plain HTTP (loopback registries with --insecure)
};

class Http {
 public:
  static Result<Http> create(const HttpOptions& options);
  Http(Http&&) noexcept;
  Http& operator=(Http&&) noexcept;
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;
  ~Http();

  // A transport failure before any response is an error; a 4xx/5xx is a
  // Response (its body kept, the receiver not called).
  Result<Response> get(const Request& request, const Receiver& receiver);
  // The whole body, at most `limit` bytes.
  Result<Response> get_small(const Request& request, std::size_t limit);

 private:
  struct Impl;
  explicit Http(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// libcurl's global set-up, once per process before any Http.
Result<> init_http();

}  // namespace strata::registry
