// Import from hand-made OCI layouts (the tools' real outputs are covered by
// tests/integration/image_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "image/import.hpp"

namespace strata::image {
namespace {

namespace fs = std::filesystem;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = "/tmp/strata-import-test.XXXXXX";
    ASSERT_NE(::mkdtemp(path.data()), nullptr);
    root_ = path;
    layout_ = root_ + "/layout";
    fs::create_directories(layout_ + "/blobs/sha256");
    std::ofstream(layout_ + "/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  }
  void TearDown() override { fs::remove_all(root_); }

  Descriptor blob(const std::string& bytes, std::string_view media_type) const {
    const Digest d = sha256_of(bytes);
    std::ofstream(layout_ + "/blobs/sha256/" + d.hex) << bytes;
    return Descriptor{.media_type = std::string(media_type), .digest = d, .size = bytes.size()};
  }
  // A manifest of one layer for `arch`; returns its descriptor.
  Descriptor image_for(const std::string& arch, const std::string& layer_bytes) const {
    const Descriptor config =
        blob(R"({"os":"linux","architecture":")" + arch + R"(","rootfs":{"type":"layers","diff_ids":[]}})",
             media::kOciConfig);
    Manifest m{.media_type = std::string(media::kOciManifest), .config = config};
    m.layers.push_back(blob(layer_bytes, media::kOciLayer));
    return blob(manifest_json(m), media::kOciManifest);
  }
  void write_index(const std::string& entries) const {
    std::ofstream(layout_ + "/index.json") << R"({"schemaVersion":2,"manifests":[)" + entries + "]}";
  }
  static std::string entry(const Descriptor& d, const std::string& extra) {
    return R"({"mediaType":")" + d.media_type + R"(","digest":")" + d.digest.str() + R"(","size":)" +
           std::to_string(d.size) + extra + "}";
  }
  [[nodiscard]] std::size_t blobs_in_store() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ + "/store/blobs/sha256")) {
      ++n;
    }
    return n;
  }

  std::string root_;
  std::string layout_;
};

TEST_F(ImportTest, NamedImagesNeedRef) {
  const Descriptor a = image_for("amd64", "layer a");
  const Descriptor b = image_for("amd64", "layer b");
  write_index(entry(a, R"(,"annotations":{"org.opencontainers.image.ref.name":"a"})") + "," +
              entry(b, R"(,"annotations":{"org.opencontainers.image.ref.name":"b"})"));
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto ambiguous = import_image(*store, layout_, {});
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message().find("holds several images (a, b); choose one with --ref"),
            std::string::npos);
  auto done = import_image(*store, layout_, {.ref = "b"});
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->tag, "b");
  EXPECT_EQ(done->manifest, b.digest);
  EXPECT_EQ(done->format, "oci-layout");
  EXPECT_EQ(blobs_in_store(), 3U);  // nothing of image a
  EXPECT_EQ(store->resolve("b").value(), b.digest);
}

TEST_F(ImportTest, PlatformFromTopLevelIndex) {
  const Descriptor amd = image_for("amd64", "amd layer");
  const Descriptor arm = image_for("arm64", "arm layer");
  write_index(entry(amd, R"(,"platform":{"os":"linux","architecture":"amd64"})") + "," +
              entry(arm, R"(,"platform":{"os":"linux","architecture":"arm64","variant":"v8"})"));
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto done = import_image(*store, layout_, {.tag = "x", .platform = Platform{"linux", "arm64", ""}});
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->manifest, arm.digest);
  EXPECT_EQ(done->platform.str(), "linux/arm64");
  EXPECT_EQ(done->tag, "x");
  auto none = import_image(*store, layout_, {.platform = Platform{"linux", "riscv64", ""}});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no image for linux/riscv64"), std::string::npos);
}

TEST_F(ImportTest, UnnamedImageTaggedByDigestAndConfigPlatformChecked) {
  const Descriptor amd = image_for("amd64", "layer");
  write_index(entry(amd, ""));
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto wrong = import_image(*store, layout_, {.platform = Platform{"linux", "arm64", ""}});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("the image is for linux/amd64, not linux/arm64"), std::string::npos);
  EXPECT_EQ(blobs_in_store(), 0U);
  auto done = import_image(*store, layout_, {.platform = Platform{"linux", "amd64", ""}});
  ASSERT_TRUE(done) << done.error().message();
  EXPECT_EQ(done->tag, amd.digest.str());
}

TEST_F(ImportTest, SizeMismatchAndMissingBlobLeaveNothing) {
  const Descriptor amd = image_for("amd64", "layer");
  Descriptor lying = amd;
  lying.size += 1;
  write_index(entry(lying, ""));
  auto store = Store::open(root_ + "/store");
  ASSERT_TRUE(store);
  auto bad_size = import_image(*store, layout_, {});
  ASSERT_FALSE(bad_size);
  EXPECT_NE(bad_size.error().message().find("expected " + std::to_string(lying.size)), std::string::npos);
  write_index(entry(amd, ""));
  fs::remove(layout_ + "/blobs/sha256/" + sha256_of("layer").hex);
  auto missing = import_image(*store, layout_, {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(sha256_of("layer").hex + "': No such file"), std::string::npos);
  EXPECT_EQ(blobs_in_store(), 0U);
  EXPECT_TRUE(fs::is_empty(root_ + "/store/staging"));
  EXPECT_TRUE(store->refs().value().empty());
}

}  // namespace
}  // namespace strata::image
