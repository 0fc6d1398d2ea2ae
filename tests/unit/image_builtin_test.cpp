// Resolving builtin:NAME: imported from its layout on first use, a plain tag
// afterwards. The layout is a small hand-made one ($STRATA_BUILTIN_IMAGES),
// not the real busybox image (tests/integration/image_builtin_test.cpp).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "../integration/oci_layout.hpp"
#include "image/builtin.hpp"

namespace strata::image {
namespace {

namespace fs = std::filesystem;

class BuiltinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = "/tmp/strata-builtin-test.XXXXXX";
    ASSERT_NE(::mkdtemp(path.data()), nullptr);
    root_ = path;
    // NOLINTNEXTLINE(concurrency-mt-unsafe): gtest runs each test in its own process here
    if (const char* old = ::getenv("STRATA_BUILTIN_IMAGES"); old != nullptr) {
      saved_ = old;
    }
    test::write_oci_layout(root_ + "/images/busybox", "builtin:busybox",
                           {{test::dir_entry("bin"), {.path = "bin/busybox", .mode = 0755, .data = "#!"}},
                            {test::symlink_entry("bin/sh", "busybox")}},
                           {{"Cmd", {"sh"}}});
    set_images(root_ + "/images");
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("STRATA_BUILTIN_IMAGES", saved_->c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      ::unsetenv("STRATA_BUILTIN_IMAGES");  // NOLINT(concurrency-mt-unsafe)
    }
    fs::remove_all(root_);
  }
  static void set_images(const std::string& dir) {
    ASSERT_EQ(::setenv("STRATA_BUILTIN_IMAGES", dir.c_str(), 1), 0);  // NOLINT(concurrency-mt-unsafe)
  }
  [[nodiscard]] std::size_t blobs_in_store() const {
    std::size_t n = 0;
    std::error_code ec;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/store/blobs/sha256", ec)) {
      ++n;
    }
    return n;
  }
  // The manifest digest the layout's index names.
  [[nodiscard]] Digest layout_manifest() const {
    std::ifstream in(root_ + "/images/busybox/index.json");
    const auto index = nlohmann::json::parse(in);
    return Digest::parse(index["manifests"][0]["digest"].get<std::string>()).value();
  }

  std::string root_;
  std::optional<std::string> saved_;
};

TEST_F(BuiltinTest, ImportedIntoAFreshStoreOnFirstUse) {
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store) << store.error().message();
  ASSERT_TRUE(store->refs().value().empty());
  auto digest = resolve_image(*store, "builtin:busybox");
  ASSERT_TRUE(digest) << digest.error().message();
  EXPECT_EQ(*digest, layout_manifest());
  EXPECT_EQ(store->refs().value(), (std::map<std::string, Digest>{{"builtin:busybox", *digest}}));
  EXPECT_EQ(blobs_in_store(), 4U);  // manifest, config, two layers
  EXPECT_EQ(store->resolve("builtin:busybox").value(), *digest);
}

TEST_F(BuiltinTest, SecondUseReadsTheStoreNotTheLayout) {
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  const Digest first = resolve_image(*store, "builtin:busybox").value();
  fs::remove_all(root_ + "/images");
  auto second = resolve_image(*store, "builtin:busybox");
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(*second, first);
  // Once the tag is gone the layout is needed again, and its absence is reported.
  ASSERT_TRUE(store->untag("builtin:busybox"));
  auto gone = resolve_image(*store, "builtin:busybox");
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("layout is missing (looked in " + root_ + "/images/busybox;"),
            std::string::npos)
      << gone.error().message();
}

TEST_F(BuiltinTest, TheTagFollowsARebuiltLayout) {
  // A new strata (a new busybox) ships a new layout; a store that imported the
  // old one takes the new one on the next use.
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  const Digest old = store->put_bytes("{}", "test").value();
  ASSERT_TRUE(store->tag("builtin:busybox", old));
  const Digest now = resolve_image(*store, "builtin:busybox").value();
  EXPECT_EQ(now, layout_manifest());
  EXPECT_EQ(store->resolve("builtin:busybox").value(), now);
}

TEST_F(BuiltinTest, UnknownNameListsTheBuiltins) {
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto digest = resolve_image(*store, "builtin:alpine");
  ASSERT_FALSE(digest);
  const std::string message = digest.error().message();
  EXPECT_EQ(message, "find image 'builtin:alpine': no such built-in image (there is builtin:busybox)");
  EXPECT_TRUE(store->refs().value().empty());
  EXPECT_EQ(blobs_in_store(), 0U);
}

TEST_F(BuiltinTest, MissingLayoutNamesWhereItLooked) {
  set_images(root_ + "/nowhere");
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto digest = resolve_image(*store, "builtin:busybox");
  ASSERT_FALSE(digest);
  const std::string message = digest.error().message();
  EXPECT_NE(message.find("looked in " + root_ + "/nowhere/busybox;"), std::string::npos) << message;
  EXPECT_NE(message.find("built-in images: builtin:busybox"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(blobs_in_store(), 0U);
}

// Without the variable: next to the running binary, then ../share/strata/images.
TEST_F(BuiltinTest, DefaultPlacesAreBesideTheBinary) {
  ::unsetenv("STRATA_BUILTIN_IMAGES");  // NOLINT(concurrency-mt-unsafe)
  const fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
  if (fs::exists(dir / "images/busybox") || fs::exists(dir.parent_path() / "share/strata/images/busybox")) {
    GTEST_SKIP() << "a busybox layout is installed beside " << dir;
  }
  auto layout = builtin_layout("busybox");
  ASSERT_FALSE(layout);
  EXPECT_NE(layout.error().message().find("looked in " + (dir / "images/busybox").string() + ", " +
                                          (dir.parent_path() / "share/strata/images/busybox").string() + ";"),
            std::string::npos)
      << layout.error().message();
}

// Several stores on one directory resolving at once (as separate processes
// would): every one gets the same image, tagged once, with no blob missing.
TEST_F(BuiltinTest, ConcurrentFirstUses) {
  constexpr int kThreads = 4;
  std::vector<std::optional<Digest>> got(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &got] {
      auto store = Store::open(root_ + "/store");
      if (auto digest = store ? resolve_image(*store, "builtin:busybox") : std::unexpected(store.error())) {
        got[static_cast<std::size_t>(i)] = *digest;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (const auto& digest : got) {
    EXPECT_EQ(digest, layout_manifest());
  }
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->refs().value().size(), 1U);
  EXPECT_EQ(blobs_in_store(), 4U);
}

}  // namespace
}  // namespace strata::image
