#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "isolate/outcome.hpp"
#include "isolate/sandbox/sync.hpp"

namespace strata {
namespace {

TEST(Outcome, JsonForExitSignalAndFailure) {
  auto json = to_json(Outcome{.reason = EndReason::exited, .exit_code = 42});
  EXPECT_EQ(json["reason"], "exited");
  EXPECT_EQ(json["exit_code"], 42);
  EXPECT_FALSE(json.contains("signal"));

  json = to_json(Outcome{.reason = EndReason::signaled, .exit_code = 143, .signal = SIGTERM});
  EXPECT_EQ(json["signal"], SIGTERM);
  EXPECT_EQ(json["signal_name"], "SIGTERM");

  const Error missing{.step = "execute", .path = "nope", .err = ENOENT, .exit_code = kExitNotFound};
  json = to_json(Outcome::from_error(missing));
  EXPECT_EQ(json["reason"], "exec-failed");
  EXPECT_EQ(json["exit_code"], 127);
  EXPECT_EQ(json["error"], "execute 'nope': No such file or directory");

  json = to_json(Outcome::from_error(Error{.step = "mount proc", .err = EPERM}));
  EXPECT_EQ(json["reason"], "setup-failed");
  EXPECT_EQ(json["exit_code"], 125);
}

TEST(Outcome, JsonStatusIsWrittenAtomically) {
  char dir[] = "/tmp/strata-unit-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/status.json";
  ASSERT_TRUE(write_json_status(path, Outcome{.exit_code = 3}));
  std::ifstream in(path);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["exit_code"], 3);
  EXPECT_EQ(json["schema"], "strata.outcome/v1");
  ::unlink(path.c_str());
  EXPECT_FALSE(write_json_status(std::string(dir) + "/missing/dir/status.json", Outcome{}));
  ::rmdir(dir);
}

TEST(SyncChannel, CarriesTypedMessagesInOrder) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  auto& [parent, child] = *pair;
  ASSERT_TRUE(parent.ids_mapped());
  EXPECT_TRUE(child.wait_for_id_maps());

  child.setup_failed(Error{.step = "mount proc", .path = "/proc", .err = EPERM, .detail = "locked"});
  child.exec_failed(ENOENT, "missing-command");
  child.workload_exited(-1, SIGTERM);
  child.close();

  auto first = parent.receive();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->message.kind, MessageKind::setup_failed);
  EXPECT_EQ((*first)->message.to_error().message(), "mount proc '/proc': locked: Operation not permitted");
  auto second = parent.receive();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->message.kind, MessageKind::exec_failed);
  EXPECT_EQ((*second)->message.to_error().path, "missing-command");
  auto third = parent.receive();
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->message.signal, SIGTERM);
  auto end = parent.receive();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end) << "end of file once the child side is closed";
}

TEST(SyncChannel, LongTextIsTruncatedNotOverflowed) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  auto& [parent, child] = *pair;
  child.setup_failed(Error{.step = "s", .path = std::string(5000, 'p')});
  auto message = parent.receive();
  ASSERT_TRUE(message && *message);
  EXPECT_EQ((*message)->message.to_error().path, std::string(sizeof(Message::path) - 1, 'p'));
}

TEST(SyncChannel, PassesAnFdAlong) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  auto& [parent, child] = *pair;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  child.pty_master(fds[1]);
  ::close(fds[1]);
  auto incoming = parent.receive();
  ASSERT_TRUE(incoming && *incoming);
  EXPECT_EQ((*incoming)->message.kind, MessageKind::pty_master);
  ASSERT_TRUE((*incoming)->fd.valid());
  ASSERT_EQ(::write((*incoming)->fd.get(), "x", 1), 1) << "the received fd is the pipe's write end";
  char c = 0;
  EXPECT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');
  ::close(fds[0]);
}

TEST(SyncChannel, NoWaitReturnsNothingWhenEmpty) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  auto& [parent, child] = *pair;
  auto message = parent.receive(/*wait=*/false);
  ASSERT_TRUE(message);
  EXPECT_FALSE(*message);
}

TEST(SyncChannel, ChildSeesParentGone) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  auto& [parent, child] = *pair;
  parent.close();
  EXPECT_FALSE(child.wait_for_id_maps());
}

}  // namespace
}  // namespace strata
