#include <gtest/gtest.h>

#include "image/oci.hpp"

namespace strata::image {
namespace {

const std::string kD1 = "sha256:" + std::string(64, 'a');
const std::string kD2 = "sha256:" + std::string(64, 'b');
const std::string kD3 = "sha256:" + std::string(64, 'c');

TEST(ImagePlatform, Parse) {
  EXPECT_EQ(parse_platform("linux/arm64").value(), (Platform{"linux", "arm64", ""}));
  EXPECT_EQ(parse_platform("linux/arm/v7").value(), (Platform{"linux", "arm", "v7"}));
  for (const char* bad : {"linux", "linux/", "/amd64", "a//b", "a/b/c/d", ""}) {
    auto p = parse_platform(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message().find("parse --platform"), std::string::npos);
  }
  EXPECT_EQ((Platform{"linux", "arm", "v7"}).str(), "linux/arm/v7");
}

TEST(ImagePlatform, Matches) {
  EXPECT_TRUE(platform_matches({"linux", "arm64", ""}, {"linux", "arm64", "v8"}));
  EXPECT_TRUE(platform_matches({"linux", "arm64", "v8"}, {"linux", "arm64", ""}));
  EXPECT_TRUE(platform_matches({"linux", "arm", ""}, {"linux", "arm", "v6"}));
  EXPECT_FALSE(platform_matches({"linux", "arm", "v7"}, {"linux", "arm", "v6"}));
  EXPECT_FALSE(platform_matches({"linux", "amd64", ""}, {"windows", "amd64", ""}));
  EXPECT_FALSE(platform_matches({"linux", "amd64", ""}, {"linux", "arm64", ""}));
  const Platform host = host_platform();
  EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
  EXPECT_EQ(host.architecture, "amd64");
#elif defined(__aarch64__)
  EXPECT_EQ(host.architecture, "arm64");
#endif
}

std::string entry(const std::string& digest, const std::string& platform_json) {
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
         R"(","size":10,"platform":)" + platform_json + "}";
}

TEST(ImageIndex, SelectsPlatform) {
  const std::string text = R"({"schemaVersion":2,"extra":1,"manifests":[)" +
                           entry(kD1, R"({"os":"linux","architecture":"amd64"})") + "," +
                           entry(kD2, R"({"os":"linux","architecture":"arm64","variant":"v8"})") + "," +
                           entry(kD3, R"({"os":"linux","architecture":"arm","variant":"v7"})") + "]}";
  auto index = parse_index(text, "index.json");
  ASSERT_TRUE(index) << index.error().message();
  ASSERT_EQ(index->manifests.size(), 3U);
  EXPECT_EQ(select_platform(*index, {"linux", "amd64", ""}, "i").value().digest.str(), kD1);
  EXPECT_EQ(select_platform(*index, {"linux", "arm64", ""}, "i").value().digest.str(), kD2);
  EXPECT_EQ(select_platform(*index, {"linux", "arm", "v7"}, "i").value().digest.str(), kD3);
  auto none = select_platform(*index, {"linux", "s390x", ""}, "index.json");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(),
            "select platform 'index.json': no image for linux/s390x (has: linux/amd64, linux/arm64/v8, "
            "linux/arm/v7; choose one with --platform)");
}

TEST(ImageIndex, ExactVariantWinsOverLooseMatch) {
  const std::string text = R"({"manifests":[)" + entry(kD1, R"({"os":"linux","architecture":"arm"})") + "," +
                           entry(kD2, R"({"os":"linux","architecture":"arm","variant":"v7"})") + "]}";
  auto index = parse_index(text, "i");
  ASSERT_TRUE(index);
  EXPECT_EQ(select_platform(*index, {"linux", "arm", "v7"}, "i").value().digest.str(), kD2);
  EXPECT_EQ(classify(text, "i").value(), DocKind::index);
}

TEST(ImageManifest, StrictOnRequiredTolerantOfUnknown) {
  const std::string good =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x-extra":[1],
          "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      kD1 +
      R"(","size":7,"new":true},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
      kD2 + R"(","size":42,"annotations":{"k":"v"}}]})";
  auto m = parse_manifest(good, "m");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->config.size, 7U);
  ASSERT_EQ(m->layers.size(), 1U);
  EXPECT_EQ(m->layers[0].annotations.at("k"), "v");
  EXPECT_EQ(classify(good, "m").value(), DocKind::manifest);
  // What we write, we read back.
  auto again = parse_manifest(manifest_json(*m), "m");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->layers[0].digest, m->layers[0].digest);

  EXPECT_FALSE(parse_manifest(R"({"layers":[]})", "m"));
  EXPECT_FALSE(parse_manifest("[1]", "m"));
  EXPECT_FALSE(parse_manifest("{", "m"));
  const std::string no_size = R"({"config":{"mediaType":"x","digest":")" + kD1 + R"("},"layers":[]})";
  EXPECT_NE(parse_manifest(no_size, "m").error().message().find("size"), std::string::npos);
  const std::string bad_digest = R"({"config":{"mediaType":"x","digest":"md5:00","size":1},"layers":[]})";
  EXPECT_NE(parse_manifest(bad_digest, "m").error().message().find("only sha256"), std::string::npos);
  const std::string wrong_type =
      R"({"config":{"mediaType":7,"digest":")" + kD1 + R"(","size":1},"layers":[]})";
  EXPECT_NE(parse_manifest(wrong_type, "m").error().message().find("not a string"), std::string::npos);
  EXPECT_FALSE(classify(R"({"mediaType":"text/plain"})", "m"));
}

TEST(ImageConfig, Parse) {
  const std::string text = R"({"os":"linux","architecture":"amd64","unknown":{},
    "config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/w","User":"1000"},
    "rootfs":{"type":"layers","diff_ids":[")" +
                           kD1 + R"("]}})";
  auto c = parse_config(text, "c");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->platform.str(), "linux/amd64");
  EXPECT_EQ(c->env, std::vector<std::string>{"PATH=/bin"});
  EXPECT_EQ(c->cmd, std::vector<std::string>{"sh"});
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_EQ(c->working_dir, "/w");
  ASSERT_EQ(c->diff_ids.size(), 1U);
  EXPECT_FALSE(parse_config(R"({"os":"linux","architecture":"amd64"})", "c"));
  EXPECT_FALSE(parse_config(R"({"architecture":"amd64","rootfs":{}})", "c"));
  EXPECT_FALSE(
      parse_config(R"({"os":"linux","architecture":"amd64","config":{"Cmd":"sh"},"rootfs":{}})", "c"));
}

TEST(ImageDockerManifest, Parse) {
  auto images = parse_docker_manifest(
      R"([{"Config":"abc.json","RepoTags":["busybox:latest"],"Layers":["l1/layer.tar","l2/layer.tar"],"X":1}])",
      "manifest.json");
  ASSERT_TRUE(images) << images.error().message();
  ASSERT_EQ(images->size(), 1U);
  EXPECT_EQ(images->front().config, "abc.json");
  EXPECT_EQ(images->front().repo_tags.front(), "busybox:latest");
  EXPECT_EQ(images->front().layers.size(), 2U);
  EXPECT_FALSE(parse_docker_manifest("[]", "m"));
  EXPECT_FALSE(parse_docker_manifest(R"([{"Layers":[]}])", "m"));
  EXPECT_FALSE(parse_docker_manifest(R"({"Config":"x"})", "m"));
}

}  // namespace
}  // namespace strata::image
