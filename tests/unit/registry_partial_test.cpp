// Resumable blob downloads: Content-Range answers and the partial file that
// carries the bytes (and the hash) across a cut and across processes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "image/oci.hpp"
#include "image/store.hpp"
#include "registry/partial.hpp"

namespace strata::registry {
namespace {

namespace fs = std::filesystem;

class RegistryPartial : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strata-partial-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto store = image::Store::open(dir_.string());
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  Partial open(const std::string& content) {
    auto p = Partial::open(*store_, image::sha256_of(content), content.size());
    EXPECT_TRUE(p && *p);
    return std::move(**p);
  }

  fs::path dir_;
  std::optional<image::Store> store_;
};

TEST(RegistryRange, ContentRange) {
  const auto r = parse_content_range("bytes 100-199/200");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 100U);
  EXPECT_EQ(r->last, 199U);
  EXPECT_EQ(r->total, 200U);
  EXPECT_FALSE(parse_content_range("bytes 100-199/*")->total.has_value());
  for (const char* bad :
       {"", "bytes 5-4/10", "bytes 0-10/10", "items 0-1/2", "bytes -1/2", "bytes 1-2", "bytes */10"}) {
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  }
}

TEST(RegistryRange, Answers) {
  EXPECT_EQ(check_range_answer(0, 200, "", "b").value(), RangeAnswer::restart);
  EXPECT_EQ(check_range_answer(10, 200, "", "b").value(), RangeAnswer::restart);  // Range ignored
  EXPECT_EQ(check_range_answer(10, 206, "bytes 10-99/100", "b").value(), RangeAnswer::append);
  EXPECT_FALSE(check_range_answer(10, 206, "bytes 0-99/100", "b").has_value());
  EXPECT_FALSE(check_range_answer(10, 206, "", "b").has_value());
}

TEST_F(RegistryPartial, ResumesInProcessAndAcrossProcesses) {
  const std::string content = "the bytes of a layer, cut in three places";
  {
    Partial p = open(content);
    EXPECT_EQ(p.have(), 0U);
    ASSERT_TRUE(p.append(content.substr(0, 7)));
    ASSERT_TRUE(p.append(content.substr(7, 5)));  // a resumed transfer: the hash goes on
    EXPECT_EQ(p.have(), 12U);
  }  // the process ends: the file stays
  Partial again = open(content);
  EXPECT_EQ(again.have(), 12U);
  ASSERT_TRUE(again.append(content.substr(12)));
  auto blob = again.finish();
  ASSERT_TRUE(blob) << blob.error().message();
  EXPECT_EQ(blob->digest, image::sha256_of(content));
  EXPECT_EQ(blob->size, content.size());
  EXPECT_EQ(blob->head, content.substr(0, 8));
  auto staging = store_->begin();
  ASSERT_TRUE(staging);
  ASSERT_TRUE(staging->commit(*blob));
  EXPECT_TRUE(store_->has_blob(blob->digest));
  EXPECT_FALSE(fs::exists(blob->path));
  auto after = Partial::open(*store_, blob->digest, content.size());
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value());  // in the store: nothing to download
}

TEST_F(RegistryPartial, RestartForgetsTheBytes) {
  const std::string content = "0123456789";
  Partial p = open(content);
  ASSERT_TRUE(p.append("xyz"));
  ASSERT_TRUE(p.restart());
  ASSERT_TRUE(p.append(content));
  EXPECT_TRUE(p.finish());
}

TEST_F(RegistryPartial, MismatchAndOverflowDiscard) {
  const std::string content = "0123456789";
  Partial p = open(content);
  const std::string path = p.path();
  ASSERT_TRUE(p.append("0123456780"));
  auto bad = p.finish();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("content has digest"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));
  Partial q = open(content);
  ASSERT_TRUE(q.append("0123"));
  auto over = q.append("456789xx");
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().detail.find("more than its 10 bytes"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));
  Partial r = open(content);
  ASSERT_TRUE(r.append("0123"));
  EXPECT_FALSE(r.finish());  // short: kept for the next try
  EXPECT_TRUE(fs::exists(path));
}

// Registries serve Docker manifest lists; the platform is chosen by the same
// select_platform as `strata image import`.
TEST(RegistryPlatform, DockerManifestListSelection) {
  const std::string d1 = "sha256:" + std::string(64, '1');
  const std::string d2 = "sha256:" + std::string(64, '2');
  const nlohmann::json list = {
      {"schemaVersion", 2},
      {"mediaType", image::media::kDockerList},
      {"manifests",
       {{{"mediaType", image::media::kDockerManifest},
         {"digest", d1},
         {"size", 1},
         {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}},
        {{"mediaType", image::media::kDockerManifest},
         {"digest", d2},
         {"size", 2},
         {"platform", {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}}}}}}};
  const std::string text = list.dump();
  ASSERT_EQ(image::classify(text, "list").value(), image::DocKind::index);
  const auto index = image::parse_index(text, "list").value();
  EXPECT_EQ(image::select_platform(index, {.os = "linux", .architecture = "amd64"}, "l")->digest.str(), d1);
  EXPECT_EQ(image::select_platform(index, {.os = "linux", .architecture = "arm64"}, "l")->digest.str(), d2);
  EXPECT_FALSE(image::select_platform(index, {.os = "linux", .architecture = "s390x"}, "l").has_value());
}

}  // namespace
}  // namespace strata::registry
