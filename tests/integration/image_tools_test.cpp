// strata image import on images whose layers carry what a layered image
// really holds (whiteouts, an opaque directory, a symlink chain), built with
// umoci, and on what podman writes (docker-archive, oci-archive).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"
#include "image/digest.hpp"
#include "image_fixtures.hpp"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The opaque layer: umoci repack writes a whiteout per removed file, never
// an opaque directory, so this layer is written by Python's tarfile and
// appended verbatim with `umoci raw add-layer`.
constexpr const char* kOpaqueLayer = R"(import io, tarfile
with tarfile.open("opaque.tar", "w") as tar:
    for name, data in (("d", None), ("d/.wh..wh..opq", b""), ("d/new", b"new\n")):
        info = tarfile.TarInfo(name)
        info.type = tarfile.DIRTYPE if data is None else tarfile.REGTYPE
        info.mode = 0o755 if data is None else 0o644
        info.size = len(data or b"")
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
)";

// In `dir`: an OCI layout `oci` (image "layered") and its docker-archive
// `docker.tar` (example.org/layered:1), three layers:
//   1. bin/busybox, d/old1, d/old2, e/gone, e/kept, file, a -> b -> c -> file
//   2. e/gone deleted: the whiteout e/.wh.gone
//   3. d emptied and refilled: the opaque marker d/.wh..wh..opq and d/new
void build_layered(const std::string& dir) {
  write_file(dir + "/opaque.py", kOpaqueLayer);
  sh("cd " + dir +
     " && umoci init --layout oci && umoci new --image oci:layered"
     " && umoci unpack --rootless --image oci:layered b1 >/dev/null"
     " && mkdir -p b1/rootfs/bin b1/rootfs/d b1/rootfs/e && cp /bin/busybox b1/rootfs/bin/"
     " && echo old1 > b1/rootfs/d/old1 && echo old2 > b1/rootfs/d/old2"
     " && echo gone > b1/rootfs/e/gone && echo kept > b1/rootfs/e/kept && echo target > b1/rootfs/file"
     " && ln -s file b1/rootfs/c && ln -s c b1/rootfs/b && ln -s b b1/rootfs/a"
     " && umoci repack --image oci:layered b1"
     " && umoci unpack --rootless --image oci:layered b2 >/dev/null && rm b2/rootfs/e/gone"
     " && umoci repack --image oci:layered b2"
     " && python3 opaque.py && umoci raw add-layer --image oci:layered opaque.tar"
     " && umoci config --image oci:layered --config.cmd /bin/busybox --config.cmd sh"
     " && skopeo copy -q oci:oci:layered docker-archive:docker.tar:example.org/layered:1");
}

// `tar -tvf` of a layer blob (tar finds the compression itself), one entry
// a line with "./" dropped: "-rw-r--r-- 0/0 5 ... d/new" -> "d/new",
// "lrwxrwxrwx ... a -> b" -> "a -> b".
std::set<std::string> layer_entries(const std::string& blob) {
  const Finished f = run({"/usr/bin/tar", "-tvf", blob});
  EXPECT_EQ(f.exit_code, 0) << describe(f);
  std::set<std::string> out;
  for (const std::string& line : lines(f.out)) {
    // The name starts after the time column "HH:MM ".
    const std::size_t colon = line.find(':', line.find(' ', line.find(' ') + 1));
    std::string name = colon == std::string::npos ? line : line.substr(colon + 4);
    if (name.starts_with("./")) {
      name = name.substr(2);
    }
    out.insert(name);
  }
  return out;
}

class LayeredImageTest : public ImageStoreTest {
 protected:
  static void SetUpTestSuite() {
    if (!have_tool("umoci") || !have_tool("skopeo") || !have_tool("python3") || !fs::exists("/bin/busybox")) {
      return;
    }
    images_ = new TempDir();  // NOLINT: lives for the suite
    build_layered(images_->path());
    ready_ = !::testing::Test::HasFailure();
  }
  static void TearDownTestSuite() {
    delete images_;
    images_ = nullptr;
  }
  void SetUp() override {
    if (!ready_) {
      GTEST_SKIP()
          << "needs umoci, skopeo, python3 and /bin/busybox (apt-get install umoci skopeo busybox-static)";
    }
  }
  static std::string input(const std::string& name) { return *images_ / name; }

