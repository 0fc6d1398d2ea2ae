#include "base/parse.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace strata {
namespace {

TEST(ParseUint, AcceptsDecimalInRange) {
  EXPECT_EQ(parse_uint("0", 0, 10).value(), 0U);
  EXPECT_EQ(parse_uint("10", 0, 10).value(), 10U);
}

TEST(ParseUint, RejectsJunkAndOutOfRange) {
  EXPECT_FALSE(parse_uint("", 0, 10));
  EXPECT_FALSE(parse_uint("-1", 0, 10));
  EXPECT_FALSE(parse_uint("1x", 0, 10));
  EXPECT_FALSE(parse_uint(" 1", 0, 10));
  EXPECT_FALSE(parse_uint("11", 0, 10));
  EXPECT_FALSE(parse_uint("99999999999999999999999", 0, UINT64_MAX));
  EXPECT_NE(parse_uint("11", 0, 10).error().message().find("out of range"), std::string::npos);
}

TEST(ParseSize, UnderstandsBinarySuffixes) {
  EXPECT_EQ(parse_size("4096").value(), 4096U);
  EXPECT_EQ(parse_size("64k").value(), 64U * 1024);
  EXPECT_EQ(parse_size("64K").value(), 64U * 1024);
  EXPECT_EQ(parse_size("512M").value(), 512ULL << 20);
  EXPECT_EQ(parse_size("2g").value(), 2ULL << 30);
  EXPECT_EQ(parse_size("2GiB").value(), 2ULL << 30);
  EXPECT_EQ(parse_size("3mb").value(), 3ULL << 20);
  EXPECT_EQ(parse_size("1t").value(), 1ULL << 40);
}

TEST(ParseSize, RejectsZeroJunkAndOverflow) {
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("0"));
  EXPECT_FALSE(parse_size("k"));
  EXPECT_FALSE(parse_size("12q"));
  EXPECT_FALSE(parse_size("1.5g"));
  EXPECT_FALSE(parse_size("-1m"));
  EXPECT_FALSE(parse_size("99999999999t"));
  EXPECT_NE(parse_size("12q").error().message().find("'12q'"), std::string::npos);
}

TEST(ParseSignal, ByNameAndNumber) {
  EXPECT_EQ(parse_signal("15").value(), SIGTERM);
  EXPECT_EQ(parse_signal("TERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("sigterm").value(), SIGTERM);
  EXPECT_EQ(parse_signal("SIGKILL").value(), SIGKILL);
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("999"));
}

TEST(SignalName, RoundTrips) {
  EXPECT_EQ(signal_name(SIGTERM), "TERM");
  EXPECT_EQ(signal_name(SIGUSR2), "USR2");
  EXPECT_EQ(signal_name(SIGRTMIN + 1), std::to_string(SIGRTMIN + 1));
}

TEST(ErrorMessage, NamesStepPathDetailAndErrno) {
  Error error{.step = "mount proc", .path = "/proc", .err = EPERM, .detail = "in the sandbox"};
  EXPECT_EQ(error.message(), "mount proc '/proc': in the sandbox: Operation not permitted");
  EXPECT_EQ(Error{.step = "check command"}.message(), "check command");
}

}  // namespace
}  // namespace strata
