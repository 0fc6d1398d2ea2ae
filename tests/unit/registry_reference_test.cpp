// Image references and the loopback rule of `strata image pull --insecure`.
#include <gtest/gtest.h>

#include "registry/reference.hpp"

namespace strata::registry {
namespace {

Reference parsed(const std::string& text) {
  auto ref = parse_reference(text);
  EXPECT_TRUE(ref.has_value()) << text << ": " << (ref ? "" : ref.error().message());
  return ref.value_or(Reference{});
}

TEST(RegistryReference, DockerHubDefaults) {
  const Reference a = parsed("busybox");
  EXPECT_EQ(a.domain, "docker.io");
  EXPECT_EQ(a.repository, "library/busybox");
  EXPECT_EQ(a.tag, "latest");
  EXPECT_EQ(a.api_host(), "registry-1.docker.io");
  EXPECT_EQ(a.str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(parsed("someone/tool:1.2").str(), "docker.io/someone/tool:1.2");
  EXPECT_EQ(parsed("index.docker.io/debian").str(), "docker.io/library/debian:latest");
}

TEST(RegistryReference, HostPortTagAndDigest) {
  const std::string hex(64, 'a');
  const Reference a = parsed("127.0.0.1:5000/team/app:v1@sha256:" + hex);
  EXPECT_EQ(a.domain, "127.0.0.1:5000");
  EXPECT_EQ(a.repository, "team/app");
  EXPECT_EQ(a.tag, "v1");
  ASSERT_TRUE(a.digest.has_value());
  EXPECT_EQ(a.manifest_ref(), "sha256:" + hex);
  const Reference b = parsed("localhost:5000/app@sha256:" + hex);
  EXPECT_EQ(b.tag, "");  // a digest alone: no implied latest
  EXPECT_EQ(b.str(), "localhost:5000/app@sha256:" + hex);
  EXPECT_EQ(parsed("localhost/app").domain, "localhost");
  EXPECT_EQ(parsed("registry.example.com/a/b/c").repository, "a/b/c");
  EXPECT_EQ(parsed("[::1]:5000/app:x").domain, "[::1]:5000");
  EXPECT_EQ(parsed("a.b/x__y-z.w").repository, "x__y-z.w");
}

TEST(RegistryReference, RejectsMalformed) {
  for (const char* bad : {"", "library/UPPER", "app:", "app:-x", "host:5000/app@sha256:12", "app@md5:00",
                          "host:port/app", "a//b", "x/-a", "app:tag with space", "ex.com/a_"}) {
    auto ref = parse_reference(bad);
    EXPECT_FALSE(ref.has_value()) << bad << " parsed as " << (ref ? ref->str() : "");
    if (!ref) {
      EXPECT_EQ(ref.error().step, "parse reference");
    }
  }
}

TEST(RegistryReference, Loopback) {
  for (const char* yes :
       {"localhost", "localhost:5000", "127.0.0.1", "127.1.2.3:80", "[::1]:5000", "[::1]"}) {
    EXPECT_TRUE(is_loopback(yes)) << yes;
  }
  for (const char* no : {"example.com", "10.0.0.1:5000", "128.0.0.1", "localhost.example.com", "[::2]:1",
                         "127.0.0.1.example.com", "0.0.0.0"}) {
    EXPECT_FALSE(is_loopback(no)) << no;
  }
}

}  // namespace
}  // namespace strata::registry
