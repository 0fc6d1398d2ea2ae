#include <gtest/gtest.h>

#include "image/digest.hpp"

namespace strata::image {
namespace {

TEST(Digest, ParseAndPrint) {
  const std::string text = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  auto d = Digest::parse(text);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->str(), text);
  EXPECT_EQ(*d, sha256_of("abc"));
  EXPECT_FALSE(Digest::parse("sha512:00"));
  EXPECT_FALSE(Digest::parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(Digest::parse("sha256:ba78"));
  EXPECT_NE(Digest::parse("md5:x").error().message().find("only sha256"), std::string::npos);
}

}  // namespace
}  // namespace strata::image
