// strata image: the real binary on images built by the real tools (umoci,
// skopeo), in a store of its own per test (STRATA_HOME).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "image/digest.hpp"
#include "image_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One image of three layers (busybox, then two files) as an OCI layout,
// an OCI archive and a docker-archive, built once for the suite.
class ImageTest : public ImageStoreTest {
 protected:
  static void SetUpTestSuite() {
    if (!have_tool("umoci") || !have_tool("skopeo") || !fs::exists("/bin/busybox")) {
      return;
    }
    images_ = new TempDir();  // NOLINT: lives for the suite
    const std::string d = images_->path();
    sh("cd " + d +
       " && umoci init --layout oci && umoci new --image oci:demo"
       " && umoci unpack --rootless --image oci:demo b1 >/dev/null && mkdir -p b1/rootfs/bin"
       " && cp /bin/busybox b1/rootfs/bin/ && umoci repack --image oci:demo b1"
       " && umoci unpack --rootless --image oci:demo b2 >/dev/null && echo one > b2/rootfs/one"
       " && umoci repack --image oci:demo b2"
       " && umoci unpack --rootless --image oci:demo b3 >/dev/null && echo two > b3/rootfs/two"
       " && umoci repack --image oci:demo b3"
       " && umoci config --image oci:demo --config.cmd /bin/busybox --config.cmd sh"
       " && skopeo copy -q oci:oci:demo docker-archive:docker.tar:example.org/demo:1"
       " && skopeo copy -q oci:oci:demo oci-archive:oci.tar");
    ready_ = true;
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) {
      GTEST_SKIP() << "needs umoci, skopeo and /bin/busybox (apt-get install umoci skopeo busybox-static)";
    }
  }

  static std::string input(const std::string& name) { return *images_ / name; }

  static inline TempDir* images_ = nullptr;
  static inline bool ready_ = false;
};

// One line "strata: image: ...", exit 125.
void expect_failure(const Finished& f, const std::string& needle) {
  EXPECT_EQ(f.exit_code, 125) << describe(f);
  EXPECT_EQ(lines(f.err).size(), 1U) << f.err;
  EXPECT_TRUE(f.err.starts_with("strata: image: ")) << f.err;
  EXPECT_NE(f.err.find(needle), std::string::npos) << f.err;
}