  // Imports `path` and returns each layer's entries, checking every layer is in the store.
  std::vector<std::set<std::string>> import_layers(const std::string& path, const std::string& tag) {
    const json done = image_json({"import", "--json", "--tag", tag, path});
    EXPECT_EQ(done["layers"], 3) << done;
    const json inspect = image_json({"inspect", "--json", tag});
    std::vector<std::set<std::string>> out;
    for (const json& layer : inspect["layers"]) {
      const std::string blob = blob_path(layer["digest"].get<std::string>());
      EXPECT_TRUE(fs::is_regular_file(blob)) << blob;
      EXPECT_EQ(layer["digest"], image::sha256_of(read_file(blob).value_or("")).str());
      out.push_back(layer_entries(blob));
    }
    return out;
  }
  // The config's rootfs.diff_ids, read from the store.
  json diff_ids(const std::string& tag) {
    const json inspect = image_json({"inspect", "--json", tag});
    const json config = json::parse(read_file(blob_path(inspect["config"]["digest"])).value_or("{}"));
    return config["rootfs"]["diff_ids"];
  }

  static inline TempDir* images_ = nullptr;
  static inline bool ready_ = false;
};

// What the fixture is for: the layers in the store really carry a whiteout,
// an opaque directory marker and a symlink chain.
void expect_layered_entries(const std::vector<std::set<std::string>>& layers) {
  ASSERT_EQ(layers.size(), 3U);
  for (const char* entry :
       {"a -> b", "b -> c", "c -> file", "file", "bin/busybox", "e/gone", "e/kept", "d/old1"}) {
    EXPECT_TRUE(layers[0].contains(entry)) << entry;
  }
  EXPECT_TRUE(layers[1].contains("e/.wh.gone"));
  EXPECT_FALSE(layers[1].contains("e/kept"));
  EXPECT_TRUE(layers[2].contains("d/.wh..wh..opq"));
  EXPECT_TRUE(layers[2].contains("d/new"));
  EXPECT_FALSE(layers[2].contains("d/.wh.old1"));  // opaque, not per-file whiteouts
}

TEST_F(LayeredImageTest, OciLayoutKeepsWhiteoutsOpaqueDirAndSymlinks) {
  expect_layered_entries(import_layers(input("oci"), "layered"));
  EXPECT_EQ(image_json({"inspect", "--json", "layered"})["cmd"], json({"/bin/busybox", "sh"}));
  EXPECT_EQ(blob_count(), 5U);  // manifest, config, 3 layers
}

// skopeo's docker-archive holds the same layers uncompressed: the same
// diff_ids, and the layer blobs are those very tars.
TEST_F(LayeredImageTest, DockerArchiveHasTheSameLayers) {
  expect_layered_entries(import_layers(input("docker.tar"), "docker"));
  ASSERT_EQ(image_json({"import", "--json", "--tag", "oci", input("oci")})["layers"], 3);
  const json ids = diff_ids("docker");
  EXPECT_EQ(ids.size(), 3U);
  EXPECT_EQ(ids, diff_ids("oci"));
  const json inspect = image_json({"inspect", "--json", "docker"});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(inspect["layers"][i]["digest"], ids[i]);
  }
}

