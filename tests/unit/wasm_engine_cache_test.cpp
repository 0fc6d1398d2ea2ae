// The engine cache: an engine is run once per binary; a changed binary, a
// corrupt file or an answer that says nothing lasting is asked again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wasm/engine.hpp"
#include "wasm/engine_cache.hpp"

namespace strata::wasm {
namespace {

namespace fs = std::filesystem;

// A stand-in node on a private PATH that counts its runs, and a cache directory.
class CacheFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("strata-engine-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "cache");
    node("echo v22.1.0");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void node(const std::string& answer) const {
    const fs::path file = dir_ / "bin" / "node";
    std::ofstream(file) << "#!/bin/sh\necho run >>" << (dir_ / "runs").string() << "\n" << answer << "\n";
    fs::permissions(file, fs::perms::owner_all);
    // Installed a while ago: a binary modified in the last 2 s is not cached.
    fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
  }
  [[nodiscard]] int runs() const {
    std::ifstream in(dir_ / "runs");
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
    }
    return n;
  }
  [[nodiscard]] std::vector<Engine> find() const {
    return find_engines((dir_ / "bin").string(), (dir_ / "cache").string());
  }
  [[nodiscard]] fs::path cache_file() const { return dir_ / "cache" / std::string(EngineCache::kFileName); }
  [[nodiscard]] fs::path binary() const { return dir_ / "bin" / "node"; }

 private:
  fs::path dir_;
};

TEST_F(CacheFixture, ASecondRunIsAnsweredFromTheCache) {
  const auto first = find();
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(runs(), 1);
  EXPECT_TRUE(fs::exists(cache_file()));
  const auto second = find();
  EXPECT_EQ(runs(), 1) << "node was asked again";
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].version, "v22.1.0");
  EXPECT_TRUE(second[0].wasi_preview1);
  EXPECT_EQ(second[0].path, first[0].path);
}

TEST_F(CacheFixture, AnUnusableEngineIsCachedWithItsReason) {
  node("echo v18.19.1");
  (void)find();
  const auto again = find();
  EXPECT_EQ(runs(), 1);
  ASSERT_EQ(again.size(), 1U);
  EXPECT_FALSE(again[0].wasi_preview1);
  EXPECT_NE(again[0].unusable_reason.find("needs Node.js >= 20"), std::string::npos);
}

TEST_F(CacheFixture, AChangedMtimeOrSizeIsAskedAgain) {
  (void)find();
  const auto mtime = fs::last_write_time(binary());
  fs::last_write_time(binary(), mtime + std::chrono::nanoseconds(1));
  EXPECT_EQ(find()[0].version, "v22.1.0");
  EXPECT_EQ(runs(), 2) << "a new mtime (1 ns later) must not match";
  node("echo v22.2.0 ");  // one byte longer, the same mtime as before
  fs::last_write_time(binary(), mtime + std::chrono::nanoseconds(1));
  EXPECT_EQ(find()[0].version, "v22.2.0");
  EXPECT_EQ(runs(), 3) << "a new size must not match";
}

TEST_F(CacheFixture, ACorruptFileIsIgnoredAndReplaced) {
  (void)find();
  std::ofstream(cache_file()) << "{\"version\": 1, \"engines\": {";
  EXPECT_EQ(find()[0].version, "v22.1.0");
  EXPECT_EQ(runs(), 2);
  (void)find();
  EXPECT_EQ(runs(), 2) << "the corrupt file was not replaced";
}

TEST_F(CacheFixture, AnEntryForAnotherBinaryOrContradictingItselfIsNotTrusted) {
  const auto id = identify_binary(binary().string());
  ASSERT_TRUE(id);
  BinaryIdentity other = *id;
  other.ino += 1;
  EngineCache cache((cache_file().parent_path()).string());
  cache.put("node", other, {.version = "v99.0.0", .wasi_preview1 = true, .reason = ""});
  cache.save();
  EXPECT_EQ(find()[0].version, "v22.1.0") << "an entry for another inode was used";
  EXPECT_FALSE(EngineCache(cache_file().parent_path().string()).find("wasmtime", *id))
      << "an entry for another engine name was used";
  EngineCache contradicting(cache_file().parent_path().string());
  contradicting.put("node", *id, {.version = "v22.1.0", .wasi_preview1 = false, .reason = ""});
  contradicting.save();
  EXPECT_FALSE(EngineCache(cache_file().parent_path().string()).find("node", *id));
}

TEST_F(CacheFixture, TheFileStaysBounded) {
  const auto id = identify_binary(binary().string());
  ASSERT_TRUE(id);
  const std::string dir = cache_file().parent_path().string();
  for (int i = 0; i < 40; ++i) {
    EngineCache cache(dir);
    BinaryIdentity other = *id;
    other.path += std::to_string(i);
    cache.put("node", other, {.version = "v22.1.0", .wasi_preview1 = true, .reason = ""});
    cache.save();
  }
  EngineCache cache(dir);
  cache.put("node", *id, {.version = "v22.1.0", .wasi_preview1 = true, .reason = ""});
  cache.save();
  EXPECT_LT(fs::file_size(cache_file()), 16U << 10U);
  EXPECT_TRUE(EngineCache(dir).find("node", *id)) << "the newest entry was dropped";
}

TEST_F(CacheFixture, ABinaryModifiedJustNowIsNotCached) {
  fs::last_write_time(binary(), fs::file_time_type::clock::now());
  (void)find();
  (void)find();
  EXPECT_EQ(runs(), 2) << "a rewrite in the same mtime tick would keep its identity";
}

TEST_F(CacheFixture, NoVersionAndNoDirectoryAreNotCached) {
  node("true");
  (void)find();
  (void)find();
  EXPECT_EQ(runs(), 2) << "an engine that printed no version must be asked again";
  node("echo v22.1.0");
  (void)find_engines(binary().parent_path().string(), "");
  (void)find_engines(binary().parent_path().string(), "");
  EXPECT_EQ(runs(), 4) << "no cache directory, no cache";
}

}  // namespace
}  // namespace strata::wasm
