#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "image/oci.hpp"
#include "image/store.hpp"

namespace strata::image {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = "/tmp/strata-store-test.XXXXXX";
    ASSERT_NE(::mkdtemp(path.data()), nullptr);
    dir_ = path + "/store";
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }

  [[nodiscard]] std::size_t count(const std::string& sub) const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ + "/" + sub)) {
      ++n;
    }
    return n;
  }

  std::string dir_;
};

ReadFn chunks(std::vector<std::string> parts, bool fail_at_end = false) {
  auto state = std::make_shared<std::vector<std::string>>(std::move(parts));
  return [state, fail_at_end](std::span<char> out) -> Result<std::size_t> {
    if (state->empty()) {
      if (fail_at_end) {
        return fail("read", "test", "stream broke");
      }
      return 0;
    }
    const std::string part = state->front();
    state->erase(state->begin());
    part.copy(out.data(), std::min(out.size(), part.size()));
    return std::min(out.size(), part.size());
  };
}

TEST_F(StoreTest, PutAndReadBackVerified) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store) << store.error().message();
  auto digest = store->put_blob(chunks({"hello ", "world"}), "test");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, sha256_of("hello world"));
  EXPECT_TRUE(store->has_blob(*digest));
  EXPECT_EQ(store->read_blob(*digest).value_or(""), "hello world");
  auto fd = store->open_blob(*digest, true);
  ASSERT_TRUE(fd) << fd.error().message();
  char buf[5] = {};
  EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
  EXPECT_EQ(count("staging"), 0U);
}

TEST_F(StoreTest, DigestMismatchRejectedWithNothingLeft) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  auto digest = store->put_blob(chunks({"evil"}), "layer.tar", sha256_of("good"));
  ASSERT_FALSE(digest);
  EXPECT_NE(digest.error().message().find("verify blob 'layer.tar'"), std::string::npos);
  EXPECT_NE(digest.error().message().find(sha256_of("good").str()), std::string::npos);
  EXPECT_EQ(count("blobs/sha256"), 0U);
  EXPECT_EQ(count("staging"), 0U);
}

TEST_F(StoreTest, BrokenStreamLeavesNothing) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  {
    auto staging = store->begin();
    ASSERT_TRUE(staging);
    auto blob = staging->write(chunks({"partial"}, true), "input");
    ASSERT_FALSE(blob);
    EXPECT_EQ(blob.error().message(), "read 'test': stream broke");
  }
  EXPECT_EQ(count("blobs/sha256"), 0U);
  EXPECT_EQ(count("staging"), 0U);  // the staging directory goes with its object
}

TEST_F(StoreTest, CorruptionDetectedOnRead) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  auto digest = store->put_bytes("original", "test");
  ASSERT_TRUE(digest);
  std::ofstream(store->blob_path(*digest)) << "tampered";
  EXPECT_TRUE(store->open_blob(*digest, false));
  auto verified = store->open_blob(*digest, true);
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.error().message().find("content changed on disk"), std::string::npos);
  EXPECT_FALSE(store->read_blob(*digest));
}

TEST_F(StoreTest, TagsResolveAndUntag) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  auto digest = store->put_bytes("{}", "test");
  ASSERT_TRUE(digest);
  ASSERT_TRUE(store->tag("example.org/app:1.0", *digest));
  EXPECT_EQ(store->resolve("example.org/app:1.0").value_or(Digest{}), *digest);
  EXPECT_EQ(store->resolve(digest->str()).value_or(Digest{}), *digest);
  EXPECT_FALSE(store->resolve("nope"));
  EXPECT_FALSE(store->tag("bad name", *digest));
  EXPECT_FALSE(store->tag("-x", *digest));
  EXPECT_FALSE(store->tag("other", sha256_of("absent")));
  ASSERT_TRUE(store->untag("example.org/app:1.0"));
  auto again = store->untag("example.org/app:1.0");
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("no such tag"), std::string::npos);
  EXPECT_TRUE(store->refs().value().empty());
}