// podman in a storage of its own (vfs under a temp dir), so the host's
// podman images are neither read nor changed. Images enter with `podman
// import` (a rootfs tar) and `podman load` (the layered docker-archive): no
// container runs, so no runtime or cgroup is involved.
class PodmanImageTest : public ImageStoreTest {
 protected:
  static void SetUpTestSuite() {
    if (!have_tool("podman") || !fs::exists("/bin/busybox")) {
      skip_ = "needs podman and /bin/busybox (apt-get install podman busybox-static)";
      return;
    }
    dir_ = new TempDir();  // NOLINT: lives for the suite
    const std::string& d = dir_->path();
    sh("mkdir -p " + d + "/rootfs/bin " + d + "/rootfs/etc && cp /bin/busybox " + d +
       "/rootfs/bin/ && echo hello > " + d + "/rootfs/etc/motd && tar -C " + d + "/rootfs -cf " + d +
       "/rootfs.tar .");
    const std::string p = podman();
    const Finished made =
        run({"/bin/sh", "-c",
             p + " import --change 'CMD=[\"/bin/busybox\",\"sh\"]' --change ENV=FOO=bar " + d +
                 "/rootfs.tar localhost/strata-test:1 >/dev/null && " + p +
                 " save --format docker-archive -o " + d + "/docker.tar localhost/strata-test:1 && " + p +
                 " save --format oci-archive -o " + d + "/oci.tar localhost/strata-test:1"});
    if (made.exit_code != 0) {
      skip_ = "podman could not build the test images here: " + made.err;
      return;
    }
    if (have_tool("umoci") && have_tool("skopeo") && have_tool("python3")) {
      sh("mkdir " + d + "/layered");
      build_layered(d + "/layered");
      sh(p + " load -q -i " + d + "/layered/docker.tar >/dev/null && " + p +
         " save --format docker-archive -o " + d + "/layered.tar example.org/layered:1");
      layered_ = !::testing::Test::HasFailure();
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) {
      GTEST_SKIP() << skip_;
    }
  }
  static std::string podman() {
    const std::string& d = dir_->path();
    return "podman --root " + d + "/storage --runroot " + d + "/run --tmpdir " + d +
           "/tmp --storage-driver vfs --events-backend file --cgroup-manager cgroupfs";
  }
  static std::string input(const std::string& name) { return *dir_ / name; }

  static inline TempDir* dir_ = nullptr;
  static inline std::string skip_;
  static inline bool layered_ = false;
};

TEST_F(PodmanImageTest, DockerArchive) {
  const json done = image_json({"import", "--json", input("docker.tar")});
  EXPECT_EQ(done["format"], "docker-archive");
  EXPECT_EQ(done["tag"], "localhost/strata-test:1");
  EXPECT_EQ(done["layers"], 1);
  const json inspect = image_json({"inspect", "--json", "localhost/strata-test:1"});
  EXPECT_EQ(inspect["cmd"], json({"/bin/busybox", "sh"}));
  EXPECT_EQ(inspect["env"], json({"FOO=bar"}));
  ASSERT_EQ(inspect["layers"].size(), 1U);
  // podman import keeps the tar as it is: the layer in the store is that tar.
  const image::Digest rootfs = image::sha256_of(read_file(input("rootfs.tar")).value());
  EXPECT_EQ(inspect["layers"][0]["digest"], rootfs.str());
  const std::set<std::string> entries = layer_entries(blob_path(rootfs.str()));
  EXPECT_TRUE(entries.contains("bin/busybox"));
  EXPECT_TRUE(entries.contains("etc/motd"));
}

TEST_F(PodmanImageTest, OciArchiveSharesTheConfig) {
  const json oci = image_json({"import", "--json", input("oci.tar")});
  EXPECT_EQ(oci["format"], "oci-archive");
  EXPECT_EQ(oci["tag"], "localhost/strata-test:1");
  EXPECT_EQ(oci["layers"], 1);
  const json from_oci = image_json({"inspect", "--json", "localhost/strata-test:1"});
  EXPECT_EQ(from_oci["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(image_json({"import", "--json", "--tag", "docker", input("docker.tar")})["layers"], 1);
  const json from_docker = image_json({"inspect", "--json", "docker"});
  EXPECT_EQ(from_oci["config"], from_docker["config"]);
  EXPECT_EQ(from_oci["cmd"], json({"/bin/busybox", "sh"}));
  EXPECT_EQ(from_oci["platform"], from_docker["platform"]);
}

// Through podman's storage and back: three layers, whiteouts and all.
TEST_F(PodmanImageTest, LayeredImageThroughPodman) {
  if (!layered_) {
    GTEST_SKIP() << "needs umoci, skopeo and python3 to build the layered image";
  }
  const json done = image_json({"import", "--json", input("layered.tar")});
  EXPECT_EQ(done["tag"], "example.org/layered:1");
  const json inspect = image_json({"inspect", "--json", "example.org/layered:1"});
  std::vector<std::set<std::string>> layers;
  for (const json& layer : inspect["layers"]) {
    layers.push_back(layer_entries(blob_path(layer["digest"].get<std::string>())));
  }
  expect_layered_entries(layers);
}

}  // namespace
}  // namespace strata::test
