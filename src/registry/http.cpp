#include "registry/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>

#include "base/version.hpp"

namespace strata::registry {

namespace {

constexpr std::size_t kErrorBodyLimit = 64U << 10U;
constexpr long kConnectTimeoutSeconds = 30;
// A transfer slower than 1 byte/s for this long is a stalled one: cut it, so
// the resume logic can take over instead of hanging forever.
constexpr long kStallSeconds = 60;
constexpr long kMaxRedirects = 5;

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// What one transfer collects while curl calls back.
struct Transfer {
  CURL* curl = nullptr;
  const Receiver* receiver = nullptr;
  std::size_t limit = kErrorBodyLimit;  // for a body kept in memory
  Response response;
  bool started = false;
  Result<> failure;  // the receiver's error that aborted the transfer

  bool begin_body() {
    if (started) {
      return true;
    }
    started = true;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.ok() && receiver != nullptr && receiver->start) {
      failure = receiver->start(response);
    }
    return failure.has_value();
  }
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response: a redirect or a 100 Continue came first
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view bytes(data, size * count);
  if (!t->begin_body()) {
    return CURL_WRITEFUNC_ERROR;
  }
  if (t->response.ok() && t->receiver != nullptr) {
    t->failure = t->receiver->data(bytes);
    return t->failure ? bytes.size() : CURL_WRITEFUNC_ERROR;
  }
  if (t->response.body.size() + bytes.size() > t->limit) {
    if (t->response.ok()) {
      t->failure = fail("download", "", "the response exceeds " + std::to_string(t->limit) + " bytes");
      return CURL_WRITEFUNC_ERROR;
    }
    t->response.body.append(bytes.substr(0, t->limit - std::min(t->limit, t->response.body.size())));
    return bytes.size();
  }
  t->response.body.append(bytes);
  return bytes.size();
}

// Errors after which the bytes received so far are good and a Range request
// may continue: the connection broke or stalled mid-body.
bool is_cut(CURLcode code) {
  return code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_OPERATION_TIMEDOUT ||
         code == CURLE_GOT_NOTHING || code == CURLE_HTTP2_STREAM || code == CURLE_HTTP2 ||
         code == CURLE_SEND_ERROR;
}

std::string curl_reason(CURLcode code, const char* buffer) {
  std::string reason = *buffer != '\0' ? buffer : curl_easy_strerror(code);
  if (code == CURLE_SSL_CONNECT_ERROR) {
    reason += " (a plain-HTTP registry on this machine needs --insecure)";
  }
  return reason;
}

}  // namespace

struct Http::Impl {
  CURL* curl = nullptr;
  HttpOptions options;
  ~Impl() {
    if (curl != nullptr) {
      curl_easy_cleanup(curl);
    }
  }
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;
};

Result<> init_http() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return fail("initialise libcurl", "", "curl_global_init failed");
  }
  return {};
}

Http::Http(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Http::Http(Http&&) noexcept = default;
Http& Http::operator=(Http&&) noexcept = default;
Http::~Http() = default;

Result<Http> Http::create(const HttpOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->curl = curl_easy_init();
  impl->options = options;
  if (impl->curl == nullptr) {
    return fail("initialise libcurl", "", "curl_easy_init failed");
  }
  return Http(std::move(impl));
}

Result<Response> Http::get(const Request& request, const Receiver& receiver) {
  CURL* curl = impl_->curl;
  curl_easy_reset(curl);
  Transfer t{.curl = curl, .receiver = &receiver};
  std::array<char, CURL_ERROR_SIZE> error{};
  const char* protocols = impl_->options.allow_http ? "http,https" : "https";
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) {
    headers = curl_slist_append(headers, h.c_str());
  }
  const std::string range = std::to_string(request.range_from) + "-";
  std::string agent(kVersion);  // "strata 0.1.0" -> "strata/0.1.0"
  std::ranges::replace(agent, ' ', '/');
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (request.range_from > 0) {
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (!t.failure) {
    return std::unexpected(t.failure.error());
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (code == CURLE_OK || (is_cut(code) && status > 0)) {
    if (!t.begin_body()) {
      return std::unexpected(t.failure.error());
    }
    t.response.cut = code == CURLE_OK ? "" : curl_reason(code, error.data());
    return std::move(t.response);
  }
  return fail("connect", request.url, curl_reason(code, error.data()));
}

Result<Response> Http::get_small(const Request& request, std::size_t limit) {
  std::string body;
  const Receiver keep{.start = {}, .data = [&](std::string_view bytes) -> Result<> {
                        if (body.size() + bytes.size() > limit) {
                          return fail("download", request.url,
                                      "the response exceeds " + std::to_string(limit) + " bytes");
                        }
                        body.append(bytes);
                        return {};
                      }};
  auto response = get(request, keep);
  if (response && response->ok()) {
    response->body = std::move(body);
  }
  return response;
}

std::string Response::header(std::string_view name) const {
  const std::string key = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

std::vector<std::string> Response::all(std::string_view name) const {
  const std::string key = lower(name);
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == key) {
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace strata::registry