TEST_F(ImageTest, ImportsEachFormatWithItsLayers) {
  const json a = image_json({"import", "--json", input("oci")});
  EXPECT_EQ(a["format"], "oci-layout");
  EXPECT_EQ(a["tag"], "demo");
  EXPECT_EQ(a["layers"], 3);
  const json b = image_json({"import", "--json", "--tag", "from-archive", input("oci.tar")});
  EXPECT_EQ(b["format"], "oci-archive");
  EXPECT_EQ(b["digest"], a["digest"]);  // the same manifest bytes
  const json c = image_json({"import", "--json", input("docker.tar")});
  EXPECT_EQ(c["format"], "docker-archive");
  EXPECT_EQ(c["tag"], "example.org/demo:1");
  EXPECT_EQ(c["layers"], 3);
  const json inspect = image_json({"inspect", "--json", "example.org/demo:1"});
  EXPECT_EQ(inspect["layers"].size(), 3U);
  EXPECT_EQ(inspect["cmd"], json({"/bin/busybox", "sh"}));
  EXPECT_EQ(inspect["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
  const json ls = image_json({"ls", "--json"});
  ASSERT_EQ(ls.size(), 3U);
  EXPECT_EQ(ls[0]["name"], "demo");
  const Finished text = image({"ls"});
  EXPECT_NE(text.out.find("example.org/demo:1"), std::string::npos) << text.out;
}

TEST_F(ImageTest, TagRmAndPrune) {
  const json a = image_json({"import", "--json", input("docker.tar")});
  ASSERT_EQ(image({"tag", "example.org/demo:1", "copy"}).exit_code, 0);
  ASSERT_EQ(image({"rm", "example.org/demo:1"}).exit_code, 0);
  EXPECT_EQ(image_json({"prune", "--json"})["blobs"], 0);  // "copy" still holds everything
  EXPECT_EQ(image_json({"inspect", "--json", a["digest"]})["digest"], a["digest"]);
  ASSERT_EQ(image({"rm", "copy"}).exit_code, 0);
  EXPECT_EQ(image_json({"prune", "--json"})["blobs"], 5);  // manifest, config, 3 layers
  EXPECT_EQ(blob_count(), 0U);
  expect_failure(image({"rm", "copy"}), "remove tag 'copy': no such tag");
  expect_failure(image({"inspect", "nothing"}), "find image 'nothing'");
}

TEST_F(ImageTest, CorruptBlobRejectedAndNothingLeft) {
  TempDir copy;
  sh("cp -r " + input("oci") + " " + copy.path() + "/oci");
  const json index = json::parse(read_file(copy / "oci/index.json").value());
  const std::string manifest_hex = index["manifests"][0]["digest"].get<std::string>().substr(7);
  const json manifest = json::parse(read_file(copy / ("oci/blobs/sha256/" + manifest_hex)).value());
  const std::string layer =
      copy / ("oci/blobs/sha256/" + manifest["layers"][1]["digest"].get<std::string>().substr(7));
  std::string bytes = read_file(layer).value();
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  write_file(layer, bytes);
  expect_failure(image({"import", copy / "oci"}), "verify blob '" + layer + "': content has digest");
  EXPECT_EQ(blob_count(), 0U);
  EXPECT_TRUE(fs::is_empty(home_ / "staging"));
  EXPECT_FALSE(path_exists(home_ / "refs.json"));
}

TEST_F(ImageTest, CorruptArchiveRejectedAndNothingLeft) {
  TempDir copy;
  sh("cd " + copy.path() + " && mkdir x && tar -xf " + input("oci.tar") +
     " -C x && for f in x/blobs/sha256/*; do [ $(stat -c %s $f) -gt 100000 ] && printf X >> $f; done;"
     " tar -cf bad.tar -C x .");
  expect_failure(image({"import", copy / "bad.tar"}), "verify blob '" + copy / "bad.tar" + ":blobs/sha256/");
  EXPECT_EQ(blob_count(), 0U);
  EXPECT_TRUE(fs::is_empty(home_ / "staging"));
  EXPECT_FALSE(path_exists(home_ / "refs.json"));
}

// docker save writes layers uncompressed: the config's diff_ids are their digests.
TEST_F(ImageTest, CorruptDockerLayerRejected) {
  TempDir copy;
  sh("cd " + copy.path() + " && mkdir x && tar -xf " + input("docker.tar") +
     " -C x && for f in x/*.tar; do [ $(stat -c %s $f) -gt 100000 ] && printf X >> $f; done;"
     " tar -cf bad.tar -C x .");
  expect_failure(image({"import", copy / "bad.tar"}), "the config's diff_id is sha256:");
  EXPECT_EQ(blob_count(), 0U);
  EXPECT_TRUE(fs::is_empty(home_ / "staging"));
}

// Several strata processes importing and pruning one store at once: every
// import ends tagged and complete, whatever the interleaving.
TEST_F(ImageTest, ConcurrentImportsAndPrune) {
  std::vector<Process> running;
  constexpr int kImports = 4;
  for (int i = 0; i < kImports; ++i) {
    const std::string file = input(i % 2 == 0 ? "docker.tar" : "oci.tar");
    running.push_back(Process::start({"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin(), "image",
                                      "import", "--tag", "t" + std::to_string(i), file}));
    running.push_back(
        Process::start({"/usr/bin/env", "STRATA_HOME=" + home_.path(), strata_bin(), "image", "prune"}));
  }
  for (Process& p : running) {
    const Finished f = p.wait();
    EXPECT_EQ(f.exit_code, 0) << describe(f);
  }
  for (int i = 0; i < kImports; ++i) {
    const json inspect = image_json({"inspect", "--json", "t" + std::to_string(i)});
    ASSERT_EQ(inspect["layers"].size(), 3U);
    for (const json& layer : inspect["layers"]) {
      EXPECT_TRUE(path_exists(home_ / ("blobs/sha256/" + layer["digest"].get<std::string>().substr(7))));
    }
  }
  EXPECT_EQ(image_json({"prune", "--json"})["blobs"], 0);
}

// A layout whose index holds a nested multi-platform index: the real image
// labelled with this machine's platform and a variant of it for s390x.
TEST_F(ImageTest, PicksPlatformFromIndex) {
  TempDir copy;
  const std::string oci = copy / "oci";
  sh("cp -r " + input("oci") + " " + oci);
  json index = json::parse(read_file(oci + "/index.json").value());
  json real = index["manifests"][0];
  real.erase("annotations");
  const std::string manifest_text =
      read_file(oci + "/blobs/sha256/" + real["digest"].get<std::string>().substr(7)).value();
  json other_manifest = json::parse(manifest_text);
  other_manifest["annotations"] = {{"variant", "other"}};
  const std::string other_text = other_manifest.dump();
  const image::Digest other = image::sha256_of(other_text);
  write_file(oci + "/blobs/sha256/" + other.hex, other_text);
  json other_entry = real;
  other_entry["digest"] = other.str();
  other_entry["size"] = other_text.size();
  other_entry["platform"] = {{"os", "linux"}, {"architecture", "s390x"}};
  const Finished arch = run({"/bin/sh", "-c", "uname -m"});
  if (arch.out != "x86_64\n" && arch.out != "aarch64\n") {
    GTEST_SKIP() << "labels the host platform for x86_64 and aarch64 only, not " << arch.out;
  }
  real["platform"] = {{"os", "linux"}, {"architecture", arch.out == "aarch64\n" ? "arm64" : "amd64"}};
  const std::string nested = json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests",
       {other_entry, real}}}.dump();
  const image::Digest nested_digest = image::sha256_of(nested);
  write_file(oci + "/blobs/sha256/" + nested_digest.hex, nested);
  index["manifests"] = {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                         {"digest", nested_digest.str()},
                         {"size", nested.size()}}};
  write_file(oci + "/index.json", index.dump());

  EXPECT_EQ(image_json({"import", "--json", "--tag", "host", oci})["digest"], real["digest"]);
  const json s390 = image_json({"import", "--json", "--tag", "s390", "--platform", "linux/s390x", oci});
  EXPECT_EQ(s390["digest"], other.str());
  expect_failure(image({"import", "--platform", "linux/mips64", oci}),
                 "no image for linux/mips64 (has: linux/s390x");
  expect_failure(image({"import", "--platform", "linux", oci}), "parse --platform 'linux'");
}

TEST_F(ImageTest, UserErrorsAreOneLine) {
  expect_failure(image({"import", "/nonexistent/image"}), "import '/nonexistent/image': No such file");
  TempDir junk;
  write_file(junk / "x.tar", "not a tar at all");
  expect_failure(image({"import", junk / "x.tar"}), junk / "x.tar");
  expect_failure(image({"import", junk.path()}), "not an OCI image layout");
  expect_failure(image({"import", "--tag", "bad tag", input("oci")}), "check tag 'bad tag'");
  expect_failure(image({"import", "--ref", "nope", input("docker.tar")}), "no image tagged 'nope'");
  EXPECT_EQ(blob_count(), 0U);
}

}  // namespace
}  // namespace strata::test
