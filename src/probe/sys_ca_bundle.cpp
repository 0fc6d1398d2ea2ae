#include "probe/sys_ca_bundle.hpp"

#include "base/sha256.hpp"
#include "probe/sys_fs.hpp"

namespace strata::probe::sys {

std::size_t count_certificates(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  std::size_t count = 0;
  for (auto at = pem.find(kBegin); at != std::string_view::npos; at = pem.find(kBegin, at + kBegin.size())) {
    ++count;
  }
  return count;
}

void add_ca_bundle_facts(const Root& root, Facts& facts) {
  for (const std::string_view path :
       {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"}) {
    const auto bytes = read_whole(root, path);
    if (!bytes) {
      continue;
    }
    const std::string source(path);
    add(facts, "ca_bundle.path", source, source);
    add(facts, "ca_bundle.sha256", sha256_hex(*bytes), source);
    add(facts, "ca_bundle.certificates", count_certificates(*bytes), source);
    return;
  }
}

}  // namespace strata::probe::sys