TEST_F(StoreTest, ConcurrentWritersViaFork) {
  ASSERT_TRUE(Store::open(dir_));
  constexpr int kWriters = 4;
  constexpr int kEach = 25;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::open(dir_);
      bool ok = store.has_value();
      for (int i = 0; ok && i < kEach; ++i) {
        // Half the blobs are shared by all writers, half are each writer's own.
        const std::string bytes =
            i % 2 == 0 ? "shared " + std::to_string(i) : std::to_string(w) + "/" + std::to_string(i);
        auto digest = store->put_bytes(bytes, "test");
        ok = digest && store->tag("w" + std::to_string(w) + "-" + std::to_string(i), *digest);
      }
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  auto refs = store->refs();
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->size(), static_cast<std::size_t>(kWriters * kEach));  // no tag update lost
  for (const auto& [name, digest] : *refs) {
    EXPECT_TRUE(store->open_blob(digest, true)) << name;
  }
  EXPECT_EQ(count("staging"), 0U);
}

TEST_F(StoreTest, ExclusiveLockWaitsForReaders) {
  auto store = Store::open(dir_);
  ASSERT_TRUE(store);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open((dir_ + "/lock").c_str(), O_RDWR | O_CLOEXEC);
    const bool blocked = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    const bool shared_ok = fd >= 0 && ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::_exit(blocked && shared_ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// A manifest with one config and one layer, stored; returns its digest.
Digest store_image(const Store& store, const std::string& seed) {
  const Digest config =
      store.put_bytes(R"({"os":"linux","architecture":"amd64","rootfs":{"diff_ids":[]}})" + seed, "c")
          .value();
  const Digest layer = store.put_bytes("layer " + seed, "l").value();
  Manifest m{.media_type = std::string(media::kOciManifest),
             .config = Descriptor{.media_type = std::string(media::kOciConfig), .digest = config, .size = 1}};
  m.layers.push_back(Descriptor{.media_type = std::string(media::kOciLayer), .digest = layer, .size = 1});
  return store.put_bytes(manifest_json(m), "m").value();
}

TEST_F(StoreTest, PruneKeepsWhatTagsReach) {
  {
    auto store = Store::open(dir_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->tag("kept", store_image(*store, "1")));
    ASSERT_TRUE(store->tag("dropped", store_image(*store, "2")));
    ASSERT_TRUE(store->put_bytes("stray", "s"));
    ASSERT_TRUE(store->untag("dropped"));
    EXPECT_FALSE(store->prune());  // shared: must not prune under a reader
  }
  auto store = Store::open(dir_, LockMode::exclusive);
  ASSERT_TRUE(store);
  ASSERT_EQ(count("blobs/sha256"), 7U);
  auto stats = store->prune();
  ASSERT_TRUE(stats) << stats.error().message();
  EXPECT_EQ(stats->blobs, 4U);
  EXPECT_EQ(count("blobs/sha256"), 3U);
  const Digest kept = store->resolve("kept").value();
  EXPECT_EQ(reachable_from(*store, kept).size(), 3U);
  for (const Digest& d : reachable_from(*store, kept)) {
    EXPECT_TRUE(store->open_blob(d, true));
  }
  ASSERT_TRUE(store->untag("kept"));
  EXPECT_EQ(store->prune().value().blobs, 3U);
  EXPECT_EQ(count("blobs/sha256"), 0U);
}

TEST_F(StoreTest, OpenCreatesParents) {
  auto store = Store::open(dir_ + "/deeper/still");
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_TRUE(fs::is_directory(dir_ + "/deeper/still/blobs/sha256"));
}

TEST(StorePath, FromEnvironment) {
  ::setenv("STRATA_HOME", "/srv/strata", 1);  // NOLINT(concurrency-mt-unsafe)
  EXPECT_EQ(Store::default_path().value_or(""), "/srv/strata");
  ::unsetenv("STRATA_HOME");  // NOLINT(concurrency-mt-unsafe)
  if (::geteuid() == 0) {
    EXPECT_EQ(Store::default_path().value_or(""), "/var/lib/strata");
  }
}

}  // namespace
}  // namespace strata::image
