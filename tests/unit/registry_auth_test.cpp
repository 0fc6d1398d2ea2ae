// WWW-Authenticate challenges, credentials files and the token service's answer.
#include <gtest/gtest.h>

#include "registry/auth.hpp"

namespace strata::registry {
namespace {

TEST(RegistryAuth, ParsesBearerChallenge) {
  const auto c = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(c[0].params.at("scope"), "repository:library/busybox:pull");
}

TEST(RegistryAuth, ParsesSeveralChallengesAndQuoting) {
  const auto c = parse_challenges(
      R"(Basic realm="a \"quoted\" realm", Bearer realm=https://t/x , error=insufficient_scope)");
  ASSERT_EQ(c.size(), 2U);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params.at("realm"), "a \"quoted\" realm");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params.at("realm"), "https://t/x");
  EXPECT_EQ(c[1].params.at("error"), "insufficient_scope");
  EXPECT_TRUE(parse_challenges("").empty());
  EXPECT_TRUE(parse_challenges(R"(Bearer realm="unterminated)").empty());
}

TEST(RegistryAuth, TokenUrl) {
  Challenge c{.scheme = "bearer", .params = {{"realm", "http://127.0.0.1:1/token"}, {"service", "my reg"}}};
  EXPECT_EQ(token_url(c, "repository:a/b:pull").value(),
            "http://127.0.0.1:1/token?service=my%20reg&scope=repository%3Aa%2Fb%3Apull");
  c.params["scope"] = "repository:x:pull";
  c.params["realm"] = "https://t/token?x=1";
  EXPECT_EQ(token_url(c, "ignored").value(),
            "https://t/token?x=1&service=my%20reg&scope=repository%3Ax%3Apull");
  c.params.erase("realm");
  EXPECT_FALSE(token_url(c, "s").has_value());
}

TEST(RegistryAuth, TokenAnswer) {
  EXPECT_EQ(parse_token_answer(R"({"token":"abc","expires_in":60})", "t").value(), "abc");
  EXPECT_EQ(parse_token_answer(R"({"access_token":"xyz"})", "t").value(), "xyz");
  EXPECT_FALSE(parse_token_answer(R"({"token":""})", "t").has_value());
  EXPECT_FALSE(parse_token_answer("not json", "t").has_value());
}

TEST(RegistryAuth, Base64RoundTrip) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "alice:s3cr3t!", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  }
  EXPECT_EQ(base64_encode("alice:secret"), "YWxpY2U6c2VjcmV0");
  EXPECT_EQ(basic_authorization({.username = "alice", .password = "secret"}), "Basic YWxpY2U6c2VjcmV0");
  EXPECT_FALSE(base64_decode("a*b").has_value());
}

TEST(RegistryAuth, CredentialsFromAuthJson) {
  const std::string doc = R"({"auths": {
    "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
    "127.0.0.1:5000": {"auth": "YWxpY2U6c2VjcmV0"},
    "http://reg.example.com/v2/": {"username": "bob", "password": "pw"}}})";
  auto hub = credentials_from_auth_json(doc, "docker.io", "f");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ((*hub)->username, "hub");
  EXPECT_EQ((*hub)->password, "hubpass");
  auto local = credentials_from_auth_json(doc, "127.0.0.1:5000", "f");
  ASSERT_TRUE(local && *local);
  EXPECT_EQ((*local)->password, "secret");
  auto other = credentials_from_auth_json(doc, "reg.example.com", "f");
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->username, "bob");
  auto none = credentials_from_auth_json(doc, "127.0.0.1:5001", "f");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(
      credentials_from_auth_json(R"({"auths":{"h":{"auth":"bm9jb2xvbg=="}}})", "h", "f").has_value());
  EXPECT_FALSE(credentials_from_auth_json("[]", "h", "f").has_value());
}

}  // namespace
}  // namespace strata::registry
