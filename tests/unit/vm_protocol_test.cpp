// The host-guest channel: frames survive any split of the byte stream, bad
// streams are refused, and the Job and status round-trip through JSON.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "vm/protocol.hpp"

namespace strata::vm {
namespace {

TEST(VmProtocol, FramesSurviveAnySplitOfTheStream) {
  const std::string stream = encode_frame(FrameType::ready, "") +
                             encode_frame(FrameType::stdout_data, "hello") +
                             encode_frame(FrameType::stderr_data, std::string(70000, 'x')) +
                             encode_frame(FrameType::status, R"({"kind":"exited"})");
  for (std::size_t piece : {1UL, 3UL, 7UL, 4096UL, stream.size()}) {
    FrameReader reader;
    std::vector<Frame> frames;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      ASSERT_TRUE(reader.feed(std::string_view(stream).substr(at, piece)));
      while (auto frame = reader.next()) {
        frames.push_back(*frame);
      }
    }
    ASSERT_EQ(frames.size(), 4U) << "piece " << piece;
    EXPECT_EQ(frames[0].type, FrameType::ready);
    EXPECT_EQ(frames[1].payload, "hello");
    EXPECT_EQ(frames[2].type, FrameType::stderr_data);
    EXPECT_EQ(frames[2].payload.size(), 70000U);
    EXPECT_EQ(frames[3].type, FrameType::status);
  }
}

TEST(VmProtocol, UnknownTypesAndOversizedFramesAreRefused) {
  FrameReader unknown;
  EXPECT_FALSE(unknown.feed(std::string("\x63\0\0\0\0", 5)));
  FrameReader huge;
  std::string header = encode_frame(FrameType::stdout_data, "");
  header[4] = '\x7f';  // 2 GiB
  auto fed = huge.feed(header);
  ASSERT_FALSE(fed);
  EXPECT_NE(fed.error().message().find("over the limit"), std::string::npos);
}

TEST(VmProtocol, TheJobRoundTrips) {
  Job job;
  job.argv = {"/bin/sh", "-c", "echo \"quoted\" 'and' \\ back"};
  job.env = {"PATH=/usr/bin", "EMPTY="};
  job.cwd = "/work";
  job.cwd_required = true;
  job.uid = 1000;
  job.gid = 100;
  job.hostname = "guest";
  job.rlimits = {RlimitSpec{.resource = RLIMIT_NOFILE, .name = "nofile", .soft = 64, .hard = RLIM_INFINITY}};
  job.shares = {Share{.tag = "root", .destination = "/", .read_only = true}};
  job.tmpfs = {MountSpec{.kind = MountKind::tmpfs, .source = {}, .destination = "/scratch", .size = 1 << 20}};
  job.private_tmp = false;
  job.network = true;
  job.inner = {"strata", "run", "--isolation", "sandbox", "--", "true"};
  job.under_tmp = {"/tmp/work"};
  auto parsed = parse_job(to_json_text(job));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, job);
}

TEST(VmProtocol, BrokenDocumentsAreOneLineErrors) {
  auto job = parse_job(R"({"argv": ["x"]})");
  ASSERT_FALSE(job);
  EXPECT_NE(job.error().message().find("job"), std::string::npos);
  EXPECT_FALSE(parse_job("not json"));
  EXPECT_FALSE(parse_status(R"({"kind":"exited","code":999,"err":0,"detail":""})"));
  auto status = parse_status(
      to_json_text(GuestStatus{.kind = GuestStatus::Kind::signaled, .code = 9, .err = 0, .detail = {}}));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->kind, GuestStatus::Kind::signaled);
  EXPECT_EQ(status->code, 9);
  auto error = parse_error(
      to_json_text(Error{.step = "mount", .path = "/x", .err = 2, .detail = "d", .exit_code = 125}));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message(),
            (Error{.step = "mount", .path = "/x", .err = 2, .detail = "d", .exit_code = 125}).message());
}

}  // namespace
}  // namespace strata::vm
